// Package humantext checks text that people type (names, contacts, notes)
// before it is stored and copied into receipts, sealed conversion marks and
// notification headers: control characters (CR, LF, NUL, ...) and Unicode
// bidirectional controls, which reorder what a reader sees (CVE-2021-42574,
// "Trojan Source"), are refused rather than cleaned.
package humantext

import (
	"unicode"
	"unicode/utf8"

	"github.com/sohoa/sohoa/pkg/errs"
)

// Check returns an errs.Invalid field error if v is not valid UTF-8 or holds a
// control or bidirectional-control character. Multi-line fields pass
// multiline: LF and TAB are then allowed.
func Check(field, v string, multiline bool) error {
	if !utf8.ValidString(v) {
		return errs.FieldError(field, "%s không phải văn bản UTF-8 hợp lệ / %s is not valid UTF-8 text", field, field)
	}
	for _, r := range v {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if Forbidden(r) {
			return errs.FieldError(field, "%s chứa ký tự điều khiển hoặc ký tự đổi chiều văn bản (U+%04X); hãy nhập lại / %s contains a control or bidirectional character (U+%04X); type it again", field, r, field, r)
		}
	}
	return nil
}

// Forbidden reports whether r is a control character, a bidirectional
// control, or another invisible format character that can disguise text.
func Forbidden(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == 0x061C, r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true // bidirectional controls
	case r == 0x2028, r == 0x2029, r == 0xFEFF, r >= 0x200B && r <= 0x200D:
		return true // line/paragraph separators, zero-width characters
	}
	return false
}
