// Package ccitttest writes CCITT Group 3 and Group 4 data: the variants
// office scanners write, which ccitt.Reduced must read. It generates the
// bilevel scans of tests and samples.
package ccitttest

import (
	"image"

	"github.com/sohoa/sohoa/pkg/format/ccitt/internal/t4"
)

// EncodeOptions choose the variant Encode writes, as scanners differ.
type EncodeOptions struct {
	K                int  // < 0 G4, 0 G3 1-D, > 0 G3 2-D with a 1-D row every K rows
	EncodedByteAlign bool // rows (G3 with EOL: each EOL's end) on byte boundaries
	NoEOL            bool // G3 without end-of-line codes (TIFF "Modified Huffman")
	NoEOB            bool // no end-of-block (G4 EOFB, G3 RTC), as many PDF writers do
}

// Encode compresses img (pixels darker than 128 are black) with CCITT
// coding. It exists to generate the bilevel scans of tests and samples: the
// variants office scanners write, which Reduced must read.
func Encode(img *image.Gray, o EncodeOptions) []byte {
	b := img.Bounds()
	w := b.Dx()
	e := &encoder{}
	ref := []int{w, w}
	cur := make([]int, 0, 64)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		cur = cur[:0]
		black := false
		row := img.Pix[img.PixOffset(b.Min.X, y):][:w]
		for x, v := range row {
			if (v < 128) != black {
				cur = append(cur, x)
				black = !black
			}
		}
		cur = append(cur, w, w)
		twoD := o.K < 0 || (o.K > 0 && (y-b.Min.Y)%o.K != 0)
		switch {
		case o.K < 0:
			if o.EncodedByteAlign {
				e.align()
			}
		case o.NoEOL:
			if o.EncodedByteAlign || y > b.Min.Y {
				e.align()
			}
		default:
			if o.EncodedByteAlign {
				// fill so that the EOL ends on a byte boundary
				for (e.n+12)%8 != 0 {
					e.put(0, 1)
				}
			}
			e.put(1, 12)
			if o.K > 0 {
				if twoD {
					e.put(0, 1)
				} else {
					e.put(1, 1)
				}
			}
		}
		if twoD {
			e.row2D(cur, ref, w)
		} else {
			e.row1D(cur, w)
		}
		ref, cur = cur, ref
	}
	if !o.NoEOB {
		switch {
		case o.K < 0:
			e.put(1, 12)
			e.put(1, 12)
		case !o.NoEOL:
			for range 6 {
				e.put(1, 12)
				if o.K > 0 {
					e.put(1, 1)
				}
			}
		}
	}
	e.align()
	return e.out
}

type encoder struct {
	out []byte
	n   int // bits written
}

func (e *encoder) put(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		if e.n%8 == 0 {
			e.out = append(e.out, 0)
		}
		if v>>uint(i)&1 == 1 {
			e.out[len(e.out)-1] |= 0x80 >> uint(e.n%8)
		}
		e.n++
	}
}

func (e *encoder) putStr(s string) {
	for _, c := range s {
		e.put(uint32(c-'0'), 1)
	}
}

func (e *encoder) align() {
	for e.n%8 != 0 {
		e.put(0, 1)
	}
}

func (e *encoder) run(r int, white bool) {
	codes := t4.Black
	if white {
		codes = t4.White
	}
	find := func(v int) string {
		for _, c := range codes {
			if int(c.Val) == v {
				return c.Str
			}
		}
		panic("ccitttest: no code for run") // unreachable: the tables hold every value used
	}
	for r >= 2560 {
		e.putStr(find(2560))
		r -= 2560
	}
	if r >= 64 {
		e.putStr(find(r / 64 * 64))
		r %= 64
	}
	e.putStr(find(r))
}

// row1D writes alternating runs; cur holds the changing elements + 2 sentinels.
func (e *encoder) row1D(cur []int, w int) {
	a0, white := 0, true
	for _, c := range cur {
		if a0 >= w && c >= w {
			break
		}
		c = min(c, w)
		e.run(c-a0, white)
		a0, white = c, !white
		if a0 >= w {
			break
		}
	}
}

// row2D writes a row coded against ref (T.4 §4.2.1.3.4).
func (e *encoder) row2D(cur, ref []int, w int) {
	a0, white := -1, true
	i, j := 0, 0
	for a0 < w {
		for j < len(cur) && cur[j] <= a0 {
			j++
		}
		a1, a2 := w, w
		if j < len(cur) {
			a1 = cur[j]
		}
		if j+1 < len(cur) {
			a2 = cur[j+1]
		}
		i = max(i-2, 0)
		for i < len(ref) && (ref[i] <= a0 || (i%2 == 0) != white) {
			i++
		}
		b1, b2 := w, w
		if i < len(ref) {
			b1 = ref[i]
		}
		if i+1 < len(ref) {
			b2 = ref[i+1]
		}
		switch {
		case b2 < a1:
			e.putStr("0001")
			a0 = b2
		case a1-b1 >= -3 && a1-b1 <= 3:
			e.putStr([]string{"0000010", "000010", "010", "1", "011", "000011", "0000011"}[a1-b1+3])
			a0, white = a1, !white
		default:
			e.putStr("001")
			e.run(a1-max(a0, 0), white)
			e.run(a2-a1, !white)
			a0 = a2
		}
	}
}
