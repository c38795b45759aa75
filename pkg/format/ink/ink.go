// Package ink holds the ink map: where a page has ink, in coarse cells. The
// scan reader computes it from the reduced page image it already has; the
// stamp package places the conversion mark where the map shows paper.
package ink

// Map is a coarse map of where a page has ink, as displayed (its /Rotate
// applied): Cols × Rows equal cells over the page, row 0 at the top, one bit
// a cell (row-major, most significant bit first), set where the cell is not
// empty paper.
type Map struct {
	Cols, Rows int
	Bits       []byte
}

// maxSide bounds a map's columns and rows: a map read back from storage is
// trusted only when it describes a page.
const maxSide = 4096

// Ink reports whether cell (c, r) has ink; cells outside the map have none,
// and a cell beyond a short map's bits counts as ink (unknown).
func (m *Map) Ink(c, r int) bool {
	if c < 0 || r < 0 || c >= m.Cols || r >= m.Rows {
		return false
	}
	i := r*m.Cols + c
	if i/8 >= len(m.Bits) {
		return true
	}
	return m.Bits[i/8]&(0x80>>(i%8)) != 0
}

// Valid reports whether the map describes a page.
func (m *Map) Valid() bool {
	return m != nil && m.Cols > 0 && m.Rows > 0 && m.Cols <= maxSide && m.Rows <= maxSide
}

// Box returns the bounding box of the page's ink as fractions of the page
// (0 at the left and top, 1 at the right and bottom), leaving out cells
// inked alone (dust, a speck of toner): a card laid on the glass gives the
// card's outline. ok is false when no two neighbouring cells are inked.
func (m *Map) Box() (x0, y0, x1, y1 float64, ok bool) {
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
func (m *Map) neighboured(c, r int) bool {
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
