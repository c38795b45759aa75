package pades

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/sohoa/sohoa/pkg/format/pdflex"
)

// The byte-level reader below finds where a signature dictionary's values sit
// in the file. pdfcpu gives values, not offsets, and the binding rules are
// about offsets: the hole of /ByteRange must be exactly this dictionary's
// /Contents string.

const maxLexDepth = 32

// lexer reads values whole: a string, a dictionary or an array is one token.
type lexer struct{ pdflex.Lexer }

var errLex = errors.New("unexpected end of data")

// token skips one token (a whole string, a whole dictionary or array) and
// returns its span.
func (l *lexer) token(depth int) (int, int, error) {
	if depth > maxLexDepth {
		return 0, 0, errors.New("nested too deeply")
	}
	l.SkipSpace()
	s := l.I
	if l.I >= len(l.B) {
		return 0, 0, errLex
	}
	switch c := l.B[l.I]; {
	case c == '(':
		if !l.SkipString() {
			return 0, 0, errLex
		}
		return s, l.I, nil
	case c == '<' && l.I+1 < len(l.B) && l.B[l.I+1] == '<':
		l.I += 2
		for {
			l.SkipSpace()
			if l.I+1 < len(l.B) && l.B[l.I] == '>' && l.B[l.I+1] == '>' {
				l.I += 2
				return s, l.I, nil
			}
			if _, _, err := l.token(depth + 1); err != nil {
				return 0, 0, err
			}
		}
	case c == '<':
		e := bytes.IndexByte(l.B[l.I:], '>')
		if e < 0 {
			return 0, 0, errLex
		}
		l.I += e + 1
		return s, l.I, nil
	case c == '[':
		l.I++
		for {
			l.SkipSpace()
			if l.I < len(l.B) && l.B[l.I] == ']' {
				l.I++
				return s, l.I, nil
			}
			if _, _, err := l.token(depth + 1); err != nil {
				return 0, 0, err
			}
		}
	case c == '/':
		l.I++
		l.SkipRegular()
		return s, l.I, nil
	case c == ')' || c == '>' || c == ']' || c == '{' || c == '}':
		return 0, 0, fmt.Errorf("unexpected %q", c)
	default:
		l.SkipRegular()
		return s, l.I, nil
	}
}

// sigDictSpans reads the object that starts at off ("num gen obj <<...>>")
// and returns the spans of its top-level /Contents and /ByteRange values
// (a value may be several tokens, as in "5 0 R"). A key given twice is an error.
func sigDictSpans(pdf []byte, off int64, num int) (contents, byteRange [2]int, err error) {
	if off < 0 || off >= int64(len(pdf)) {
		return contents, byteRange, errors.New("the object's offset is outside the file")
	}
	l := &lexer{pdflex.Lexer{B: pdf, I: int(off)}}
	var head [3]string
	for k := range head {
		s, e, err := l.token(0)
		if err != nil {
			return contents, byteRange, err
		}
		head[k] = string(pdf[s:e])
	}
	if head[0] != strconv.Itoa(num) || head[2] != "obj" {
		return contents, byteRange, fmt.Errorf("object %d is not where the cross-reference table says", num)
	}
	l.SkipSpace()
	if !bytes.HasPrefix(pdf[l.I:], []byte("<<")) {
		return contents, byteRange, errors.New("the signature is not a dictionary")
	}
	l.I += 2
	seen := map[string]bool{}
	var key string
	var span [2]int
	flush := func() error {
		if key == "" {
			return nil
		}
		if seen[key] {
			return fmt.Errorf("the signature dictionary has /%s twice", key)
		}
		seen[key] = true
		switch key {
		case "Contents":
			contents = span
		case "ByteRange":
			byteRange = span
		}
		key = ""
		return nil
	}
	for {
		l.SkipSpace()
		if l.I+1 < len(pdf) && pdf[l.I] == '>' && pdf[l.I+1] == '>' {
			if err := flush(); err != nil {
				return contents, byteRange, err
			}
			break
		}
		s, e, err := l.token(1)
		if err != nil {
			return contents, byteRange, err
		}
		if pdf[s] == '/' && (key == "" || span[1] != 0) {
			if err := flush(); err != nil {
				return contents, byteRange, err
			}
			key, span = string(pdf[s+1:e]), [2]int{}
			continue
		}
		if key == "" {
			return contents, byteRange, errors.New("the signature dictionary is malformed")
		}
		if span[1] == 0 {
			span[0] = s
		}
		span[1] = e
	}
	if !seen["Contents"] || !seen["ByteRange"] {
		return contents, byteRange, errors.New("the signature dictionary lacks /Contents or /ByteRange")
	}
	return contents, byteRange, nil
}
