// Package textfold removes diacritics, so that Vietnamese typed without them,
// or printed without them in a machine-readable zone, matches the text with
// them. It reads composed (NFC) and decomposed (NFD) input alike.
package textfold

import (
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// strip decomposes, drops the combining marks, maps the letter d with stroke
// (which has no decomposition) to d, and composes what is left.
func strip() transform.Transformer {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), runes.Map(func(r rune) rune {
		switch r {
		case 'đ':
			return 'd'
		case 'Đ':
			return 'D'
		}
		return r
	}), norm.NFC)
}

// Fold returns s without diacritics, its case kept: "Đặng Thị Ưng" becomes
// "Dang Thi Ung".
func Fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	out, _, err := transform.String(strip(), s)
	if err != nil {
		// The transformers above never fail on a string; keep s rather than
		// return a partial result if one ever did.
		return s
	}
	return out
}
