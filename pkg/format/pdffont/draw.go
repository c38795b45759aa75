package pdffont

import (
	"fmt"
	"math"
	"strings"
)

// Lines returns the content-stream operators that draw lines of text in the
// font resource res at size points, the first baseline at (x, y) and each
// next one lead points lower, and records their glyphs in t. It is the one
// drawer of Vietnamese text on Sohoa's PDFs: the conversion mark, the
// visible signature and the separator sheet all set their words with it, as
// real text (an embedded subset with a ToUnicode map: selectable,
// searchable, read aloud), never as pictures of text. The caller sets the
// colour and writes the font with Embed or Write.
func (t *Text) Lines(res string, x, y, size, lead float64, lines []string) string {
	var c strings.Builder
	fmt.Fprintf(&c, "BT /%s %s Tf %s TL %s Td\n", res, Nums(size), Nums(lead), Nums(x, y))
	for i, l := range lines {
		if i > 0 {
			c.WriteString("T* ")
		}
		fmt.Fprintf(&c, "%s Tj\n", t.Hex(l))
	}
	c.WriteString("ET\n")
	return c.String()
}

// Fit returns the largest size, from max down to min in steps of a quarter
// point, at which lines set with a leading of 1.25 × size fit in a box of
// w × h points; 0 when they do not fit even at min.
func (f *Font) Fit(lines []string, w, h, max, min float64) float64 {
	for size := max; size >= min; size -= 0.25 {
		if f.Ascent(size)-f.Descent(size)+float64(len(lines)-1)*1.25*size > h {
			continue
		}
		fits := true
		for _, l := range lines {
			if f.Width(l, size) > w {
				fits = false
				break
			}
		}
		if fits {
			return size
		}
	}
	return 0
}

// Missing returns the first character of s the font has no glyph for
// (which would be drawn as '?'), and false when it has them all.
func (f *Font) Missing(s string) (rune, bool) {
	for _, r := range s {
		if _, ok := f.glyphs[r]; !ok && r >= ' ' {
			return r, true
		}
	}
	return 0, false
}

// Nums formats numbers for a content stream, separated by spaces.
func Nums(vs ...float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		s := strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
		if s == "-0" || s == "" {
			s = "0"
		}
		parts[i] = s
	}
	return strings.Join(parts, " ")
}
