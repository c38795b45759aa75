package humantext

import (
	"testing"

	"github.com/sohoa/sohoa/pkg/errs"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, v   string
		multiline bool
		ok        bool
	}{
		{"vietnamese name", "Nguyễn Văn An", false, true},
		{"email", "an@example.vn", false, true},
		{"CRLF header injection", "a@example.vn\r\nBcc: x@evil.example", false, false},
		{"NUL", "An\x00", false, false},
		{"RLO", "An\u202Egpj.exe", false, false},
		{"LRI", "An\u2066", false, false},
		{"ALM", "An\u061C", false, false},
		{"zero width joiner", "A\u200Dn", false, false},
		{"newline in a note", "dòng 1\ndòng 2", true, true},
		{"CR in a note", "dòng 1\r\ndòng 2", true, false},
		{"invalid UTF-8", "\xff", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check("f", tc.v, tc.multiline)
			if tc.ok != (err == nil) {
				t.Fatalf("Check(%q) = %v, want ok=%v", tc.v, err, tc.ok)
			}
			if err != nil && !errs.Is(err, errs.Invalid) {
				t.Fatalf("want errs.Invalid, got %v", err)
			}
		})
	}
}
