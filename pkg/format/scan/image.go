package scan

import (
	"bytes"
	"encoding/binary"
	"image/color"
	"image/jpeg"
	"image/png"
)

// A4 in inches, the page size assumed for an image without resolution metadata.
const a4LongIn, a4ShortIn = 297 / 25.4, 210 / 25.4

// imageSource is a single JPEG or PNG page.
type imageSource struct {
	kind   string // "jpg" or "png"
	data   []byte
	w, h   int
	dpi    float64
	color  string
	rotate int // Exif orientation: degrees to turn the image clockwise to see it upright
}

// openImage checks a JPEG or PNG scan's declared size and resolution.
func openImage(format string, data []byte, lim Limits) (*imageSource, error) {
	s := &imageSource{data: data}
	var err error
	var cfgModel color.Model
	switch format {
	case FormatJPEG:
		s.kind = "jpg"
		c, e := jpeg.DecodeConfig(bytes.NewReader(data))
		s.w, s.h, err, cfgModel = c.Width, c.Height, e, c.ColorModel
		s.dpi = jpegDPI(data)
		s.rotate = jpegRotation(data)
	default:
		s.kind = "png"
		c, e := png.DecodeConfig(bytes.NewReader(data))
		s.w, s.h, err, cfgModel = c.Width, c.Height, e, c.ColorModel
		s.dpi = pngDPI(data)
	}
	if err != nil {
		if e := undecodable(1, err); e.Code == CodeUnsupported {
			return nil, e
		}
	}
	if err != nil || s.w <= 0 || s.h <= 0 {
		return nil, newError(CodeUnreadable, 0, err, msgUnreadable)
	}
	s.color = ColorColor
	if m := cfgModel; m == color.GrayModel || m == color.Gray16Model || grayPNG(s.kind, data, m) {
		s.color = ColorGray
	}
	if int64(s.w)*int64(s.h) > lim.MaxPixels {
		return nil, imageTooLarge(1, s.w, s.h)
	}
	if s.dpi <= 0 {
		s.dpi = assumedDPI(s.w, s.h)
	}
	if e := pageTooSmall(1, float64(s.w)/s.dpi*25.4, float64(s.h)/s.dpi*25.4, s.w, s.h); e != nil {
		return nil, e
	}
	return s, nil
}

func (s *imageSource) pageCount() int      { return 1 }
func (s *imageSource) activeContent() bool { return false }
func (s *imageSource) page(n int) (pageImage, error) {
	return pageImage{number: n, kind: s.kind, data: s.data, dpi: s.dpi, color: s.color, rotate: s.rotate}, nil
}

// build embeds the image as it is stored, the page turned by /Rotate as
// the Exif orientation says, so that it is shown upright.
func (s *imageSource) build(pages []int) ([]byte, error) {
	p := imagePage(s.data, s.kind, s.w, s.h, s.dpi)
	p.rotate = s.rotate
	return buildPDF([]outPage{p})
}

// imagePage places an image on a page of its true physical size.
func imagePage(data []byte, kind string, w, h int, dpi float64) outPage {
	return outPage{img: data, kind: kind, wPt: float64(w) * 72 / dpi, hPt: float64(h) * 72 / dpi}
}

// assumedDPI is the resolution of a w×h image without resolution metadata,
// assuming it is an A4 page (the usual administrative paper) fitted to the
// image, as scanner software that strips the metadata does.
func assumedDPI(w, h int) float64 {
	long, short := float64(max(w, h)), float64(min(w, h))
	return min(long/a4LongIn, short/a4ShortIn)
}

// plausibleDPI rejects resolution metadata that cannot be a scan (1 dpi,
// 72 dpi defaults are kept: they are wrong but what the file says).
func plausibleDPI(d float64) float64 {
	if d < 10 || d > 10000 {
		return 0
	}
	return d
}

// jpegDPI reads the resolution from a JPEG's JFIF APP0 segment; 0 if absent.
func jpegDPI(b []byte) float64 {
	i := 2
	for i+4 <= len(b) && b[i] == 0xFF {
		marker := b[i+1]
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return 0
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 0
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE0 && len(seg) >= 12 && string(seg[:5]) == "JFIF\x00" {
			unit := seg[7]
			x := float64(binary.BigEndian.Uint16(seg[8:]))
			y := float64(binary.BigEndian.Uint16(seg[10:]))
			d := min(x, y)
			switch unit {
			case 1:
				return plausibleDPI(d)
			case 2:
				return plausibleDPI(d * 2.54)
			}
			return 0
		}
		i += 2 + n
	}
	return 0
}

// pngDPI reads the resolution from a PNG's pHYs chunk; 0 if absent.
func pngDPI(b []byte) float64 {
	i := 8
	for i+12 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n < 0 || i+12+n > len(b) {
			return 0
		}
		if typ == "pHYs" && n == 9 {
			x := float64(binary.BigEndian.Uint32(b[i+8:]))
			y := float64(binary.BigEndian.Uint32(b[i+12:]))
			if b[i+16] != 1 { // unit unknown: aspect ratio only
				return 0
			}
			return plausibleDPI(min(x, y) * 0.0254)
		}
		if typ == "IDAT" || typ == "IEND" {
			return 0
		}
		i += 12 + n
	}
	return 0
}

// grayPNG reports whether a PNG holds only greys though Go decodes it to a
// colour model: grey with alpha (colour type 4), or a palette of greys.
func grayPNG(kind string, data []byte, m color.Model) bool {
	if kind != "png" || len(data) < 26 {
		return false
	}
	if data[25] == 4 {
		return true
	}
	p, ok := m.(color.Palette)
	if !ok || len(p) == 0 {
		return false
	}
	for _, c := range p {
		r, g, b, _ := c.RGBA()
		if r != g || g != b {
			return false
		}
	}
	return true
}
