// Package jpegscale decodes a baseline JPEG straight to a grey image reduced
// by 2, 4 or 8, without running the inverse DCT: each output pixel is the
// exact mean of an f×f square of the full-size luma, computed from the
// dequantised DCT coefficients of the 8×8 block that holds it (ITU-T T.81,
// A.3.3: the mean of a cosine basis function over a block-aligned square is a
// constant, zero for most frequencies).
//
// The result equals a box-filtered downscale of the full decode up to
// rounding, at a fraction of the cost: only Huffman decoding remains. Scans of
// paper pages are reduced anyway before QR detection and ink measurement.
//
// It reads only baseline and extended sequential Huffman JPEGs with 8-bit
// samples, grey or YCbCr (the Y component is returned). Anything else
// (progressive, arithmetic, lossless, 12-bit, CMYK, RGB) is ErrUnsupported,
// so that callers can fall back to image/jpeg. It is not an encoder and not a
// general JPEG decoder.
package jpegscale

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
)

// ErrUnsupported is returned (wrapped) for a JPEG that this package does not
// decode but that may be valid: the caller should use a full decoder.
var ErrUnsupported = errors.New("jpegscale: unsupported JPEG")

// ErrFormat is returned (wrapped) for data that is not a well-formed JPEG:
// bad markers, bad tables, truncated or corrupt entropy-coded data.
var ErrFormat = errors.New("jpegscale: malformed JPEG")

// ErrTooLarge is returned (wrapped) when the declared dimensions exceed the
// caller's pixel limit; nothing is allocated for such an image.
var ErrTooLarge = errors.New("jpegscale: image too large")

// Info is what the JPEG headers say about the full-size image.
type Info struct {
	Width, Height      int // full-size dimensions in pixels
	DensityX, DensityY int // JFIF APP0 density; 0 without a JFIF segment
	Unit               int // JFIF density unit: 0 aspect ratio only, 1 dots per inch, 2 dots per cm
}

// maxComponents is the most components of a frame this package accepts (grey
// or YCbCr); CMYK and YCCK are refused before any allocation.
const maxComponents = 3

// component is one frame component (T.81 B.2.2).
type component struct {
	id     byte
	h, v   int // sampling factors
	tq     int // quantisation table
	bw, bh int // blocks per line and lines of blocks for a non-interleaved scan
	pred   int32
	done   bool // its scan has been decoded
	dc, ac int  // Huffman tables of the current scan
}

// decoder holds the state of one DecodeGray call.
type decoder struct {
	data   []byte
	factor int
	info   Info

	frame          bool
	comps          []component
	hmax, vmax     int
	mcux, mcuy     int // MCUs per line and lines of MCUs of an interleaved scan
	quant          [4][64]uint16
	quantSet       [4]bool
	huff           [2][4]huffman // [class: 0 DC, 1 AC][table id]
	restart        int           // restart interval in MCUs, 0 for none
	adobe          bool
	adobeTransform byte
	jfif           bool

	out  *image.Gray
	bits bitReader
	w    weights
}

// DecodeGray decodes a JPEG to its luma reduced by factor (2, 4 or 8): output
// pixel (x, y) is the mean of the full-size pixels [fx, fx+f) × [fy, fy+f),
// rounded; the output is Width/f × Height/f (partial squares at the right and
// bottom edges are dropped). Images with more than maxPixels declared pixels
// are refused with ErrTooLarge before anything is allocated.
func DecodeGray(data []byte, factor int, maxPixels int64) (*image.Gray, Info, error) {
	if factor != 2 && factor != 4 && factor != 8 {
		return nil, Info{}, fmt.Errorf("jpegscale: factor %d is not 2, 4 or 8", factor)
	}
	d := &decoder{data: data, factor: factor}
	err := d.decode(maxPixels)
	if err != nil {
		return nil, d.info, err
	}
	return d.out, d.info, nil
}

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

// decode walks the marker segments (T.81 B.2) and decodes each scan.
func (d *decoder) decode(maxPixels int64) error {
	b := d.data
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return formatErr("missing SOI marker")
	}
	pos := 2
	for {
		// Markers may be preceded by fill bytes 0xFF (B.1.1.2).
		if pos >= len(b) {
			break
		}
		if b[pos] != 0xFF {
			// Junk between segments (after a scan, say): skip to the next
			// marker as other decoders do.
			pos++
			continue
		}
		for pos < len(b) && b[pos] == 0xFF {
			pos++
		}
		if pos >= len(b) {
			break
		}
		marker := b[pos]
		pos++
		switch {
		case marker == 0xD9: // EOI
			return d.finish()
		case marker >= 0xD0 && marker <= 0xD7, marker == 0x01: // RSTn outside a scan, TEM: no segment
			continue
		case marker == 0x00:
			return formatErr("stray 0xFF00 at offset %d", pos-2)
		}
		if pos+2 > len(b) {
			return formatErr("truncated marker segment")
		}
		n := int(binary.BigEndian.Uint16(b[pos:]))
		if n < 2 || pos+n > len(b) {
			return formatErr("marker 0x%02X segment length %d out of range", marker, n)
		}
		seg := b[pos+2 : pos+n]
		pos += n
		var err error
		switch marker {
		case 0xC0, 0xC1: // baseline, extended sequential Huffman
			err = d.parseSOF(seg, maxPixels)
		case 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
			err = unsupported("frame type SOF%d", marker-0xC0)
		case 0xCC:
			err = unsupported("arithmetic coding conditioning (DAC)")
		case 0xC4:
			err = d.parseDHT(seg)
		case 0xDB:
			err = d.parseDQT(seg)
		case 0xDD:
			err = d.parseDRI(seg)
		case 0xDC:
			err = unsupported("DNL marker")
		case 0xE0:
			d.parseJFIF(seg)
		case 0xEE:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.adobeTransform = true, seg[11]
			}
		case 0xDA:
			pos, err = d.parseSOS(seg, pos)
		}
		if err != nil {
			return err
		}
	}
	// No EOI: accept a file whose image is complete (some writers omit it).
	return d.finish()
}

func (d *decoder) finish() error {
	if !d.frame {
		return formatErr("no frame header")
	}
	for i := range d.comps {
		if !d.comps[i].done {
			return formatErr("no scan of component %d", i)
		}
	}
	return nil
}

func (d *decoder) parseJFIF(seg []byte) {
	if len(seg) < 12 || string(seg[:5]) != "JFIF\x00" {
		return
	}
	d.jfif = true
	d.info.Unit = int(seg[7])
	d.info.DensityX = int(binary.BigEndian.Uint16(seg[8:]))
	d.info.DensityY = int(binary.BigEndian.Uint16(seg[10:]))
}

// parseSOF reads a frame header (T.81 B.2.2).
func (d *decoder) parseSOF(seg []byte, maxPixels int64) error {
	if d.frame {
		return formatErr("more than one frame header")
	}
	if len(seg) < 6 {
		return formatErr("short frame header")
	}
	if seg[0] != 8 {
		return unsupported("%d-bit samples", seg[0])
	}
	h := int(binary.BigEndian.Uint16(seg[1:]))
	w := int(binary.BigEndian.Uint16(seg[3:]))
	nc := int(seg[5])
	if h == 0 {
		return unsupported("height defined by a DNL marker")
	}
	if w == 0 {
		return formatErr("zero width")
	}
	d.info.Width, d.info.Height = w, h
	if int64(w)*int64(h) > maxPixels {
		return fmt.Errorf("%w: %dx%d pixels", ErrTooLarge, w, h)
	}
	if nc != 1 && nc != 3 {
		return unsupported("%d components", nc)
	}
	if len(seg) != 6+3*nc {
		return formatErr("frame header length")
	}
	d.comps = make([]component, nc)
	for i := range d.comps {
		c := &d.comps[i]
		c.id = seg[6+3*i]
		c.h, c.v = int(seg[7+3*i]>>4), int(seg[7+3*i]&15)
		c.tq = int(seg[8+3*i])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return formatErr("component %d sampling %dx%d table %d", i, c.h, c.v, c.tq)
		}
		for j := range i {
			if d.comps[j].id == c.id {
				return formatErr("duplicate component id %d", c.id)
			}
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	if nc == 1 {
		// A single component is always coded non-interleaved, one block a
		// unit whatever its sampling factors (A.2.2).
		d.comps[0].h, d.comps[0].v = 1, 1
		d.hmax, d.vmax = 1, 1
	} else {
		if d.comps[0].h != d.hmax || d.comps[0].v != d.vmax {
			return unsupported("luma subsampled (%dx%d of %dx%d)", d.comps[0].h, d.comps[0].v, d.hmax, d.vmax)
		}
		// RGB rather than YCbCr: an Adobe segment saying so, or none with
		// component ids 'R','G','B' (as image/jpeg decides).
		if d.adobe && d.adobeTransform == 0 && !d.jfif {
			return unsupported("RGB colour (Adobe transform 0)")
		}
		if !d.adobe && !d.jfif && d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B' {
			return unsupported("RGB colour")
		}
	}
	for i := range d.comps {
		c := &d.comps[i]
		cw := (w*c.h + d.hmax - 1) / d.hmax
		ch := (h*c.v + d.vmax - 1) / d.vmax
		c.bw, c.bh = (cw+7)/8, (ch+7)/8
	}
	d.mcux = (w + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcuy = (h + 8*d.vmax - 1) / (8 * d.vmax)
	d.frame = true
	d.out = image.NewGray(image.Rect(0, 0, w/d.factor, h/d.factor))
	return nil
}

// parseDQT reads quantisation tables (T.81 B.2.4.1).
func (d *decoder) parseDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, int(seg[0]&15)
		if tq > 3 || pq > 1 {
			return formatErr("quantisation table %d precision %d", tq, pq)
		}
		seg = seg[1:]
		if pq == 0 {
			if len(seg) < 64 {
				return formatErr("short quantisation table")
			}
			for k := range 64 {
				d.quant[tq][k] = uint16(seg[k])
			}
			seg = seg[64:]
		} else {
			if len(seg) < 128 {
				return formatErr("short quantisation table")
			}
			for k := range 64 {
				d.quant[tq][k] = binary.BigEndian.Uint16(seg[2*k:])
			}
			seg = seg[128:]
		}
		d.quantSet[tq] = true
	}
	return nil
}

// parseDRI reads the restart interval (T.81 B.2.4.4).
func (d *decoder) parseDRI(seg []byte) error {
	if len(seg) != 2 {
		return formatErr("restart interval length")
	}
	d.restart = int(binary.BigEndian.Uint16(seg))
	return nil
}

// parseDHT reads Huffman tables (T.81 B.2.4.2).
func (d *decoder) parseDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return formatErr("short Huffman table")
		}
		tc, th := int(seg[0]>>4), int(seg[0]&15)
		if tc > 1 || th > 3 {
			return formatErr("Huffman table class %d id %d", tc, th)
		}
		var counts [16]int
		total := 0
		for i := range 16 {
			counts[i] = int(seg[1+i])
			total += counts[i]
		}
		if total == 0 || total > 256 || len(seg) < 17+total {
			return formatErr("Huffman table with %d codes", total)
		}
		if err := d.huff[tc][th].build(counts, seg[17:17+total]); err != nil {
			return err
		}
		seg = seg[17+total:]
	}
	return nil
}

// parseSOS reads a scan header (T.81 B.2.3) and decodes the scan whose data
// starts at pos; it returns the offset of the marker after the scan.
func (d *decoder) parseSOS(seg []byte, pos int) (int, error) {
	if !d.frame {
		return 0, formatErr("scan before frame header")
	}
	if len(seg) < 1 {
		return 0, formatErr("short scan header")
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(d.comps) || len(seg) != 4+2*ns {
		return 0, formatErr("scan header with %d components", ns)
	}
	if seg[1+2*ns] != 0 || seg[2+2*ns] != 63 || seg[3+2*ns] != 0 {
		return 0, formatErr("spectral selection or approximation in a sequential scan")
	}
	var idx [maxComponents]int
	blocks := 0
	for i := range ns {
		id := seg[1+2*i]
		ci := -1
		for j := range d.comps {
			if d.comps[j].id == id {
				ci = j
			}
		}
		if ci < 0 {
			return 0, formatErr("scan component id %d not in frame", id)
		}
		for j := range i {
			if idx[j] == ci {
				return 0, formatErr("component %d twice in a scan", id)
			}
		}
		idx[i] = ci
		c := &d.comps[ci]
		c.dc, c.ac = int(seg[2+2*i]>>4), int(seg[2+2*i]&15)
		if c.dc > 3 || c.ac > 3 || !d.huff[0][c.dc].ok || !d.huff[1][c.ac].ok {
			return 0, formatErr("scan component %d without Huffman tables", id)
		}
		if !d.quantSet[c.tq] {
			return 0, formatErr("component %d without quantisation table", id)
		}
		blocks += c.h * c.v
	}
	if ns > 1 && blocks > 10 {
		return 0, formatErr("%d blocks in an MCU", blocks)
	}
	return d.decodeScan(idx[:ns], pos)
}
