// Package ccitt decodes CCITT Group 3 and Group 4 fax images (ITU-T T.4 and
// T.6), the bilevel compression of office scanners' TIFF and PDF files,
// straight to a grey image reduced by an integer factor: the page image that
// separator and blank-page detection need, without ever holding the full
// bilevel bitmap. A 300-dpi A4 page decodes in a few milliseconds.
//
// It reads every variant PDF's CCITTFaxDecode and TIFF's compressions 2, 3
// and 4 describe: G4 (K < 0) with or without the end-of-block code, G3
// one-dimensional (K = 0) and G3 two-dimensional (K > 0), with or without
// end-of-line codes, byte-aligned or not, bits in either fill order. Like
// poppler it is lenient: a row that does not decode ends the image, and the
// rows not decoded stay white; only an image of which no row decodes is an
// error.
//
// It decodes; it does not encode.
package ccitt

import (
	"errors"
	"fmt"
	"image"
	"math/bits"

	"github.com/sohoa/sohoa/pkg/format/ccitt/internal/t4"
)

// Params describes an encoded image, as PDF's CCITTFaxDecode parameters and
// TIFF's tags do.
type Params struct {
	Width  int // pixels a row (PDF /Columns, TIFF ImageWidth); required
	Height int // rows (PDF /Rows, TIFF ImageLength); 0: until the data or an end-of-block ends
	// K is PDF's /K: < 0 pure two-dimensional (G4), 0 one-dimensional (G3
	// 1-D), > 0 mixed (G3 2-D: each row is tagged 1-D or 2-D after its EOL).
	K int
	// EncodedByteAlign: G4 and G3 1-D rows (G3: each EOL) start on a byte
	// boundary (PDF /EncodedByteAlign, TIFF compression 2 for G3 without EOLs).
	EncodedByteAlign bool
	// LSBFirst: the bits of each byte are stored least significant first
	// (TIFF FillOrder 2).
	LSBFirst bool
	// NoEOL: G3 rows carry no end-of-line codes (TIFF compression 2, "Modified
	// Huffman"). Rows with EOLs are read whether or not the writer said so.
	NoEOL bool
}

// Limits bounds a decode of untrusted data.
type Limits struct {
	MaxPixels int64 // Width × rows; rows beyond it are not decoded
}

// ErrInvalid is returned, wrapped, for data of which no row decodes.
var ErrInvalid = errors.New("ccitt: invalid data")

// Reduced decodes data to a grey image reduced by f in both directions (box
// filter over f×f pixels, 255 white, 0 black; a partial last block is
// dropped like separator.Reduce does), with "black" meaning the code's black
// runs. It also returns the number of rows decoded. The caller maps colours
// (PDF /BlackIs1 and /Decode, TIFF PhotometricInterpretation) by inverting
// the result when needed.
func Reduced(data []byte, p Params, f int, lim Limits) (*image.Gray, int, error) {
	return ReducedStrips([][]byte{data}, 0, p, f, lim)
}

// ReducedStrips is Reduced for an image stored as strips of rowsPerStrip
// rows each (TIFF StripOffsets), every strip coded on its own; rowsPerStrip
// 0 means one strip.
func ReducedStrips(strips [][]byte, rowsPerStrip int, p Params, f int, lim Limits) (*image.Gray, int, error) {
	if len(strips) == 0 {
		return nil, 0, fmt.Errorf("%w: no data", ErrInvalid)
	}
	if p.Width <= 0 || p.Width > 1<<20 || p.Height < 0 {
		return nil, 0, fmt.Errorf("%w: %d×%d", ErrInvalid, p.Width, p.Height)
	}
	f = max(f, 1)
	maxRows := p.Height
	if lim.MaxPixels > 0 {
		if lr := lim.MaxPixels / int64(p.Width); maxRows == 0 || int64(maxRows) > lr {
			maxRows = int(min(lr, 1<<20))
		}
	}
	if maxRows == 0 {
		maxRows = 1 << 20
	}
	strip := 0
	d := newDecoder(strips[0], p)
	stripRows := 0
	ow := p.Width / f
	acc := make([]uint32, ow+1)
	var out []uint8
	if p.Height > 0 {
		out = make([]uint8, 0, ow*(p.Height/f))
	}
	row, inBlock := 0, 0
	grey := make([]uint8, f*f+1) // black pixels in a block → grey
	for i := range grey {
		grey[i] = uint8(255 - i*255/(f*f))
	}
	flush := func() {
		for i := range ow {
			out = append(out, grey[acc[i]])
			acc[i] = 0
		}
		inBlock = 0
	}
	limit := ow * f
	for row < maxRows {
		if rowsPerStrip > 0 && stripRows == rowsPerStrip {
			if strip+1 >= len(strips) {
				break
			}
			strip++
			d, stripRows = newDecoder(strips[strip], p), 0
		}
		ok := d.row()
		if !ok {
			if rowsPerStrip > 0 && strip+1 < len(strips) {
				// A strip that ends early: its missing rows stay white.
				for ; stripRows < rowsPerStrip && row < maxRows; stripRows++ {
					row++
					if inBlock++; inBlock == f {
						flush()
					}
				}
				continue
			}
			break
		}
		row++
		stripRows++
		cur := d.cur
		for i := 0; i+1 < len(cur); i += 2 {
			x0, x1 := cur[i], min(cur[i+1], limit)
			if x0 >= x1 {
				if cur[i] >= limit {
					break
				}
				continue
			}
			addSpan(acc, x0, x1, f)
		}
		inBlock++
		if inBlock == f {
			flush()
		}
	}
	if row == 0 {
		return nil, 0, fmt.Errorf("%w: no row decodes (%v)", ErrInvalid, d.err)
	}
	if p.Height > 0 {
		// Rows the data did not hold stay white, as poppler shows them.
		for len(out) < ow*(p.Height/f) {
			out = append(out, 255)
		}
	}
	oh := len(out) / max(ow, 1)
	g := &image.Gray{Pix: out[:ow*oh], Stride: ow, Rect: image.Rect(0, 0, ow, oh)}
	return g, row, nil
}

// addSpan adds the black pixels [x0, x1) of one row to the per-column counts
// of the reduced row.
func addSpan(acc []uint32, x0, x1, f int) {
	b0, b1 := x0/f, (x1-1)/f
	if b0 == b1 {
		acc[b0] += uint32(x1 - x0)
		return
	}
	acc[b0] += uint32((b0+1)*f - x0)
	uf := uint32(f)
	for b := b0 + 1; b < b1; b++ {
		acc[b] += uf
	}
	acc[b1] += uint32(x1 - b1*f)
}

// decoder holds the bit reader and the two coding lines.
type decoder struct {
	p     Params
	data  []byte
	pos   int    // next byte of data to load
	buf   uint64 // bits not yet consumed, left-aligned
	nbuf  uint   // number of valid bits in buf
	ref   []int  // changing elements of the reference (previous) row, + 2 sentinels
	cur   []int  // changing elements of the row just decoded
	first bool
	done  bool
	err   error
}

func newDecoder(data []byte, p Params) *decoder {
	d := &decoder{p: p, data: data, first: true}
	d.ref = append(make([]int, 0, 64), p.Width, p.Width)
	d.cur = make([]int, 0, 64)
	return d
}

// fill loads bytes until at least 57 bits are buffered or data ends.
func (d *decoder) fill() {
	for d.nbuf <= 56 {
		var b byte
		if d.pos < len(d.data) {
			b = d.data[d.pos]
			if d.p.LSBFirst {
				b = bits.Reverse8(b)
			}
		} else if d.pos >= len(d.data)+8 {
			return
		}
		d.pos++
		d.buf |= uint64(b) << (56 - d.nbuf)
		d.nbuf += 8
	}
}

// exhausted reports whether every bit of data has been consumed.
func (d *decoder) exhausted() bool {
	consumed := d.pos*8 - int(d.nbuf)
	return consumed >= len(d.data)*8
}

func (d *decoder) peek(n uint) uint32 {
	if d.nbuf < n {
		d.fill()
	}
	return uint32(d.buf >> (64 - n))
}

func (d *decoder) skip(n uint) {
	if d.nbuf < n {
		d.fill()
	}
	d.buf <<= n
	d.nbuf -= min(n, d.nbuf)
}

// align drops the bits up to the next byte boundary of the data.
func (d *decoder) align() {
	consumed := d.pos*8 - int(d.nbuf)
	if r := consumed % 8; r != 0 {
		d.skip(uint(8 - r))
	}
}

// eol consumes fill bits and end-of-line codes (000000000001) at the
// current position and returns how many EOLs it found. It consumes nothing
// that is not an EOL: a row may start with zero bits (white run 0 is
// 00110101). In byte-aligned G3 the fill zeros before an EOL make it end on
// a byte boundary; they are part of the zeros counted here.
func (d *decoder) eol() int {
	n := 0
	for !d.exhausted() {
		d.fill()
		lz := bits.LeadingZeros64(d.buf)
		if uint(lz) >= d.nbuf {
			if d.nbuf < 57 {
				return n // zeros to the end of the data: padding
			}
			d.skip(48) // a long run of fill bits
			continue
		}
		if lz < 11 {
			return n
		}
		d.skip(uint(lz) + 1)
		n++
	}
	return n
}

// row decodes the next row into d.cur. It returns false at the end of the
// image (end-of-block, data exhausted or invalid).
func (d *decoder) row() bool {
	if d.done {
		return false
	}
	d.ref, d.cur = d.cur, d.ref
	if d.first {
		d.ref = d.ref[:0] // an all-white imaginary row
		d.first = false
	}
	d.ref = append(d.ref, d.p.Width, d.p.Width)
	d.cur = d.cur[:0]
	twoD := d.p.K < 0
	if d.p.K >= 0 {
		eols := d.eol()
		if d.p.EncodedByteAlign || d.p.NoEOL {
			// Rows start on a byte boundary: after the EOL when its fill
			// bits follow it (as some writers put them), or when there is
			// no EOL. An EOL that ends on a boundary leaves nothing to skip.
			d.align()
			if eols == 0 {
				eols = d.eol()
			}
		}
		if eols >= 2 || d.exhausted() {
			return d.end() // return to control (RTC: six EOLs) or no data left
		}
		if d.p.K > 0 && !d.p.NoEOL {
			twoD = d.peek(1) == 0
			d.skip(1)
		}
	} else {
		if d.p.EncodedByteAlign {
			d.align()
		}
		if d.exhausted() {
			return d.end()
		}
		// End of facsimile block: EOL EOL. A single EOL before a row is tolerated.
		if d.eol() >= 2 || d.exhausted() {
			return d.end()
		}
	}
	var ok bool
	if twoD {
		ok = d.row2D()
	} else {
		ok = d.row1D()
	}
	if !ok {
		d.done = true
		return false
	}
	return true
}

func (d *decoder) end() bool {
	d.done = true
	return false
}

// row1D decodes a row of alternating white and black runs.
func (d *decoder) row1D() bool {
	w := d.p.Width
	a0, white := 0, true
	for a0 < w {
		run, ok := d.run(white)
		if !ok {
			return false
		}
		a0 += run
		if a0 > w {
			a0 = w
		}
		d.cur = append(d.cur, a0)
		white = !white
	}
	d.trimRow()
	return true
}

// trimRow removes changing elements at the right edge so that cur holds
// pairs of (start of black, end of black).
func (d *decoder) trimRow() {
	// cur[i] are the ends of runs: white run ends = black starts (even index),
	// black run ends (odd index). A trailing white-run end equal to w starts
	// nothing.
	w := d.p.Width
	for len(d.cur) > 0 && d.cur[len(d.cur)-1] >= w && len(d.cur)%2 == 1 {
		d.cur = d.cur[:len(d.cur)-1]
	}
}

// row2D decodes a row coded against the reference row (T.6 §2.2).
func (d *decoder) row2D() bool {
	w := d.p.Width
	ref := d.ref
	a0, white := -1, true
	i := 0 // index into ref of the candidate b1
	for a0 < w {
		// b1: first changing element on ref right of a0 with colour opposite
		// to a0's colour, i.e. a change to black (even index) when white.
		if i > 0 {
			i--
		}
		if i > 0 {
			i--
		}
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
		m, ok := d.mode()
		if !ok {
			return false
		}
		switch m {
		case modePass:
			a0 = b2
			i += 2
		case modeH:
			start := max(a0, 0)
			r1, ok1 := d.run(white)
			r2, ok2 := d.run(!white)
			if !ok1 || !ok2 {
				return false
			}
			a1 := min(start+r1, w)
			a2 := min(a1+r2, w)
			d.cur = append(d.cur, a1, a2)
			a0 = a2
		default:
			a1 := b1 + int(m) - modeV0
			if a1 < max(a0, 0) || a1 > w {
				return false
			}
			d.cur = append(d.cur, a1)
			a0 = a1
			white = !white
		}
	}
	d.trimRow()
	return true
}

// Mode codes of two-dimensional coding. Vertical modes are numbered so that
// mode-modeV0 is the offset of a1 from b1.
const (
	modeVL3 = iota
	modeVL2
	modeVL1
	modeV0
	modeVR1
	modeVR2
	modeVR3
	modePass
	modeH
)

// mode reads one two-dimensional mode code.
func (d *decoder) mode() (int, bool) {
	v := d.peek(7)
	e := tables.mode[v]
	if e.len == 0 {
		d.err = fmt.Errorf("bad mode code %07b", v)
		return 0, false
	}
	d.skip(uint(e.len))
	return int(e.val), true
}

// run reads one run length of the given color: make-up codes and a
// terminating code.
func (d *decoder) run(white bool) (int, bool) {
	tab := &tables.black
	if white {
		tab = &tables.white
	}
	total := 0
	for {
		e := tab[d.peek(tableBits)]
		if e.len == 0 {
			d.err = fmt.Errorf("bad run code %013b (white %v)", d.peek(tableBits), white)
			return 0, false
		}
		d.skip(uint(e.len))
		total += int(e.val)
		if e.val < 64 {
			return total, true
		}
		if total > 1<<20 {
			d.err = errors.New("run too long")
			return 0, false
		}
	}
}

// tableBits is the longest run-length code (black terminating codes of 12
// bits, extended make-up codes of 12 bits), rounded up so every code is a
// prefix of a table index.
const tableBits = 13

type entry struct {
	val uint16
	len uint8
}

type runTables struct {
	white, black [1 << tableBits]entry
	mode         [1 << 7]entry
}

// tables are built once from the code lists; they are never written after.
var tables = buildTables()

func buildTables() *runTables {
	t := &runTables{}
	fill := func(tab *[1 << tableBits]entry, codes []t4.Code) {
		for _, c := range codes {
			n := len(c.Str)
			var v uint32
			for _, ch := range c.Str {
				v = v<<1 | uint32(ch-'0')
			}
			shift := tableBits - n
			for x := v << shift; x < (v+1)<<shift; x++ {
				tab[x] = entry{val: uint16(c.Val), len: uint8(n)}
			}
		}
	}
	fill(&t.white, t4.White)
	fill(&t.black, t4.Black)
	modes := []struct {
		m   int
		str string
	}{{modeV0, "1"}, {modeVR1, "011"}, {modeVL1, "010"}, {modeH, "001"}, {modePass, "0001"},
		{modeVR2, "000011"}, {modeVL2, "000010"}, {modeVR3, "0000011"}, {modeVL3, "0000010"}}
	for _, m := range modes {
		var v uint32
		for _, ch := range m.str {
			v = v<<1 | uint32(ch-'0')
		}
		shift := 7 - len(m.str)
		for x := v << shift; x < (v+1)<<shift; x++ {
			t.mode[x] = entry{val: uint16(m.m), len: uint8(len(m.str))}
		}
	}
	return t
}
