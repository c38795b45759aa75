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
