package pdffont

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// subsetTables are the TrueType tables a PDF CIDFontType2 program needs (PDF
// 32000-1 9.9: glyf, head, hhea, hmtx, loca, maxp, and the hinting tables
// cvt, fpgm, prep); OS/2 is small and kept for tools that read it. The post
// table (glyph names, 62 KB in DejaVu Sans) is not needed with Identity-H.
var subsetTables = []string{"OS/2", "cvt ", "fpgm", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "prep"}

// subset returns the TrueType program ttf with every glyph outside gids (and
// the glyphs their composites are built from, and .notdef) emptied. Glyph
// indices are unchanged, so the PDF's CIDToGIDMap stays Identity; only the
// glyf and loca tables shrink. The result has a long loca table.
func subset(ttf []byte, gids []uint16) ([]byte, error) {
	tables, err := readTables(ttf)
	if err != nil {
		return nil, err
	}
	head, ok1 := tables["head"]
	maxp, ok2 := tables["maxp"]
	loca, ok3 := tables["loca"]
	glyf, ok4 := tables["glyf"]
	if !ok1 || !ok2 || !ok3 || !ok4 || len(head) < 54 || len(maxp) < 6 {
		return nil, errors.New("not a TrueType font with glyf outlines")
	}
	numGlyphs := int(binary.BigEndian.Uint16(maxp[4:]))
	long := binary.BigEndian.Uint16(head[50:]) == 1
	offsets := make([]int, numGlyphs+1)
	for i := range offsets {
		if long {
			if 4*i+4 > len(loca) {
				return nil, errors.New("loca table too short")
			}
			offsets[i] = int(binary.BigEndian.Uint32(loca[4*i:]))
		} else {
			if 2*i+2 > len(loca) {
				return nil, errors.New("loca table too short")
			}
			offsets[i] = 2 * int(binary.BigEndian.Uint16(loca[2*i:]))
		}
	}
	glyphData := func(g int) ([]byte, error) {
		a, b := offsets[g], offsets[g+1]
		if a > b || b > len(glyf) {
			return nil, fmt.Errorf("glyph %d out of the glyf table", g)
		}
		return glyf[a:b], nil
	}

	// Keep .notdef, the used glyphs, and the components of composites.
	keep := map[int]bool{0: true}
	todo := []int{0}
	for _, g := range gids {
		if int(g) < numGlyphs && !keep[int(g)] {
			keep[int(g)] = true
			todo = append(todo, int(g))
		}
	}
	for len(todo) > 0 {
		g := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		data, err := glyphData(g)
		if err != nil {
			return nil, err
		}
		comps, err := components(data)
		if err != nil {
			return nil, fmt.Errorf("glyph %d: %w", g, err)
		}
		for _, c := range comps {
			if c < numGlyphs && !keep[c] {
				keep[c] = true
				todo = append(todo, c)
			}
		}
	}

	var newGlyf []byte
	newLoca := make([]byte, 4*(numGlyphs+1))
	for g := 0; g < numGlyphs; g++ {
		binary.BigEndian.PutUint32(newLoca[4*g:], uint32(len(newGlyf)))
		if !keep[g] {
			continue
		}
		data, err := glyphData(g)
		if err != nil {
			return nil, err
		}
		newGlyf = append(newGlyf, data...)
		for len(newGlyf)%4 != 0 {
			newGlyf = append(newGlyf, 0)
		}
	}
	binary.BigEndian.PutUint32(newLoca[4*numGlyphs:], uint32(len(newGlyf)))

	newHead := append([]byte(nil), head...)
	binary.BigEndian.PutUint32(newHead[8:], 0) // checkSumAdjustment, recomputed below
	binary.BigEndian.PutUint16(newHead[50:], 1)

	out := map[string][]byte{"head": newHead, "loca": newLoca, "glyf": newGlyf}
	for _, tag := range subsetTables {
		if _, done := out[tag]; done {
			continue
		}
		if t, ok := tables[tag]; ok {
			out[tag] = t
		}
	}
	return writeTables(out), nil
}

// components returns the glyph indices a composite glyph is built from
// (OpenType glyf table, composite glyph description), none for a simple one.
func components(data []byte) ([]int, error) {
	if len(data) == 0 {
		return nil, nil
	}
	if len(data) < 10 {
		return nil, errors.New("glyph header too short")
	}
	if int16(binary.BigEndian.Uint16(data)) >= 0 {
		return nil, nil
	}
	const (
		argsAreWords  = 0x0001
		haveScale     = 0x0008
		moreComps     = 0x0020
		haveXYScale   = 0x0040
		haveTwoByTwo  = 0x0080
		maxComponents = 64
	)
	var out []int
	p := 10
	for range maxComponents {
		if p+4 > len(data) {
			return nil, errors.New("composite glyph truncated")
		}
		flags := binary.BigEndian.Uint16(data[p:])
		out = append(out, int(binary.BigEndian.Uint16(data[p+2:])))
		p += 4
		if flags&argsAreWords != 0 {
			p += 4
		} else {
			p += 2
		}
		switch {
		case flags&haveScale != 0:
			p += 2
		case flags&haveXYScale != 0:
			p += 4
		case flags&haveTwoByTwo != 0:
			p += 8
		}
		if flags&moreComps == 0 {
			return out, nil
		}
	}
	return nil, errors.New("composite glyph with too many components")
}

// readTables returns the tables of a TrueType font by tag.
func readTables(ttf []byte) (map[string][]byte, error) {
	if len(ttf) < 12 {
		return nil, errors.New("font too short")
	}
	n := int(binary.BigEndian.Uint16(ttf[4:]))
	if 12+16*n > len(ttf) {
		return nil, errors.New("font table directory truncated")
	}
	tables := make(map[string][]byte, n)
	for i := range n {
		rec := ttf[12+16*i:]
		off, length := int(binary.BigEndian.Uint32(rec[8:])), int(binary.BigEndian.Uint32(rec[12:]))
		if off < 0 || length < 0 || off+length > len(ttf) {
			return nil, fmt.Errorf("font table %q out of the file", rec[:4])
		}
		tables[string(rec[:4])] = ttf[off : off+length]
	}
	return tables, nil
}

// writeTables assembles a TrueType font from its tables, with the table
// directory sorted by tag, 4-byte aligned tables, their checksums and the
// head table's checkSumAdjustment (OpenType "Font file" and "head").
func writeTables(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	entrySelector := 0
	for 1<<(entrySelector+1) <= n {
		entrySelector++
	}
	searchRange := 16 << entrySelector
	hdr := make([]byte, 12+16*n)
	binary.BigEndian.PutUint32(hdr, 0x00010000)
	binary.BigEndian.PutUint16(hdr[4:], uint16(n))
	binary.BigEndian.PutUint16(hdr[6:], uint16(searchRange))
	binary.BigEndian.PutUint16(hdr[8:], uint16(entrySelector))
	binary.BigEndian.PutUint16(hdr[10:], uint16(16*n-searchRange))
	body := []byte{}
	headOff := -1
	for i, tag := range tags {
		t := tables[tag]
		off := len(hdr) + len(body)
		if tag == "head" {
			headOff = off
		}
		rec := hdr[12+16*i:]
		copy(rec, tag)
		binary.BigEndian.PutUint32(rec[4:], checksum(t))
		binary.BigEndian.PutUint32(rec[8:], uint32(off))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(t)))
		body = append(body, t...)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
	}
	font := append(hdr, body...)
	if headOff >= 0 {
		binary.BigEndian.PutUint32(font[headOff+8:], 0xB1B0AFBA-checksum(font))
	}
	return font
}

// checksum is the TrueType table checksum: the sum of big-endian uint32s,
// the last one zero-padded.
func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
