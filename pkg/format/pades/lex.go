package pades

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// The byte-level reader below finds where a signature dictionary's values sit
// in the file. pdfcpu gives values, not offsets, and the binding rules are
// about offsets: the hole of /ByteRange must be exactly this dictionary's
// /Contents string.

const maxLexDepth = 32

type lexer struct {
	b []byte
	i int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	return bytes.IndexByte([]byte("()<>[]{}/%"), c) >= 0
}

func (l *lexer) ws() {
	for l.i < len(l.b) {
		c := l.b[l.i]
		switch {
		case isSpace(c):
			l.i++
		case c == '%':
			for l.i < len(l.b) && l.b[l.i] != '\n' && l.b[l.i] != '\r' {
				l.i++
			}
		default:
			return
		}
	}
}

var errLex = errors.New("unexpected end of data")

// token skips one token (a whole string, a whole dictionary or array) and
// returns its span.
func (l *lexer) token(depth int) (int, int, error) {
	if depth > maxLexDepth {
		return 0, 0, errors.New("nested too deeply")
	}
	l.ws()
	s := l.i
	if l.i >= len(l.b) {
		return 0, 0, errLex
	}
	switch c := l.b[l.i]; {
	case c == '(':
		n := 0
		for l.i < len(l.b) {
			switch l.b[l.i] {
			case '\\':
				l.i++
			case '(':
				n++
			case ')':
				n--
				if n == 0 {
					l.i++
					return s, l.i, nil
				}
			}
			l.i++
		}
		return 0, 0, errLex
	case c == '<' && l.i+1 < len(l.b) && l.b[l.i+1] == '<':
		l.i += 2
		for {
			l.ws()
			if l.i+1 < len(l.b) && l.b[l.i] == '>' && l.b[l.i+1] == '>' {
				l.i += 2
				return s, l.i, nil
			}
			if _, _, err := l.token(depth + 1); err != nil {
				return 0, 0, err
			}
		}
	case c == '<':
		e := bytes.IndexByte(l.b[l.i:], '>')
		if e < 0 {
			return 0, 0, errLex
		}
		l.i += e + 1
		return s, l.i, nil
	case c == '[':
		l.i++
		for {
			l.ws()
			if l.i < len(l.b) && l.b[l.i] == ']' {
				l.i++
				return s, l.i, nil
			}
			if _, _, err := l.token(depth + 1); err != nil {
				return 0, 0, err
			}
		}
	case c == '/':
		l.i++
		for l.i < len(l.b) && !isSpace(l.b[l.i]) && !isDelim(l.b[l.i]) {
			l.i++
		}
		return s, l.i, nil
	case c == ')' || c == '>' || c == ']' || c == '{' || c == '}':
		return 0, 0, fmt.Errorf("unexpected %q", c)
	default:
		for l.i < len(l.b) && !isSpace(l.b[l.i]) && !isDelim(l.b[l.i]) {
			l.i++
		}
		return s, l.i, nil
	}
}

// sigDictSpans reads the object that starts at off ("num gen obj <<...>>")
// and returns the spans of its top-level /Contents and /ByteRange values
// (a value may be several tokens, as in "5 0 R"). A key given twice is an error.
func sigDictSpans(pdf []byte, off int64, num int) (contents, byteRange [2]int, err error) {
	if off < 0 || off >= int64(len(pdf)) {
		return contents, byteRange, errors.New("the object's offset is outside the file")
	}
	l := &lexer{b: pdf, i: int(off)}
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
	l.ws()
	if !bytes.HasPrefix(pdf[l.i:], []byte("<<")) {
		return contents, byteRange, errors.New("the signature is not a dictionary")
	}
	l.i += 2
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
		l.ws()
		if l.i+1 < len(pdf) && pdf[l.i] == '>' && pdf[l.i+1] == '>' {
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
