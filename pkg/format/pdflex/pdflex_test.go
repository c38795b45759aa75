package pdflex_test

import (
	"testing"

	"github.com/sohoa/sohoa/pkg/format/pdflex"
)

func TestLexer(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		skip func(*pdflex.Lexer) bool
		want int  // I after the skip
		ok   bool // what SkipString answers
	}{
		{"space and comment", " \r\n\t\f\x00% note\n/Name", func(l *pdflex.Lexer) bool { l.SkipSpace(); return true }, 13, true},
		{"comment to the end", "% all comment", func(l *pdflex.Lexer) bool { l.SkipSpace(); return true }, 13, true},
		{"regular run stops at a delimiter", "Tf/F1", func(l *pdflex.Lexer) bool { l.SkipRegular(); return true }, 2, true},
		{"regular run stops at space", "-12.5 0", func(l *pdflex.Lexer) bool { l.SkipRegular(); return true }, 5, true},
		{"nested string", "(a(b)c) Tj", (*pdflex.Lexer).SkipString, 7, true},
		{"escaped parenthesis", `(a\)b) x`, (*pdflex.Lexer).SkipString, 6, true},
		{"unterminated string", "(abc", (*pdflex.Lexer).SkipString, 4, false},
		{"backslash at the end", `(ab\`, (*pdflex.Lexer).SkipString, 4, false},
	} {
		l := &pdflex.Lexer{B: []byte(tt.in)}
		ok := tt.skip(l)
		if l.I != tt.want || ok != tt.ok {
			t.Errorf("%s: I=%d ok=%v, want %d %v", tt.name, l.I, ok, tt.want, tt.ok)
		}
	}
}

func TestClasses(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		if pdflex.IsSpace(b) && pdflex.IsDelim(b) {
			t.Errorf("%q is both white space and a delimiter", b)
		}
	}
	for _, b := range []byte("()<>[]{}/%") {
		if !pdflex.IsDelim(b) {
			t.Errorf("%q is a delimiter", b)
		}
	}
	for _, b := range []byte(" \n\r\t\f\x00") {
		if !pdflex.IsSpace(b) {
			t.Errorf("%q is white space", b)
		}
	}
}
