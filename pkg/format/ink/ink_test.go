package ink_test

import (
	"testing"

	"github.com/sohoa/sohoa/pkg/format/ink"
)

func TestMap(t *testing.T) {
	// 3 × 2 cells, inked at (0,0) and (2,1): bits 100 001.
	m := &ink.Map{Cols: 3, Rows: 2, Bits: []byte{0b1000_0100}}
	short := &ink.Map{Cols: 4, Rows: 4, Bits: []byte{0}} // 16 cells, 8 bits known
	for _, tt := range []struct {
		name string
		m    *ink.Map
		c, r int
		want bool
	}{
		{"inked cell", m, 0, 0, true},
		{"paper", m, 1, 0, false},
		{"inked on the second row", m, 2, 1, true},
		{"outside, left", m, -1, 0, false},
		{"outside, right", m, 3, 0, false},
		{"outside, below", m, 0, 2, false},
		{"known paper of a short map", short, 3, 1, false},
		{"beyond a short map's bits counts as ink", short, 0, 2, true},
	} {
		if got := tt.m.Ink(tt.c, tt.r); got != tt.want {
			t.Errorf("%s: Ink(%d, %d) = %v", tt.name, tt.c, tt.r, got)
		}
	}
	for _, tt := range []struct {
		m    *ink.Map
		want bool
	}{
		{nil, false}, {&ink.Map{}, false}, {m, true}, {&ink.Map{Cols: 5000, Rows: 1}, false},
	} {
		if got := tt.m.Valid(); got != tt.want {
			t.Errorf("Valid(%+v) = %v", tt.m, got)
		}
	}
}
