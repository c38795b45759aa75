package classify

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Fold lower-cases s and removes its diacritics (Vietnamese tone and vowel
// marks decomposed by NFD and dropped; đ, which does not decompose, becomes
// d), so that "TỜ KHAI", "Tờ khai" and an OCR reading that lost the marks,
// "TO KHAI", compare equal.
func Fold(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == 'đ' || r == 'Đ' {
			return 'd'
		}
		return unicode.ToLower(r)
	}, s)
	// A chain holds state: one per call, so Fold is safe for concurrent use.
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s
	}
	return out
}

// Words returns the folded words of s (runs of letters and digits).
func Words(s string) []string {
	return strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// flat is s folded with every run of other characters made one space and a
// space at each end, so that a phrase is found on word boundaries; "" when
// s has no word.
func flat(s string) string {
	w := Words(s)
	if len(w) == 0 {
		return ""
	}
	return " " + strings.Join(w, " ") + " "
}
