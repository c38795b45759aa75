// Package mrztest writes TD1 machine-readable zones with correct check
// digits, for tests and the sample generator: the zones that package mrz
// must read back.
package mrztest

import (
	"fmt"
	"strings"

	"github.com/sohoa/sohoa/pkg/format/mrz"
)

// Encode writes a TD1 zone for the given fields with correct check digits;
// tests and the sample generator print it on specimen cards. Names are upper-case
// ASCII words; documentNumber is at most 9 characters.
func Encode(documentCode, state, documentNumber, optional1 string, birth mrz.Date, sex string, expiry *mrz.Date, nationality, optional2, surname, given string) ([3]string, error) {
	pad := func(s string, n int) (string, error) {
		if len(s) > n {
			return "", fmt.Errorf("mrztest: %q longer than %d", s, n)
		}
		return s + strings.Repeat("<", n-len(s)), nil
	}
	var err error
	var docCode, st, num, opt1, nat, opt2 string
	for _, f := range []struct {
		dst *string
		v   string
		n   int
	}{{&docCode, documentCode, 2}, {&st, state, 3}, {&num, documentNumber, 9}, {&opt1, optional1, 15}, {&nat, nationality, 3}, {&opt2, optional2, 11}} {
		if *f.dst, err = pad(f.v, f.n); err != nil {
			return [3]string{}, err
		}
	}
	numCheck, _ := mrz.CheckDigit(num)
	l1 := docCode + st + num + string(numCheck) + opt1
	dob := fmt.Sprintf("%02d%02d%02d", birth.Year%100, birth.Month, birth.Day)
	dobCheck, _ := mrz.CheckDigit(dob)
	exp, expCheck := "<<<<<<", byte('<')
	if expiry != nil {
		exp = fmt.Sprintf("%02d%02d%02d", expiry.Year%100, expiry.Month, expiry.Day)
		expCheck, _ = mrz.CheckDigit(exp)
	}
	if sex == "" {
		sex = "<"
	}
	l2 := dob + string(dobCheck) + sex + exp + string(expCheck) + nat + opt2
	comp, _ := mrz.CheckDigit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
	l2 += string(comp)
	name := strings.ReplaceAll(surname, " ", "<") + "<<" + strings.ReplaceAll(given, " ", "<")
	if len(name) > mrz.LineLen {
		name = name[:mrz.LineLen]
	}
	l3, _ := pad(name, mrz.LineLen)
	out := [3]string{l1, l2, l3}
	for i, l := range out {
		if len(l) != mrz.LineLen {
			return out, fmt.Errorf("mrztest: line %d has %d characters", i+1, len(l))
		}
		for j := 0; j < len(l); j++ {
			if c := l[j]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '<') {
				return out, fmt.Errorf("mrztest: line %d character %d is %q", i+1, j+1, l[j])
			}
		}
	}
	return out, nil
}
