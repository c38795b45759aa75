package scan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"math/bits"

	"golang.org/x/image/tiff"

	"github.com/sohoa/sohoa/pkg/format/ccitt"
	"github.com/sohoa/sohoa/pkg/format/separator"
)

// TIFF tags and compressions read here. golang.org/x/image/tiff decodes
// uncompressed, PackBits, LZW, Deflate and CCITT G3/G4 pages, but only the
// first page of a file and no JPEG compression: the IFD chain and
// JPEG-in-TIFF (compression 7, one JPEG per strip with shared JPEGTables) are
// handled here. Old-style JPEG (compression 6) is refused as unsupported.
const (
	tagWidth        = 256
	tagHeight       = 257
	tagBitsPerSamp  = 258
	tagCompression  = 259
	tagPhotometric  = 262
	tagStripOffsets = 273
	tagSamples      = 277
	tagRowsPerStrip = 278
	tagStripCounts  = 279
	tagXResolution  = 282
	tagResUnit      = 296
	tagTileWidth    = 322
	tagJPEGTables   = 347
	tagFillOrder    = 266
	tagT4Options    = 292
	tagT6Options    = 293
	tagOrientation  = 274

	compCCITTRLE = 2 // Modified Huffman: G3 1-D rows without EOL, byte-aligned
	compCCITTG3  = 3
	compCCITTG4  = 4
	compJPEGOld  = 6
	compJPEG     = 7
)

type tiffPage struct {
	ifd          uint32
	w, h         int
	compression  int
	dpi          float64
	bps, spp     int // bits per sample, samples per pixel
	fillOrder    int
	t4, t6       int // T4Options, T6Options
	rowsPerStrip int
	rotate       int // Orientation: degrees to turn the stored page clockwise to show it
	photometric  int // PhotometricInterpretation: 0 WhiteIsZero (the default for bilevel), 1 BlackIsZero, …
}

// blackIsZero reports whether a bilevel page's samples are 0 for black
// (PhotometricInterpretation 1). CCITT codecs code the sample bits, not the
// ink: libtiff writes a BlackIsZero page's paper as the code's "black" runs
// and shows it through the tag, as poppler's tiff2pdf does with /BlackIs1.
func (p tiffPage) blackIsZero() bool { return p.photometric == 1 }

// color is the page's colour mode, from its sample layout.
func (p tiffPage) color() string {
	switch {
	case p.bps == 1 || p.compression == compCCITTRLE || p.compression == compCCITTG3 || p.compression == compCCITTG4:
		return ColorBilevel
	case p.spp <= 1:
		return ColorGray
	}
	return ColorColor
}

type tiffSource struct {
	data  []byte
	order binary.ByteOrder
	pages []tiffPage
	lim   Limits
}

// openTIFF walks the IFD chain of a (multi-page) TIFF, checking every page's
// declared size before anything is decoded.
func openTIFF(data []byte, lim Limits) (*tiffSource, error) {
	if len(data) < 8 {
		return nil, newError(CodeUnreadable, 0, errors.New("short TIFF"), msgTruncated)
	}
	s := &tiffSource{data: data, lim: lim, order: binary.LittleEndian}
	if data[0] == 'M' {
		s.order = binary.BigEndian
	}
	seen := map[uint32]bool{}
	off := s.order.Uint32(data[4:])
	for off != 0 {
		if seen[off] {
			return nil, newError(CodeUnreadable, 0, errors.New("TIFF IFD loop"), msgUnreadable)
		}
		seen[off] = true
		if len(s.pages) >= lim.MaxPages {
			return nil, newError(CodeTooManyPages, 0, nil,
				"Tệp quét có hơn %d trang, vượt quá giới hạn của một lần tải lên. Hãy chia hồ sơ thành nhiều lần quét.", lim.MaxPages)
		}
		p, next, err := s.readIFD(off)
		if err != nil {
			return nil, newError(CodeUnreadable, len(s.pages)+1, err, msgUnreadable)
		}
		n := len(s.pages) + 1
		if p.w <= 0 || p.h <= 0 {
			return nil, newError(CodeUnreadable, n, errors.New("TIFF page without size"), msgPageBroken, n)
		}
		if int64(p.w)*int64(p.h) > lim.MaxPixels {
			return nil, imageTooLarge(n, p.w, p.h)
		}
		if p.dpi <= 0 {
			p.dpi = assumedDPI(p.w, p.h)
		}
		if e := pageTooSmall(n, float64(p.w)/p.dpi*25.4, float64(p.h)/p.dpi*25.4, p.w, p.h); e != nil {
			return nil, e
		}
		s.pages = append(s.pages, p)
		off = next
	}
	return s, nil
}

// readIFD reads the tags this package needs from the IFD at off.
func (s *tiffSource) readIFD(off uint32) (tiffPage, uint32, error) {
	p := tiffPage{ifd: off, compression: 1, bps: 1, spp: 1, fillOrder: 1}
	d := s.data
	if uint64(off)+2 > uint64(len(d)) {
		return p, 0, errors.New("IFD offset outside file")
	}
	n := int(s.order.Uint16(d[off:]))
	end := uint64(off) + 2 + uint64(n)*12
	if end+4 > uint64(len(d)) {
		return p, 0, errors.New("IFD outside file")
	}
	unit := 2
	for i := range n {
		e := d[uint64(off)+2+uint64(i)*12:]
		tag, typ, count := s.order.Uint16(e), s.order.Uint16(e[2:]), s.order.Uint32(e[4:])
		val := func() int {
			if typ == 3 { // SHORT
				return int(s.order.Uint16(e[8:]))
			}
			return int(s.order.Uint32(e[8:]))
		}
		switch tag {
		case tagWidth:
			p.w = val()
		case tagHeight:
			p.h = val()
		case tagCompression:
			p.compression = val()
		case tagBitsPerSamp:
			if count == 1 {
				p.bps = val()
			} else {
				p.bps = 8 // per-sample values stored elsewhere: colour or grey of 8 bits
			}
		case tagSamples:
			p.spp = val()
		case tagPhotometric:
			p.photometric = val()
		case tagFillOrder:
			p.fillOrder = val()
		case tagT4Options:
			p.t4 = val()
		case tagT6Options:
			p.t6 = val()
		case tagRowsPerStrip:
			p.rowsPerStrip = val()
		case tagOrientation:
			// 1 top-left (as stored), 3 turned 180°, 6 shown turned 90°
			// clockwise, 8 turned 270°; mirrored ones as their rotation.
			p.rotate = map[int]int{3: 180, 4: 180, 5: 90, 6: 90, 7: 270, 8: 270}[val()]
		case tagResUnit:
			unit = val()
		case tagXResolution:
			if typ == 5 && count == 1 { // RATIONAL at an offset
				ro := uint64(s.order.Uint32(e[8:]))
				if ro+8 <= uint64(len(d)) {
					num, den := s.order.Uint32(d[ro:]), s.order.Uint32(d[ro+4:])
					if den != 0 {
						p.dpi = float64(num) / float64(den)
					}
				}
			}
		}
	}
	switch unit {
	case 3:
		p.dpi *= 2.54
	case 1: // no absolute unit
		p.dpi = 0
	}
	p.dpi = plausibleDPI(p.dpi)
	return p, s.order.Uint32(d[end:]), nil
}

func (s *tiffSource) pageCount() int      { return len(s.pages) }
func (s *tiffSource) activeContent() bool { return false }

// page decodes page n. TIFF pages are decoded in the reading goroutine
// because x/image/tiff reads them from the whole file; the expensive part of
// a scan (JPEG decoding) is done by the workers for JPEG-in-TIFF pages.
func (s *tiffSource) page(n int) (pageImage, error) {
	p := s.pages[n-1]
	pi := pageImage{number: n, dpi: p.dpi, color: p.color(), rotate: p.rotate}
	switch p.compression {
	case compCCITTRLE, compCCITTG3, compCCITTG4:
		pi.decode = func() (image.Image, error) { return s.ccittPage(n, separator.ReduceFactor(p.w, p.h)) }
		return pi, nil
	case compJPEG:
		strips, err := s.jpegStrips(p)
		if err != nil {
			return pi, newError(CodeUnsupported, n, err,
				"Trang %d của tệp TIFF được nén JPEG theo cách hệ thống chưa đọc được. Hãy quét ra PDF hoặc JPEG rồi tải lên lại.", n)
		}
		if len(strips) == 1 {
			pi.kind, pi.data = "jpg", strips[0]
			return pi, nil
		}
		pi.decode = func() (image.Image, error) { return s.jpegStripsPage(n, strips) }
		return pi, nil
	case compJPEGOld:
		return pi, newError(CodeUnsupported, n, errors.New("old-style JPEG in TIFF"),
			"Trang %d của tệp TIFF được nén JPEG kiểu cũ mà hệ thống không đọc được. Hãy quét ra PDF hoặc JPEG rồi tải lên lại.", n)
	}
	pi.decode = func() (image.Image, error) { return s.decodePage(n) }
	return pi, nil
}

// decodePage decodes a non-JPEG page with x/image/tiff. It only reads s.data,
// so workers may call it concurrently.
func (s *tiffSource) decodePage(n int) (image.Image, error) {
	img, err := tiff.Decode(&ifdReader{data: s.data, order: s.order, ifd: s.pages[n-1].ifd})
	if err != nil {
		var ue tiff.UnsupportedError
		if errors.As(err, &ue) {
			return nil, newError(CodeUnsupported, n, err,
				"Trang %d của tệp TIFF được lưu theo kiểu hệ thống chưa đọc được. Hãy quét ra PDF hoặc JPEG rồi tải lên lại.", n)
		}
		return nil, newError(CodeUnreadable, n, err, msgPageBroken, n)
	}
	return img, nil
}

// ccittPage decodes a CCITT-compressed page reduced by f with package
// ccitt. The code's runs are the page's sample bits: on a BlackIsZero page
// (blackIsZero) its "white" runs are the ink, so the page is turned back to
// paper as libtiff, ImageMagick and poppler show it.
func (s *tiffSource) ccittPage(n, f int) (*image.Gray, error) {
	p := s.pages[n-1]
	offs, counts, err := s.strips(p)
	if err != nil {
		return nil, newError(CodeUnreadable, n, err, msgPageBroken, n)
	}
	strips := make([][]byte, len(offs))
	for i := range offs {
		o, c := uint64(offs[i]), uint64(counts[i])
		if o+c > uint64(len(s.data)) {
			return nil, newError(CodeUnreadable, n, errors.New("CCITT strip outside file"), msgTruncated)
		}
		strips[i] = s.data[o : o+c]
	}
	cp := ccitt.Params{Width: p.w, Height: p.h, LSBFirst: p.fillOrder == 2}
	switch p.compression {
	case compCCITTRLE:
		cp.NoEOL, cp.EncodedByteAlign = true, true
	case compCCITTG3:
		if p.t4&1 != 0 {
			cp.K = 1 << 30 // 2-D: each row's tag bit says which
		}
		cp.EncodedByteAlign = p.t4&4 != 0
	case compCCITTG4:
		cp.K = -1
	}
	rps := p.rowsPerStrip
	if rps <= 0 || rps >= p.h {
		rps = 0
	}
	g, _, err := ccitt.ReducedStrips(strips, rps, cp, f, ccitt.Limits{MaxPixels: s.lim.MaxPixels})
	if err != nil {
		return nil, newError(CodeUnreadable, n, err, msgPageBroken, n)
	}
	if p.blackIsZero() {
		for i, v := range g.Pix {
			g.Pix[i] = 255 - v
		}
	}
	return g, nil
}

// faxPage returns a CCITT page's strips for embedding as they are coded
// (see faxPage in build.go).
func (s *tiffSource) faxPage(n int) (*faxPage, error) {
	p := s.pages[n-1]
	offs, counts, err := s.strips(p)
	if err != nil {
		return nil, newError(CodeUnreadable, n, err, msgPageBroken, n)
	}
	f := &faxPage{w: p.w, h: p.h, rowsPerStrip: p.rowsPerStrip, blackIs1: p.blackIsZero()}
	if f.rowsPerStrip >= p.h {
		f.rowsPerStrip = 0
	}
	switch p.compression {
	case compCCITTRLE:
		f.k, f.align = 0, true
	case compCCITTG3:
		f.align = p.t4&4 != 0
		if p.t4&1 != 0 {
			f.k = 1 << 30 // mixed 1-D/2-D: every row is tagged
		}
	case compCCITTG4:
		f.k = -1
	}
	for i := range offs {
		o, c := uint64(offs[i]), uint64(counts[i])
		if o+c > uint64(len(s.data)) {
			return nil, newError(CodeUnreadable, n, errors.New("CCITT strip outside file"), msgTruncated)
		}
		b := s.data[o : o+c]
		if p.fillOrder == 2 {
			r := make([]byte, len(b))
			for j, v := range b {
				r[j] = bits.Reverse8(v)
			}
			b = r
		}
		f.strips = append(f.strips, b)
	}
	return f, nil
}

// strips returns a page's strip offsets and byte counts.
func (s *tiffSource) strips(p tiffPage) (offs, counts []uint32, err error) {
	d := s.data
	n := int(s.order.Uint16(d[p.ifd:]))
	for i := range n {
		e := d[uint64(p.ifd)+2+uint64(i)*12:]
		tag, typ, count := s.order.Uint16(e), s.order.Uint16(e[2:]), s.order.Uint32(e[4:])
		switch tag {
		case tagStripOffsets, tagStripCounts:
			v, err := s.uints(typ, count, e[8:12])
			if err != nil {
				return nil, nil, err
			}
			if tag == tagStripOffsets {
				offs = v
			} else {
				counts = v
			}
		case tagTileWidth:
			return nil, nil, errors.New("tiled CCITT TIFF")
		}
	}
	if len(offs) == 0 || len(offs) != len(counts) {
		return nil, nil, fmt.Errorf("%d strip offsets, %d counts", len(offs), len(counts))
	}
	return offs, counts, nil
}

// jpegStrips returns a JPEG-in-TIFF page's strips as self-contained JPEGs:
// each strip with the shared JPEGTables merged in.
func (s *tiffSource) jpegStrips(p tiffPage) ([][]byte, error) {
	d := s.data
	n := int(s.order.Uint16(d[p.ifd:]))
	var (
		offs, counts []uint32
		tables       []byte
		tiled        bool
	)
	for i := range n {
		e := d[uint64(p.ifd)+2+uint64(i)*12:]
		tag, typ, count := s.order.Uint16(e), s.order.Uint16(e[2:]), s.order.Uint32(e[4:])
		switch tag {
		case tagStripOffsets, tagStripCounts:
			v, err := s.uints(typ, count, e[8:12])
			if err != nil {
				return nil, err
			}
			if tag == tagStripOffsets {
				offs = v
			} else {
				counts = v
			}
		case tagJPEGTables:
			o, c := uint64(s.order.Uint32(e[8:])), uint64(count)
			if c <= 4 {
				tables = e[8 : 8+c]
			} else if o+c <= uint64(len(d)) {
				tables = d[o : o+c]
			}
		case tagTileWidth:
			tiled = true
		}
	}
	if tiled {
		return nil, errors.New("tiled JPEG-in-TIFF")
	}
	if len(offs) == 0 || len(offs) != len(counts) {
		return nil, fmt.Errorf("JPEG-in-TIFF with %d strip offsets and %d counts", len(offs), len(counts))
	}
	if len(offs) > p.h {
		return nil, fmt.Errorf("JPEG-in-TIFF with %d strips for %d rows", len(offs), p.h)
	}
	out := make([][]byte, len(offs))
	for i := range offs {
		o, c := uint64(offs[i]), uint64(counts[i])
		if o+c > uint64(len(d)) || c < 4 {
			return nil, errors.New("JPEG strip outside file")
		}
		strip := d[o : o+c]
		if len(tables) < 4 {
			out[i] = strip
			continue
		}
		// tables = SOI … EOI; strip = SOI …: drop the tables' EOI and the strip's SOI.
		b := make([]byte, 0, len(tables)+len(strip))
		b = append(b, tables[:len(tables)-2]...)
		out[i] = append(b, strip[2:]...)
	}
	return out, nil
}

// jpegStripsPage decodes a JPEG-in-TIFF page stored in several strips (as
// many scanners write it, 8 to 64 rows a strip) and stacks them: grey when
// the strips are grey, colour otherwise.
func (s *tiffSource) jpegStripsPage(n int, strips [][]byte) (image.Image, error) {
	p := s.pages[n-1]
	var canvas draw.Image
	y := 0
	for i, b := range strips {
		img, err := decodeImage("jpg", b, s.lim, n)
		if err != nil {
			return nil, err
		}
		if canvas == nil {
			if _, grey := img.(*image.Gray); grey {
				canvas = image.NewGray(image.Rect(0, 0, p.w, p.h))
			} else {
				canvas = image.NewRGBA(image.Rect(0, 0, p.w, p.h))
			}
		}
		r := img.Bounds()
		if i < len(strips)-1 && p.rowsPerStrip > 0 {
			r.Max.Y = min(r.Max.Y, r.Min.Y+p.rowsPerStrip)
		}
		draw.Draw(canvas, image.Rect(0, y, r.Dx(), y+r.Dy()), img, r.Min, draw.Src)
		y += r.Dy()
		if y >= p.h {
			break
		}
	}
	return canvas, nil
}

// uints reads a SHORT or LONG array tag value.
func (s *tiffSource) uints(typ uint16, count uint32, inline []byte) ([]uint32, error) {
	size := uint64(4)
	if typ == 3 {
		size = 2
	} else if typ != 4 {
		return nil, errors.New("bad strip tag type")
	}
	total := size * uint64(count)
	raw := inline
	if total > 4 {
		o := uint64(s.order.Uint32(inline))
		if o+total > uint64(len(s.data)) {
			return nil, errors.New("strip table outside file")
		}
		raw = s.data[o : o+total]
	}
	if uint64(len(raw)) < total {
		return nil, errors.New("short strip table")
	}
	out := make([]uint32, count)
	for i := range out {
		if size == 2 {
			out[i] = uint32(s.order.Uint16(raw[uint64(i)*2:]))
		} else {
			out[i] = s.order.Uint32(raw[uint64(i)*4:])
		}
	}
	return out, nil
}

// build writes the pages as a PDF at their true size. JPEG-in-TIFF strips
// are embedded as JPEG; other pages are re-encoded losslessly (PNG → Flate).
func (s *tiffSource) build(pages []int) ([]byte, error) {
	out := make([]outPage, 0, len(pages))
	for _, n := range pages {
		pi, err := s.page(n)
		if err != nil {
			return nil, err
		}
		p := s.pages[n-1]
		if pi.kind == "jpg" {
			op := imagePage(pi.data, "jpg", p.w, p.h, p.dpi)
			op.rotate = p.rotate
			out = append(out, op)
			continue
		}
		switch p.compression {
		case compCCITTRLE, compCCITTG3, compCCITTG4:
			fax, err := s.faxPage(n)
			if err != nil {
				return nil, err
			}
			op := imagePage(nil, "", p.w, p.h, p.dpi)
			op.fax, op.rotate = fax, p.rotate
			out = append(out, op)
			continue
		}
		var img image.Image
		if pi.decode != nil && p.compression == compJPEG {
			img, err = pi.decode()
		} else {
			img, err = s.decodePage(n)
		}
		if err != nil {
			return nil, err
		}
		b, err := encodeLossless(img)
		if err != nil {
			return nil, newError(CodeUnreadable, n, err, msgPageBroken, n)
		}
		op := imagePage(b, "png", p.w, p.h, p.dpi)
		op.rotate = p.rotate
		out = append(out, op)
	}
	return buildPDF(out)
}

// encodeLossless encodes a decoded page as PNG for pdfcpu, which stores it
// with Flate. Bilevel pages stay 8-bit grey (pdfcpu has no CCITT encoder).
func encodeLossless(img image.Image) ([]byte, error) {
	switch img.(type) {
	case *image.Gray, *image.RGBA, *image.NRGBA, *image.Paletted, *image.Gray16, *image.RGBA64, *image.NRGBA64:
	default:
		rgba := image.NewRGBA(img.Bounds())
		draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
		img = rgba
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ifdReader presents a TIFF file whose header points at another IFD, so that
// x/image/tiff (which decodes the first IFD only) decodes any page without
// copying the file.
type ifdReader struct {
	data  []byte
	order binary.ByteOrder
	ifd   uint32
	pos   int64
}

func (r *ifdReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= int64(len(r.data)) {
		return 0, io.EOF
	}
	n := copy(p, r.data[off:])
	var hdr [4]byte
	r.order.PutUint32(hdr[:], r.ifd)
	for i := range 4 {
		if j := int64(4+i) - off; j >= 0 && j < int64(n) {
			p[j] = hdr[i]
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *ifdReader) Read(p []byte) (int, error) {
	n, err := r.ReadAt(p, r.pos)
	r.pos += int64(n)
	return n, err
}
