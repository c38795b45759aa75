// Package mrz reads the machine-readable zone of a TD1 identity card (ICAO
// Doc 9303 Part 5: three lines of 30 characters), the zone printed on the
// back of the Vietnamese chip-based citizen identity card (CCCD / thẻ căn
// cước), and verifies every check digit (ICAO Doc 9303 Part 3 §4.9).
//
// It is a pure function of its input: it does not know the dossier, the
// citizen or the card's front side. Find accepts OCR output (extra lines,
// spaces, the usual O/0 and I/1 confusions in numeric fields) and returns
// the first three consecutive lines that make a TD1 zone.
package mrz

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/format/textfold"
)

// LineLen is the length of each of the three lines of a TD1 zone.
const LineLen = 30

// MaxInput is the most bytes Find and Parse look at; OCR of a card side is a
// few hundred bytes.
const MaxInput = 64 << 10

// Check is the outcome of one check digit.
type Check struct {
	Field string // "document number", "birth date", "expiry date", "composite"
	Valid bool
}

// Date is a calendar date of the zone (YYMMDD with the century resolved).
type Date struct {
	Year, Month, Day int
}

// Time returns the date at midnight UTC.
func (d Date) Time() time.Time {
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
}

// String formats the date as dd/mm/yyyy, as Vietnamese papers print it.
func (d Date) String() string { return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year) }

// TD1 is a parsed TD1 zone.
type TD1 struct {
	Lines          [3]string // the zone as read (after corrections of numeric fields)
	DocumentCode   string    // "ID", "IC", …
	IssuingState   string    // "VNM"
	DocumentNumber string    // without filler; long numbers continue into the optional data (Part 5 §4.2.2 note j)
	OptionalData1  string    // after the document number, filler removed
	BirthDate      Date
	Sex            string // "M", "F" or "" (unspecified)
	Expiry         *Date  // nil when the card does not expire (field all '<')
	Nationality    string
	OptionalData2  string
	Surname        string // primary identifier, words separated by one space
	GivenNames     string // secondary identifier, words separated by one space
	Checks         []Check
}

// Valid reports whether every check digit matched.
func (t *TD1) Valid() bool {
	for _, c := range t.Checks {
		if !c.Valid {
			return false
		}
	}
	return len(t.Checks) > 0
}

// FailedChecks names the check digits that did not match.
func (t *TD1) FailedChecks() []string {
	var out []string
	for _, c := range t.Checks {
		if !c.Valid {
			out = append(out, c.Field)
		}
	}
	return out
}

// FullName returns surname then given names, as Vietnamese names are said.
func (t *TD1) FullName() string { return strings.TrimSpace(t.Surname + " " + t.GivenNames) }

// PersonalID returns the 12-digit personal identification number a
// Vietnamese card carries at the start of its optional data, or "".
func (t *TD1) PersonalID() string {
	if len(t.OptionalData1) >= 12 && allDigits(t.OptionalData1[:12]) {
		return t.OptionalData1[:12]
	}
	return ""
}

// Errors of Parse and Find.
var (
	ErrNotFound = errors.New("mrz: no TD1 zone found")
	ErrFormat   = errors.New("mrz: not a TD1 zone")
)

// CheckDigit computes the ICAO 9303 check digit of s: weights 7, 3, 1
// repeating; 0–9 are their value, A–Z are 10–35, the filler '<' is 0. ok is
// false when s has another character.
func CheckDigit(s string) (digit byte, ok bool) {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		v, ok := charValue(s[i])
		if !ok {
			return 0, false
		}
		sum += v * weights[i%3]
	}
	return byte('0' + sum%10), true
}

func charValue(c byte) (int, bool) {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0'), true
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10, true
	case c == '<':
		return 0, true
	}
	return 0, false
}

// Parse parses exactly three TD1 lines (separated by newlines; surrounding
// space ignored) read at now, which decides the century of the birth date.
// It fails only on a malformed zone; check digits that do not match are
// reported in TD1.Checks, so that the caller can ask for a rescan.
func Parse(text string, now time.Time) (*TD1, error) {
	if len(text) > MaxInput {
		return nil, fmt.Errorf("%w: input of %d bytes", ErrFormat, len(text))
	}
	var lines []string
	for l := range strings.Lines(text) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 {
		return nil, fmt.Errorf("%w: %d lines, want 3", ErrFormat, len(lines))
	}
	return parseLines([3]string{lines[0], lines[1], lines[2]}, now)
}

func parseLines(l [3]string, now time.Time) (*TD1, error) {
	for i, s := range l {
		if len(s) != LineLen {
			return nil, fmt.Errorf("%w: line %d has %d characters, want %d", ErrFormat, i+1, len(s), LineLen)
		}
		for j := 0; j < len(s); j++ {
			if _, ok := charValue(s[j]); !ok {
				return nil, fmt.Errorf("%w: line %d character %d is %q", ErrFormat, i+1, j+1, s[j])
			}
		}
	}
	// Numeric fields: fix the letters OCR puts for digits (Doc 9303 does not
	// allow letters there, so the correction cannot turn a valid zone invalid).
	l1, l2 := []byte(l[0]), []byte(l[1])
	for _, r := range [][2]int{{0, 7}, {8, 15}, {29, 30}} {
		for i := r[0]; i < r[1]; i++ {
			l2[i] = toDigit(l2[i])
		}
	}
	if l1[14] != '<' {
		l1[14] = toDigit(l1[14])
	}
	if string(l1[2:5]) == "VNM" {
		// Vietnamese card numbers and the personal ID after them are digits.
		for i := 5; i < 27; i++ {
			l1[i] = toDigit(l1[i])
		}
	}
	l[0], l[1] = string(l1), string(l2)

	t := &TD1{Lines: l}
	t.DocumentCode = strings.TrimRight(l[0][0:2], "<")
	if t.DocumentCode == "" || !isAlpha(l[0][0]) {
		return nil, fmt.Errorf("%w: document code %q", ErrFormat, l[0][0:2])
	}
	t.IssuingState = strings.TrimRight(l[0][2:5], "<")
	opt1 := l[0][15:30]
	docNum, docCheck := l[0][5:14], l[0][14]
	checkedNum := docNum
	if docCheck == '<' {
		// Long document number: continues in the optional data, its check
		// digit after its last character, then a filler.
		ext := strings.TrimRight(opt1, "<")
		if len(ext) < 1 {
			return nil, fmt.Errorf("%w: long document number without its check digit", ErrFormat)
		}
		docCheck = ext[len(ext)-1]
		checkedNum = docNum + ext[:len(ext)-1]
		t.DocumentNumber = strings.TrimRight(checkedNum, "<")
		opt1 = ""
	} else {
		t.DocumentNumber = strings.TrimRight(docNum, "<")
	}
	t.OptionalData1 = strings.TrimRight(opt1, "<")
	t.addCheck("document number", checkedNum, docCheck)

	dob, ok := parseDate(l[1][0:6])
	if !ok {
		return nil, fmt.Errorf("%w: birth date %q", ErrFormat, l[1][0:6])
	}
	// A birth date is in the past: a two-digit year after this year's is 19YY.
	dob.Year += 2000
	if dob.Year > now.Year() {
		dob.Year -= 100
	}
	t.BirthDate = dob
	t.addCheck("birth date", l[1][0:6], l[1][6])
	switch l[1][7] {
	case 'M', 'F':
		t.Sex = string(l[1][7])
	case '<', 'X':
	default:
		return nil, fmt.Errorf("%w: sex %q", ErrFormat, l[1][7])
	}
	if l[1][8:15] == "<<<<<<<" {
		t.Checks = append(t.Checks, Check{Field: "expiry date", Valid: true})
	} else {
		exp, ok := parseDate(l[1][8:14])
		if !ok {
			return nil, fmt.Errorf("%w: expiry date %q", ErrFormat, l[1][8:14])
		}
		exp.Year += 2000
		t.Expiry = &exp
		t.addCheck("expiry date", l[1][8:14], l[1][14])
	}
	t.Nationality = strings.TrimRight(l[1][15:18], "<")
	t.OptionalData2 = strings.TrimRight(l[1][18:29], "<")
	composite := l[0][5:30] + l[1][0:7] + l[1][8:15] + l[1][18:29]
	t.addCheck("composite", composite, l[1][29])

	// Names are letters: fix the digits OCR puts for them.
	l3 := []byte(l[2])
	for i, c := range l3 {
		l3[i] = toLetter(c)
	}
	t.Lines[2] = string(l3)
	name := strings.TrimRight(string(l3), "<")
	sur, rest, _ := strings.Cut(name, "<<")
	given, _, _ := strings.Cut(rest, "<<") // a second double filler ends the name
	t.Surname = words(sur)
	t.GivenNames = trimFillerMisreads(words(given))
	if t.Surname == "" {
		return nil, fmt.Errorf("%w: no name", ErrFormat)
	}
	return t, nil
}

func (t *TD1) addCheck(field, data string, digit byte) {
	want, ok := CheckDigit(data)
	t.Checks = append(t.Checks, Check{Field: field, Valid: ok && want == digit})
}

// words turns "VAN<AN" into "VAN AN".
func words(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '<' }), " ")
}

func parseDate(s string) (Date, bool) {
	if len(s) != 6 || !allDigits(s) {
		return Date{}, false
	}
	d := Date{Year: atoi(s[0:2]), Month: atoi(s[2:4]), Day: atoi(s[4:6])}
	if d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 {
		return Date{}, false
	}
	return d, true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isAlpha(c byte) bool { return c >= 'A' && c <= 'Z' }

// toLetter maps the digits OCR confuses with letters back to them.
func toLetter(c byte) byte {
	switch c {
	case '0':
		return 'O'
	case '1':
		return 'I'
	case '2':
		return 'Z'
	case '5':
		return 'S'
	case '6':
		return 'G'
	case '8':
		return 'B'
	}
	return c
}

// trimFillerMisreads drops trailing one- or two-letter words made only of K
// and X: OCR reads a run of fillers as "<K<K<" or "<X<" (no Vietnamese name
// word is K, KK or X).
func trimFillerMisreads(s string) string {
	w := strings.Fields(s)
	for len(w) > 0 && len(w[len(w)-1]) <= 2 && strings.Trim(w[len(w)-1], "KX") == "" {
		w = w[:len(w)-1]
	}
	return strings.Join(w, " ")
}

// NameMatches reports whether the name zone (the third line) spells name
// (any case, with or without Vietnamese diacritics, surname first), allowing
// for OCR reading a filler '<' as 'K' or 'X'. A name longer than the zone
// matches on what the zone holds.
func (t *TD1) NameMatches(name string) bool {
	parts := strings.Fields(Fold(name))
	if len(parts) == 0 {
		return false
	}
	want := parts[0] + "<<" + strings.Join(parts[1:], "<")
	if len(want) > LineLen {
		want = want[:LineLen]
	}
	want = strings.TrimRight(want, "<")
	got := strings.TrimRight(t.Lines[2], "<KX")
	// m[i][j]: want[:i] matches got[:j]. A filler may be read as K or X,
	// and OCR inserts a K or X after a filler: skip those in got.
	m := make([][]bool, len(want)+1)
	for i := range m {
		m[i] = make([]bool, len(got)+1)
	}
	m[0][0] = true
	for i := 0; i <= len(want); i++ {
		for j := 0; j <= len(got); j++ {
			if !m[i][j] {
				continue
			}
			if i < len(want) && j < len(got) && (want[i] == got[j] || (want[i] == '<' && (got[j] == 'K' || got[j] == 'X'))) {
				m[i+1][j+1] = true
			}
			if j < len(got) && (got[j] == 'K' || got[j] == 'X') && j > 0 && got[j-1] == '<' {
				m[i][j+1] = true
			}
		}
	}
	return m[len(want)][len(got)]
}

// Fold removes Vietnamese diacritics (composed or decomposed), turns đ into
// D and upper-cases, as the machine-readable zone prints names (ICAO Doc 9303
// Part 3 §6.A).
func Fold(s string) string { return strings.ToUpper(textfold.Fold(s)) }

// toDigit maps the letters OCR confuses with digits back to them.
func toDigit(c byte) byte {
	switch c {
	case 'O', 'Q', 'D':
		return '0'
	case 'I', 'L':
		return '1'
	case 'Z':
		return '2'
	case 'S':
		return '5'
	case 'G':
		return '6'
	case 'B':
		return '8'
	}
	return c
}

// Find looks for a TD1 zone in OCR text: it normalises each line (spaces
// removed, look-alikes of the filler turned into '<', lower case raised) and
// returns the first three consecutive lines of 30 characters that parse,
// preferring a zone whose check digits all match.
func Find(text string, now time.Time) (*TD1, error) {
	if len(text) > MaxInput {
		text = text[:MaxInput]
	}
	var cand []string
	for l := range strings.Lines(text) {
		if n := normalise(l); len(n) >= 20 || (len(n) >= 5 && strings.Contains(n, "<<")) {
			cand = append(cand, n)
		}
	}
	var (
		firstParsed *TD1
		valid       *TD1
	)
	for i := 0; i+3 <= len(cand) && valid == nil; i++ {
		var l [3]string
		ok := true
		for k := range 3 {
			l[k] = fit(cand[i+k])
			if len(l[k]) != LineLen {
				ok = false
			}
		}
		if !ok {
			continue
		}
		t, err := parseLines(l, now)
		if err != nil {
			continue
		}
		if t.Valid() {
			valid = t
		} else if firstParsed == nil {
			firstParsed = t
		}
	}
	// Several reads of one zone (OCR passes) may each get a different line
	// wrong: take the first line from one and the second from another. Every
	// check digit must still match.
	if valid == nil && len(cand) <= maxCombined {
	pairs:
		for i := range cand {
			for j := range cand {
				if i == j || j+1 >= len(cand) {
					continue
				}
				l := [3]string{fit(cand[i]), fit(cand[j]), fit(cand[j+1])}
				if len(l[0]) != LineLen || len(l[1]) != LineLen || len(l[2]) != LineLen {
					continue
				}
				if t, err := parseLines(l, now); err == nil && t.Valid() {
					valid = t
					break pairs
				}
			}
		}
	}
	if valid != nil {
		return voteName(valid, cand, now), nil
	}
	if firstParsed != nil {
		return firstParsed, nil
	}
	return nil, ErrNotFound
}

// voteName replaces the name line of a valid zone by the one most reads
// agree on: the name has no check digit, and one read may add or drop a
// letter. A read's name line is the line after its copy of the second line.
func voteName(t *TD1, cand []string, now time.Time) *TD1 {
	votes := map[string]int{}
	best, bestVotes := "", 0
	for j := 0; j+1 < len(cand); j++ {
		if l2 := fit(cand[j]); len(l2) != LineLen || !sameZoneLine(l2, t.Lines[1]) {
			continue
		}
		l3 := fit(cand[j+1])
		if len(l3) != LineLen {
			continue
		}
		parsed, err := parseLines([3]string{t.Lines[0], t.Lines[1], l3}, now)
		if err != nil {
			continue
		}
		key := strings.TrimRight(parsed.Lines[2], "<KX")
		votes[key]++
		if votes[key] > bestVotes {
			best, bestVotes = parsed.Lines[2], votes[key]
		}
	}
	if bestVotes < 2 || best == t.Lines[2] {
		return t
	}
	if again, err := parseLines([3]string{t.Lines[0], t.Lines[1], best}, now); err == nil && again.Valid() {
		return again
	}
	return t
}

// sameZoneLine compares two reads of a numeric line after the corrections
// of parseLines.
func sameZoneLine(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if toDigit(a[i]) != toDigit(b[i]) {
			return false
		}
	}
	return true
}

// maxCombined bounds the candidate lines Find pairs across reads.
const maxCombined = 40

// normalise keeps the MRZ alphabet of an OCR line.
func normalise(line string) string {
	var b strings.Builder
	for _, r := range line {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '<':
			b.WriteRune(r)
		case r == '«' || r == '‹' || r == '(' || r == '{' || r == '[':
			b.WriteByte('<')
			if r == '«' {
				b.WriteByte('<')
			}
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
		default:
			// Anything else is noise in a zone of 37 symbols.
		}
	}
	return b.String()
}

// fit pads a line that lost trailing fillers (OCR often drops some or all of
// a long run of '<') and leaves other lengths as they are.
func fit(s string) string {
	if len(s) < LineLen && strings.HasSuffix(s, "<") {
		return s + strings.Repeat("<", LineLen-len(s))
	}
	if len(s) < LineLen && strings.Contains(s, "<<") {
		// The line ends with a check digit: the fillers were lost from the
		// last run of them (the optional data before the composite digit).
		i := strings.LastIndex(s, "<<")
		return s[:i] + strings.Repeat("<", LineLen-len(s)) + s[i:]
	}
	if len(s) > LineLen && strings.Trim(s[LineLen:], "<") == "" {
		return s[:LineLen]
	}
	return s
}
