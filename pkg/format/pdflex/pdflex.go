// Package pdflex holds what the PDF readers of Sohoa share at the byte level
// (ISO 32000-1 §7.2): the character classes, white space and comments, names
// and other regular tokens, and literal strings with balanced parentheses.
// The signature verifier (package pades) builds on it to find the spans of a
// signature dictionary's values; the scan reader (package scan) to walk a
// content stream's operands and operators.
package pdflex

// IsSpace reports whether c is PDF white space.
func IsSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

// IsDelim reports whether c is a PDF delimiter.
func IsDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// Lexer reads B from I. It never reads past len(B) and never panics.
type Lexer struct {
	B []byte
	I int
}

// SkipSpace skips white space and comments.
func (l *Lexer) SkipSpace() {
	for l.I < len(l.B) {
		c := l.B[l.I]
		switch {
		case IsSpace(c):
			l.I++
		case c == '%':
			for l.I < len(l.B) && l.B[l.I] != '\n' && l.B[l.I] != '\r' {
				l.I++
			}
		default:
			return
		}
	}
}

// SkipRegular skips a run of regular characters (neither white space nor
// delimiters): the rest of a name after its '/', a number, an operator.
func (l *Lexer) SkipRegular() {
	for l.I < len(l.B) && !IsSpace(l.B[l.I]) && !IsDelim(l.B[l.I]) {
		l.I++
	}
}

// SkipString skips the literal string that starts at I (at its '('), nested
// parentheses and backslash escapes included, and reports whether it ends;
// an unterminated string leaves I at the end of B.
func (l *Lexer) SkipString() bool {
	depth := 0
	for l.I < len(l.B) {
		switch l.B[l.I] {
		case '\\':
			l.I++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.I++
				return true
			}
		}
		l.I++
	}
	l.I = min(l.I, len(l.B))
	return false
}
