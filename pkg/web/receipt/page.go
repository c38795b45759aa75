package receipt

import (
	"fmt"
	"strings"

	"github.com/sohoa/sohoa/pkg/format/pdffont"
)

// A4 in PDF points.
const (
	pageW = 595.28
	pageH = 841.89
)

// canvas writes the content streams of the receipt's pages.
type canvas struct {
	regular, bold *pdffont.Text
	pages         []*strings.Builder
	at            int // index of the page being drawn
}

// Resource names of the two fonts.
const (
	resRegular = "F1"
	resBold    = "F2"
)

func (c *canvas) newPage() {
	c.pages = append(c.pages, &strings.Builder{})
	c.at = len(c.pages) - 1
}

func (c *canvas) cur() *strings.Builder { return c.pages[c.at] }

// text draws s with its baseline starting at (x, y).
func (c *canvas) text(x, y, size float64, bold bool, s string) {
	t, res := c.regular, resRegular
	if bold {
		t, res = c.bold, resBold
	}
	c.cur().WriteString(t.Lines(res, x, y, size, size*1.25, []string{s}))
}

// width returns the width of s.
func (c *canvas) width(s string, size float64, bold bool) float64 {
	if bold {
		return c.bold.Font().Width(s, size)
	}
	return c.regular.Font().Width(s, size)
}

// centred draws s centred on cx.
func (c *canvas) centred(cx, y, size float64, bold bool, s string) {
	c.text(cx-c.width(s, size, bold)/2, y, size, bold, s)
}

// line draws a line of width w.
func (c *canvas) line(x1, y1, x2, y2, w float64) {
	fmt.Fprintf(c.cur(), "%s w %s %s m %s %s l S\n", num(w), num(x1), num(y1), num(x2), num(y2))
}

// rect strokes a rectangle.
func (c *canvas) rect(x, y, w, h, lw float64) {
	fmt.Fprintf(c.cur(), "%s w %s %s %s %s re S\n", num(lw), num(x), num(y), num(w), num(h))
}

// qr draws a QR bitmap (true = dark module, quiet zone included) as filled
// vector squares in a size×size square whose lower-left corner is (x, y):
// runs of dark modules in a row become one rectangle.
func (c *canvas) qr(bitmap [][]bool, x, y, size float64) {
	n := len(bitmap)
	if n == 0 {
		return
	}
	m := size / float64(n)
	b := c.cur()
	b.WriteString("q 0 g\n")
	for row, line := range bitmap {
		for col := 0; col < len(line); {
			if !line[col] {
				col++
				continue
			}
			start := col
			for col < len(line) && line[col] {
				col++
			}
			fmt.Fprintf(b, "%s %s %s %s re\n", num(x+float64(start)*m), num(y+size-float64(row+1)*m), num(float64(col-start)*m), num(m))
		}
	}
	b.WriteString("f Q\n")
}

// num formats a coordinate for a content stream.
func num(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}
