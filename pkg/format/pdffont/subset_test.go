package pdffont

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
)

func TestSubsetKeepsCompositeParts(t *testing.T) {
	f := mustFont(t)
	text := f.NewText()
	text.Hex("Nguyễn Thị Lĩnh — Đăng ký")
	prog, err := subset(f.ttf, text.sortedGlyphs())
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) >= len(f.ttf)/2 {
		t.Errorf("subset is %d bytes of %d: glyphs not dropped", len(prog), len(f.ttf))
	}
	// Every used glyph, and every glyph a composite is built from, keeps its
	// outline; the others are empty.
	orig, err := glyphTable(f.ttf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := glyphTable(prog)
	if err != nil {
		t.Fatalf("subset unreadable: %v", err)
	}
	kept := 0
	for g, data := range got {
		if len(data) > 0 {
			kept++
			if !bytes.Equal(data, orig[g]) {
				t.Errorf("glyph %d changed", g)
			}
		}
	}
	for _, g := range text.sortedGlyphs() {
		if g != f.glyphs[' '].gid && len(got[g]) == 0 {
			t.Errorf("used glyph %d dropped", g)
		}
		comps, _ := components(orig[g])
		for _, c := range comps {
			if len(got[c]) == 0 {
				t.Errorf("component %d of glyph %d dropped", c, g)
			}
		}
	}
	if kept >= len(orig)/10 {
		t.Errorf("kept %d of %d glyphs", kept, len(orig))
	}
}

// glyphTable returns each glyph's glyf data, via head, maxp and loca.
func glyphTable(ttf []byte) ([][]byte, error) {
	tables, err := readTables(ttf)
	if err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(tables["maxp"][4:]))
	long := binary.BigEndian.Uint16(tables["head"][50:]) == 1
	loca, glyf := tables["loca"], tables["glyf"]
	off := func(i int) int {
		if long {
			return int(binary.BigEndian.Uint32(loca[4*i:]))
		}
		return 2 * int(binary.BigEndian.Uint16(loca[2*i:]))
	}
	out := make([][]byte, n)
	for i := range n {
		a, b := off(i), off(i+1)
		if a > b || b > len(glyf) {
			return nil, fmt.Errorf("glyph %d outside glyf", i)
		}
		out[i] = glyf[a:b]
	}
	return out, nil
}
