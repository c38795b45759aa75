package scan

import "image"

// InkMap is a coarse map of where a page has ink, from the reduced page
// image: Cols × Rows cells over the page as displayed (its /Rotate
// applied; row 0 at the top), one
// bit a cell (row-major, most significant bit first), set where the cell is
// not empty paper. The conversion mark is placed where it is clear.
type InkMap struct {
	Cols, Rows int
	Bits       []byte
}

// Ink reports whether cell (c, r) has ink.
func (m *InkMap) Ink(c, r int) bool {
	i := r*m.Cols + c
	return m.Bits[i/8]&(0x80>>(i%8)) != 0
}

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
func (m *InkMap) rotated(deg int) *InkMap {
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

// Box returns the bounding box of the page's ink as fractions of the page
// (0 at the left and top, 1 at the right and bottom), leaving out cells
// inked alone (dust, a speck of toner): a card laid on the glass gives the
// card's outline. ok is false when no two neighbouring cells are inked.
func (m *InkMap) Box() (x0, y0, x1, y1 float64, ok bool) {
	if m == nil || m.Cols <= 0 || m.Rows <= 0 || len(m.Bits)*8 < m.Cols*m.Rows {
		return 0, 0, 0, 0, false
	}
	c0, r0, c1, r1 := m.Cols, m.Rows, -1, -1
	for r := range m.Rows {
		for c := range m.Cols {
			if !m.Ink(c, r) || !m.neighboured(c, r) {
				continue
			}
			c0, r0, c1, r1 = min(c0, c), min(r0, r), max(c1, c), max(r1, r)
		}
	}
	if c1 < 0 {
		return 0, 0, 0, 0, false
	}
	return float64(c0) / float64(m.Cols), float64(r0) / float64(m.Rows),
		float64(c1+1) / float64(m.Cols), float64(r1+1) / float64(m.Rows), true
}

// neighboured reports whether one of the eight cells around (c, r) is inked.
func (m *InkMap) neighboured(c, r int) bool {
	for dr := -1; dr <= 1; dr++ {
		for dc := -1; dc <= 1; dc++ {
			x, y := c+dc, r+dr
			if (dc != 0 || dr != 0) && x >= 0 && y >= 0 && x < m.Cols && y < m.Rows && m.Ink(x, y) {
				return true
			}
		}
	}
	return false
}
