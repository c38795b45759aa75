package stamp

import (
	"math"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/sohoa/sohoa/pkg/format/ink"
)

// Placement says where the conversion mark went.
type Placement int

// Placements of the mark.
const (
	// PlacedTopLeft: at the page's top-left corner, as the rule asks (also
	// where it goes when no ink map is known).
	PlacedTopLeft Placement = iota
	// PlacedEmpty: in the empty area of the page nearest the top-left.
	PlacedEmpty
	// PlacedCompact: in a smaller, compact form, in the empty area nearest
	// the top-left, the full form finding no room.
	PlacedCompact
	// PlacedBand: in a band added above the page, the page having no
	// empty area large enough (a full-bleed photograph).
	PlacedBand
)

// findEmpty returns the display-space origin (bottom-left, points) of a
// boxW × boxH box on a w × h page that covers no inked cell of m and keeps
// inset from the page's edges, choosing the free position nearest the
// top-left (distance down counts twice distance across: the rule puts the
// mark at the top). ok is false when there is none.
func findEmpty(m *ink.Map, w, h, boxW, boxH, inset float64) (x, y float64, ok bool) {
	cw, ch := w/float64(m.Cols), h/float64(m.Rows)
	// Cells the box covers, with a margin of one cell of paper around it.
	nc := int(math.Ceil(boxW/cw)) + 2
	nr := int(math.Ceil(boxH/ch)) + 2
	c0 := int(math.Ceil(inset / cw))
	r0 := int(math.Ceil(inset / ch))
	// A summed-area table of ink makes each candidate O(1).
	sat := make([]int32, (m.Cols+1)*(m.Rows+1))
	stride := m.Cols + 1
	for r := range m.Rows {
		var run int32
		for c := range m.Cols {
			if m.Ink(c, r) {
				run++
			}
			sat[(r+1)*stride+c+1] = sat[r*stride+c+1] + run
		}
	}
	sum := func(c, r, nc, nr int) int32 {
		return sat[(r+nr)*stride+c+nc] - sat[r*stride+c+nc] - sat[(r+nr)*stride+c] + sat[r*stride+c]
	}
	best := math.Inf(1)
	bc, br := -1, -1
	for r := max(r0-1, 0); r+nr <= m.Rows-r0+1 && r+nr <= m.Rows; r++ {
		for c := max(c0-1, 0); c+nc <= m.Cols-c0+1 && c+nc <= m.Cols; c++ {
			cost := 2*float64(r) + float64(c)
			if cost >= best {
				break
			}
			if sum(c, r, nc, nr) == 0 {
				best, bc, br = cost, c, r
				break
			}
		}
	}
	if bc < 0 {
		return 0, 0, false
	}
	// The box sits inside the free cells, one cell in from their edge.
	x = float64(bc+1) * cw
	top := float64(br+1) * ch
	return x, h - top - boxH, true
}

// ConversionMarkPlaced is ConversionMark that also says where the mark went
// (see Placement): with m.Ink, in the empty area nearest the top-left of
// page 1, in a compact form when the full one finds no room, or in a band
// of paper added above the page when nothing on it is empty.
func (s *Stamper) ConversionMarkPlaced(pdf []byte, m Mark) ([]byte, Placement, error) {
	var placed Placement
	out, err := s.conversionMark(pdf, m, &placed)
	return out, placed, err
}

// placement is where and how big the mark is drawn, in display space.
type placement struct {
	where      Placement
	x, y, h    float64 // box origin; the page's height (grown for PlacedBand)
	size, pad  float64 // compact form: font size and padding
	lines      []string
	boxW, boxH float64
}

// place finds room for a boxW × boxH mark on page 1 (w × h points as
// displayed, the page turned by rot) from m.Ink (as displayed): the empty
// area nearest the top-left, else the compact form there, else a band added
// above the page as displayed (the page's MediaBox and CropBox grown on the
// side that is shown on top).
func (s *Stamper) place(m Mark, page types.Dict, box *types.Rectangle, rot int, w, h, size, pad, inset, boxW, boxH float64) placement {
	if m.Ink.Valid() {
		if x, y, ok := findEmpty(m.Ink, w, h, boxW, boxH, inset); ok {
			// The first free spot may be the corner itself (within the
			// rounding to cells): then the mark sits where the rule puts it.
			cw, ch := w/float64(m.Ink.Cols), h/float64(m.Ink.Rows)
			if x <= inset+1.5*cw && h-y-boxH <= inset+1.5*ch {
				return placement{where: PlacedTopLeft, x: x, y: y, h: h}
			}
			return placement{where: PlacedEmpty, x: x, y: y, h: h}
		}
		cs, cp := size*compactShare, pad*compactShare
		var lines []string
		for _, l := range m.Lines() {
			lines = append(lines, s.font.Wrap(l, cs, w*maxShare-2*cp)...)
		}
		textW := 0.0
		for _, l := range lines {
			textW = max(textW, s.font.Width(l, cs))
		}
		cw := textW + 2*cp
		ch := 2*cp + s.font.Ascent(cs) + float64(len(lines)-1)*cs*1.25 - s.font.Descent(cs)
		if x, y, ok := findEmpty(m.Ink, w, h, cw, ch, inset*compactShare); ok {
			return placement{where: PlacedCompact, x: x, y: y, h: h, size: cs, pad: cp, lines: lines, boxW: cw, boxH: ch}
		}
	}
	band := boxH + 2*inset
	// The display-to-user matrix of markFirstPage keeps its origin on each
	// of these sides.
	llx, lly, urx, ury := box.LL.X, box.LL.Y, box.UR.X, box.UR.Y
	switch rot {
	case 90:
		llx -= band
	case 180:
		lly -= band
	case 270:
		urx += band
	default:
		ury += band
	}
	grown := types.NewRectangle(llx, lly, urx, ury)
	page["MediaBox"] = grown.Array()
	if _, ok := page.Find("CropBox"); ok {
		page["CropBox"] = grown.Array()
	}
	return placement{where: PlacedBand, x: inset, y: h + band - inset - boxH, h: h + band}
}

// compactShare is the size of the compact mark relative to the full one.
const compactShare = 0.7
