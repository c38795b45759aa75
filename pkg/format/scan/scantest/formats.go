package scantest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"

	"github.com/sohoa/sohoa/pkg/format/ccitt"
)

// TIFFCompression is the compression of the pages of a generated TIFF.
type TIFFCompression int

// Compressions that TIFF writes.
const (
	TIFFDeflate TIFFCompression = 8 // Adobe Deflate, lossless grey
	TIFFJPEG    TIFFCompression = 7 // JPEG-in-TIFF, one self-contained JPEG strip per page
	TIFFG4      TIFFCompression = 4 // CCITT G4, bilevel, WhiteIsZero (a fax-mode scanner)
	// TIFFG4BlackIsZero is CCITT G4 with PhotometricInterpretation
	// BlackIsZero, as some scanners write it: the fax code still says which
	// runs are black, and readers built on libtiff show the page as it is.
	TIFFG4BlackIsZero TIFFCompression = 104
)

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
	spec := Spec{DPI: dpi, Quality: quality}.withDefaults()
	strips := make([][]byte, len(imgs))
	err := parallel(len(imgs), func(i int) error {
		var buf bytes.Buffer
		switch c {
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
		case TIFFG4, TIFFG4BlackIsZero:
			buf.Write(ccitt.Encode(imgs[i], ccitt.EncodeOptions{K: -1}))
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
		resOff := out.Len()
		binary.Write(&out, le, [2]uint32{uint32(spec.DPI), 1})
		ifd := out.Len()
		le.PutUint32(out.Bytes()[prevNext:], uint32(ifd))
		type entry struct {
			tag, typ uint16
			val      uint32
		}
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		bps, comp, photometric := uint32(8), uint32(c), uint32(1)
		switch c {
		case TIFFG4:
			bps, comp, photometric = 1, 4, 0
		case TIFFG4BlackIsZero:
			bps, comp, photometric = 1, 4, 1
		}
		entries := []entry{
			{256, 4, uint32(w)}, {257, 4, uint32(h)}, {258, 3, bps}, {259, 3, comp}, {262, 3, photometric},
			{273, 4, uint32(stripOff)}, {277, 3, 1}, {278, 4, uint32(h)}, {279, 4, uint32(len(strips[i]))},
			{282, 5, uint32(resOff)}, {283, 5, uint32(resOff)}, {296, 3, 2},
		}
		binary.Write(&out, le, uint16(len(entries)))
		for _, e := range entries {
			binary.Write(&out, le, e.tag)
			binary.Write(&out, le, e.typ)
			binary.Write(&out, le, uint32(1))
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
