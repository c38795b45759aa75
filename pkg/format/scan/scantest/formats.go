package scantest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"slices"

	"github.com/sohoa/sohoa/pkg/format/ccitt/ccitttest"
)

// TIFFCompression is the compression of the pages of a generated TIFF.
type TIFFCompression int

// Compressions that TIFF writes.
const (
	TIFFDeflate TIFFCompression = 8 // Adobe Deflate, lossless grey
	TIFFJPEG    TIFFCompression = 7 // JPEG-in-TIFF, one self-contained JPEG strip per page
	TIFFG4      TIFFCompression = 4 // CCITT G4, bilevel, WhiteIsZero (a fax-mode scanner)
	// TIFFG4BlackIsZero is CCITT G4 with PhotometricInterpretation
	// BlackIsZero, as libtiff writes it when asked for that polarity: the
	// code holds the sample bits, so its "black" runs are the paper.
	TIFFG4BlackIsZero TIFFCompression = 104
	// TIFFJPEGStrips is JPEG-in-TIFF in strips of 64 rows, each strip a
	// JPEG of its own, as many document scanners write it.
	TIFFJPEGStrips TIFFCompression = 107
)

// jpegStripRows is the height of a TIFFJPEGStrips strip.
const jpegStripRows = 64

// TIFF returns the pages of spec as one multi-page grey TIFF with the
// resolution tags set to spec.DPI, as a document scanner's "TIFF" setting writes.
func TIFF(spec Spec, c TIFFCompression) ([]byte, error) {
	spec = spec.withDefaults()
	imgs, err := Images(spec)
	if err != nil {
		return nil, err
	}
	return EncodeTIFF(imgs, spec.DPI, spec.Quality, c)
}

// EncodeTIFF writes page images as one multi-page grey TIFF at dpi (quality
// is the JPEG quality for TIFFJPEG).
func EncodeTIFF(imgs []*image.Gray, dpi, quality int, c TIFFCompression) ([]byte, error) {
	return encodeTIFF(imgs, dpi, quality, c, 1)
}

// EncodeTIFFOriented is EncodeTIFF with each page stored turned and the
// Orientation tag (3, 6 or 8) saying how to show it upright, as scanners
// with an automatic rotation setting write it.
func EncodeTIFFOriented(imgs []*image.Gray, dpi, quality int, c TIFFCompression, orientation int) ([]byte, error) {
	turned := make([]*image.Gray, len(imgs))
	for i, img := range imgs {
		turned[i] = turn(img, map[int]int{3: 180, 6: 270, 8: 90}[orientation])
	}
	return encodeTIFF(turned, dpi, quality, c, orientation)
}

func encodeTIFF(imgs []*image.Gray, dpi, quality int, c TIFFCompression, orientation int) ([]byte, error) {
	spec := Spec{DPI: dpi, Quality: quality}.withDefaults()
	strips := make([][]byte, len(imgs))
	multi := make([][][]byte, len(imgs)) // TIFFJPEGStrips: each page's strips
	err := parallel(len(imgs), func(i int) error {
		var buf bytes.Buffer
		switch c {
		case TIFFJPEGStrips:
			b := imgs[i].Bounds()
			for y := b.Min.Y; y < b.Max.Y; y += jpegStripRows {
				var sb bytes.Buffer
				band := imgs[i].SubImage(image.Rect(b.Min.X, y, b.Max.X, min(y+jpegStripRows, b.Max.Y)))
				if err := jpeg.Encode(&sb, band, &jpeg.Options{Quality: spec.Quality}); err != nil {
					return err
				}
				multi[i] = append(multi[i], sb.Bytes())
			}
		case TIFFDeflate:
			w := zlib.NewWriter(&buf)
			if _, err := w.Write(imgs[i].Pix); err != nil {
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
		case TIFFJPEG:
			if err := jpeg.Encode(&buf, imgs[i], &jpeg.Options{Quality: spec.Quality}); err != nil {
				return err
			}
		case TIFFG4:
			buf.Write(ccitttest.Encode(imgs[i], ccitttest.EncodeOptions{K: -1}))
		case TIFFG4BlackIsZero:
			// The code holds the sample bits: with 0 for black, the paper
			// is coded as "black" runs, as libtiff writes it.
			neg := image.NewGray(imgs[i].Bounds())
			for j, v := range imgs[i].Pix {
				neg.Pix[j] = 255 - v
			}
			buf.Write(ccitttest.Encode(neg, ccitttest.EncodeOptions{K: -1}))
		default:
			return fmt.Errorf("scantest: TIFF compression %d", c)
		}
		strips[i] = buf.Bytes()
		return nil
	})
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	var out bytes.Buffer
	out.WriteString("II*\x00")
	binary.Write(&out, le, uint32(0)) // patched below
	prevNext := 4                     // where the previous "next IFD" pointer lives
	for i, img := range imgs {
		for out.Len()%2 != 0 {
			out.WriteByte(0)
		}
		stripOff := out.Len()
		out.Write(strips[i])
		if out.Len()%2 != 0 {
			out.WriteByte(0)
		}
		// Several strips: their data, then the offsets and counts arrays.
		var offsArr, countsArr, firstOff int
		if n := len(multi[i]); n > 0 {
			offs := make([]uint32, n)
			for k, st := range multi[i] {
				for out.Len()%2 != 0 {
					out.WriteByte(0)
				}
				offs[k] = uint32(out.Len())
				out.Write(st)
			}
			firstOff = int(offs[0])
			for out.Len()%2 != 0 {
				out.WriteByte(0)
			}
			offsArr = out.Len()
			binary.Write(&out, le, offs)
			countsArr = out.Len()
			for _, st := range multi[i] {
				binary.Write(&out, le, uint32(len(st)))
			}
		}
		resOff := out.Len()
		binary.Write(&out, le, [2]uint32{uint32(spec.DPI), 1})
		ifd := out.Len()
		le.PutUint32(out.Bytes()[prevNext:], uint32(ifd))
		type entry struct {
			tag, typ uint16
			val      uint32
			count    uint32 // 0: one value
		}
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		bps, comp, photometric := uint32(8), uint32(c), uint32(1)
		switch c {
		case TIFFG4:
			bps, comp, photometric = 1, 4, 0
		case TIFFG4BlackIsZero:
			bps, comp, photometric = 1, 4, 1
		}
		if c == TIFFJPEGStrips {
			comp = 7
		}
		entries := []entry{
			{256, 4, uint32(w), 0}, {257, 4, uint32(h), 0}, {258, 3, bps, 0}, {259, 3, comp, 0}, {262, 3, photometric, 0},
			{273, 4, uint32(stripOff), 0}, {277, 3, 1, 0}, {278, 4, uint32(h), 0}, {279, 4, uint32(len(strips[i])), 0},
			{282, 5, uint32(resOff), 0}, {283, 5, uint32(resOff), 0}, {296, 3, 2, 0},
		}
		if n := len(multi[i]); n > 1 {
			entries[5] = entry{273, 4, uint32(offsArr), uint32(n)}
			entries[7] = entry{278, 4, jpegStripRows, 0}
			entries[8] = entry{279, 4, uint32(countsArr), uint32(n)}
		} else if n == 1 {
			entries[5] = entry{273, 4, uint32(firstOff), 0}
			entries[8] = entry{279, 4, uint32(len(multi[i][0])), 0}
		}
		if orientation != 1 {
			entries = slices.Insert(entries, 6, entry{274, 3, uint32(orientation), 0})
		}
		binary.Write(&out, le, uint16(len(entries)))
		for _, e := range entries {
			binary.Write(&out, le, e.tag)
			binary.Write(&out, le, e.typ)
			binary.Write(&out, le, max(e.count, 1))
			if e.typ == 3 {
				binary.Write(&out, le, [2]uint16{uint16(e.val), 0})
			} else {
				binary.Write(&out, le, e.val)
			}
		}
		prevNext = out.Len()
		binary.Write(&out, le, uint32(0))
	}
	return out.Bytes(), nil
}

// PNG encodes a page image as a grey PNG with a pHYs chunk for dpi.
func PNG(img image.Image, dpi int) ([]byte, error) {
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	// pHYs goes before the first IDAT; IHDR is always 8+25 bytes from the start.
	ppm := uint32(float64(dpi)/0.0254 + 0.5)
	chunk := make([]byte, 0, 21)
	chunk = binary.BigEndian.AppendUint32(chunk, 9)
	chunk = append(chunk, "pHYs"...)
	chunk = binary.BigEndian.AppendUint32(chunk, ppm)
	chunk = binary.BigEndian.AppendUint32(chunk, ppm)
	chunk = append(chunk, 1)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	at := 8 + 25
	out := make([]byte, 0, len(b)+len(chunk))
	out = append(out, b[:at]...)
	out = append(out, chunk...)
	return append(out, b[at:]...), nil
}

// PhoneJPEG encodes a page as a phone camera stores it: the pixels as the
// sensor saw them, turned, with an Exif Orientation tag (3, 6 or 8; 1 for
// none) saying how to turn them back, and no JFIF resolution.
func PhoneJPEG(img *image.Gray, orientation, quality int) ([]byte, error) {
	stored := img
	switch orientation {
	case 3:
		stored = turn(img, 180)
	case 6: // shown turned 90° clockwise: stored turned the other way
		stored = turn(img, 270)
	case 8:
		stored = turn(img, 90)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, stored, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	// Exif APP1: a little-endian TIFF block with IFD0 holding Orientation.
	var t bytes.Buffer
	t.WriteString("II*\x00")
	binary.Write(&t, binary.LittleEndian, uint32(8))
	binary.Write(&t, binary.LittleEndian, uint16(1))
	binary.Write(&t, binary.LittleEndian, [2]uint16{274, 3})
	binary.Write(&t, binary.LittleEndian, uint32(1))
	binary.Write(&t, binary.LittleEndian, [2]uint16{uint16(orientation), 0})
	binary.Write(&t, binary.LittleEndian, uint32(0))
	app1 := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xFF, 0xE1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)}
	// Replace Go's JFIF APP0 (after SOI) by the Exif segment, as phones do.
	rest := b[2:]
	if len(rest) > 4 && rest[0] == 0xFF && rest[1] == 0xE0 {
		rest = rest[2+int(rest[2])<<8+int(rest[3]):]
	}
	out := append([]byte{0xFF, 0xD8}, seg...)
	out = append(out, app1...)
	return append(out, rest...), nil
}

// TransparentPNG encodes a page with its paper made transparent (ink
// opaque), as some scanning apps export "document" PNGs.
func TransparentPNG(img *image.Gray) ([]byte, error) {
	b := img.Bounds()
	out := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := img.GrayAt(x, y).Y
			out.SetNRGBA(x, y, color.NRGBA{R: v, G: v, B: v, A: 255 - v})
		}
	}
	return encodePNG(out)
}

// PNG16 encodes a page as a 16-bit grey PNG.
func PNG16(img *image.Gray) ([]byte, error) {
	b := img.Bounds()
	out := image.NewGray16(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := uint16(img.GrayAt(x, y).Y)
			out.SetGray16(x, y, color.Gray16{Y: v<<8 | v})
		}
	}
	return encodePNG(out)
}

// PalettePNG encodes a page with a palette of 16 greys.
func PalettePNG(img *image.Gray) ([]byte, error) {
	pal := make(color.Palette, 16)
	for i := range pal {
		pal[i] = color.Gray{Y: uint8(i * 17)}
	}
	b := img.Bounds()
	out := image.NewPaletted(b, pal)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.SetColorIndex(x, y, img.GrayAt(x, y).Y/17)
		}
	}
	return encodePNG(out)
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	return buf.Bytes(), err
}
