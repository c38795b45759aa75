package scan

import (
	"image"

	"github.com/sohoa/sohoa/pkg/format/ink"
)

// InkMap is where a page has ink, computed from the reduced page image (see
// package ink); the conversion mark is placed where it is clear.
type InkMap = ink.Map

// inkCell is the side of an InkMap cell in pixels of the reduced page
// (about 2 mm of an A4 page), and inkLevel the grey below which a pixel of
// the reduced page counts as ink: lighter than BlankDarkLevel, so that faint
// print and anti-aliased edges count too.
const (
	inkCell  = 4
	inkLevel = 200
)

// inkMapOf maps the ink of a reduced page image.
func inkMapOf(g *image.Gray) *InkMap {
	b := g.Bounds()
	m := &InkMap{Cols: (b.Dx() + inkCell - 1) / inkCell, Rows: (b.Dy() + inkCell - 1) / inkCell}
	m.Bits = make([]byte, (m.Cols*m.Rows+7)/8)
	for y := 0; y < b.Dy(); y++ {
		row := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):][:b.Dx()]
		r := y / inkCell
		for x, v := range row {
			if v < inkLevel {
				i := r*m.Cols + x/inkCell
				m.Bits[i/8] |= 0x80 >> (i % 8)
			}
		}
	}
	return m
}

// allInk is the map of a page whose ink is not known from its images (a
// born-digital page's text is not rendered): every cell inked.
func allInk() *InkMap { return &InkMap{Cols: 1, Rows: 1, Bits: []byte{0x80}} }

// rotated returns m turned clockwise by deg (0, 90, 180 or 270): the map
// of the page as displayed when it is stored with /Rotate deg.
func rotated(m *InkMap, deg int) *InkMap {
	if m == nil || deg%360 == 0 {
		return m
	}
	out := &InkMap{Cols: m.Cols, Rows: m.Rows}
	if deg == 90 || deg == 270 {
		out.Cols, out.Rows = m.Rows, m.Cols
	}
	out.Bits = make([]byte, (out.Cols*out.Rows+7)/8)
	for r := range m.Rows {
		for c := range m.Cols {
			if !m.Ink(c, r) {
				continue
			}
			var x, y int
			switch deg {
			case 90:
				x, y = m.Rows-1-r, c
			case 180:
				x, y = m.Cols-1-c, m.Rows-1-r
			case 270:
				x, y = r, m.Cols-1-c
			default:
				return m
			}
			i := y*out.Cols + x
			out.Bits[i/8] |= 0x80 >> (i % 8)
		}
	}
	return out
}
