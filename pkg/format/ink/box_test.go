package ink

import "testing"

func TestInkMapBox(t *testing.T) {
	mk := func(cols, rows int, cells ...[2]int) *Map {
		m := &Map{Cols: cols, Rows: rows, Bits: make([]byte, (cols*rows+7)/8)}
		for _, c := range cells {
			i := c[1]*cols + c[0]
			m.Bits[i/8] |= 0x80 >> (i % 8)
		}
		return m
	}
	tests := []struct {
		name           string
		m              *Map
		x0, y0, x1, y1 float64
		ok             bool
	}{
		{"nil", nil, 0, 0, 0, 0, false},
		{"empty", mk(10, 10), 0, 0, 0, 0, false},
		{"dust only", mk(10, 10, [2]int{1, 1}, [2]int{8, 8}), 0, 0, 0, 0, false},
		{"block and dust", mk(10, 10, [2]int{2, 2}, [2]int{3, 2}, [2]int{3, 4}, [2]int{4, 5}, [2]int{9, 9}), 0.2, 0.2, 0.5, 0.6, true},
		{"short bits", &Map{Cols: 10, Rows: 10, Bits: []byte{0xff}}, 0, 0, 0, 0, false},
	}
	for _, tt := range tests {
		x0, y0, x1, y1, ok := tt.m.Box()
		if ok != tt.ok || x0 != tt.x0 || y0 != tt.y0 || x1 != tt.x1 || y1 != tt.y1 {
			t.Errorf("%s: Box() = %v %v %v %v %v", tt.name, x0, y0, x1, y1, ok)
		}
	}
}
