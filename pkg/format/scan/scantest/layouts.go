package scantest

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"strings"

	"github.com/sohoa/sohoa/pkg/format/ccitt/ccitttest"
)

// Layout is how scanner software stores each page image in a PDF.
type Layout int

// Layouts seen on counter scanners and multifunction printers.
const (
	// OneJPEG is one JPEG image covering the page (what Dossier writes).
	OneJPEG Layout = iota
	// Strips2 and Strips4 store each page as 2 or 4 horizontal JPEG bands,
	// as many multifunction printers' scan-to-PDF does.
	Strips2
	Strips4
	// Strips100 stores each page as 100 bands of a few rows, as PCLm and
	// some 600-dpi drivers do.
	Strips100
	// MRC is a mixed-raster "compact PDF" page: a background JPEG at a third
	// of the resolution with the text removed, and the text as a
	// full-resolution 1-bit stencil mask (/ImageMask) painted black.
	MRC
	// G4 is one CCITT G4 image per page, /BlackIs1 false (a fax-mode scan).
	G4
	// G4BlackIs1 is G4 written with /BlackIs1 true and /Decode [1 0]: the
	// same page, the other convention.
	G4BlackIs1
	// G4NoEOB is G4 without the end-of-block code (/EndOfBlock false) and
	// byte-aligned rows (/EncodedByteAlign true).
	G4NoEOB
	// InlineJPEG stores each page as an inline image (BI … ID … EI in the
	// page's content) compressed with DCT, as some drivers and PDF printers do.
	InlineJPEG
	// InlineFlate is an inline image of grey samples compressed with Flate.
	InlineFlate
	// Rotate90, Rotate180 and Rotate270 store the page image turned and
	// the page with /Rotate set so that it is displayed upright, as a scan
	// rotated in a viewer and saved is.
	Rotate90
	Rotate180
	Rotate270
	// Indexed is 8-bit samples into a palette of 256 RGB greys
	// ([/Indexed /DeviceRGB 255 <…>]), Flate-compressed.
	Indexed
	// Lab is CIE L*a*b* samples ([/Lab << /WhitePoint … >>]) with a and b
	// neutral, Flate-compressed: a grey page in a colour space.
	Lab
	// Inset draws the page image at 95 % of the page, centred, as "fit to
	// page" drivers do: a white margin around the scan, a higher effective
	// resolution. Not in Layouts (its pages are not at Spec.DPI).
	Inset
	// JPX and JBIG2 store each page image in a compression Sohoa cannot
	// decode: a JPEG 2000 file (a small fixed image, stretched over the
	// page) and a JBIG2 generic region coded with MMR. Not in Layouts: such
	// scans are refused with a finding that says so.
	JPX
	JBIG2
)

// String names a layout for test names.
func (l Layout) String() string {
	return [...]string{"one JPEG", "2 strips", "4 strips", "100 strips", "MRC", "G4", "G4 BlackIs1", "G4 no EOB aligned",
		"inline JPEG", "inline Flate", "rotate 90", "rotate 180", "rotate 270", "Indexed", "Lab", "inset", "JPEG 2000", "JBIG2"}[l]
}

// Bilevel reports whether the layout stores pages in 1 bit a pixel.
func (l Layout) Bilevel() bool { return l == G4 || l == G4BlackIs1 || l == G4NoEOB || l == JBIG2 }

// Rotation is the /Rotate of the layout's pages.
func (l Layout) Rotation() int {
	return map[Layout]int{Rotate90: 90, Rotate180: 180, Rotate270: 270}[l]
}

// Layouts lists every Layout that Sohoa reads.
var Layouts = []Layout{OneJPEG, Strips2, Strips4, Strips100, MRC, G4, G4BlackIs1, G4NoEOB, InlineJPEG, InlineFlate, Rotate90, Rotate180, Rotate270, Indexed, Lab}

// Color is what the layout's colour space says of a grey page: Lab is a
// colour space; the others store greys.
func (l Layout) Color() string {
	switch {
	case l.Bilevel():
		return "bilevel"
	case l == Lab:
		return "colour"
	}
	return "grey"
}

//go:embed page.jp2
var jp2Page []byte

// CMYKJPEG is a small page (124×175: two black bars on white paper) as
// Photoshop and ImageMagick write CMYK JPEGs: four components, an Adobe
// APP14 marker, the samples stored inverted. A PDF embeds it with /Decode
// [1 0 1 0 1 0 1 0] to be shown as the paper was.
//
//go:embed cmyk-page.jpg
var CMYKJPEG []byte

// ScanPDF returns spec scanned to a PDF whose pages are stored as layout
// says. A DigitalPage sheet becomes a born-digital page: real text in a
// standard font and a small logo image, no scanned image.
func ScanPDF(spec Spec, layout Layout) ([]byte, error) {
	imgs, err := Images(spec)
	if err != nil {
		return nil, err
	}
	return LayoutPDF(spec, imgs, layout)
}

// LayoutPDF is ScanPDF for page images already made by Images(spec), so
// that one dossier can be written in every layout without drawing it again.
func LayoutPDF(spec Spec, imgs []*image.Gray, layout Layout) ([]byte, error) {
	spec = spec.withDefaults()
	sheets := spec.expandedSheets()
	if len(sheets) != len(imgs) {
		return nil, fmt.Errorf("scantest: %d images for %d pages", len(imgs), len(sheets))
	}
	var err error
	w := &pdfWriter{}
	catalog := w.reserve()
	pagesObj := w.reserve()
	font := w.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	var kids []string
	for i, img := range imgs {
		var page string
		if sheets[i].Kind == DigitalPage {
			page, err = w.digitalPage(sheets[i], font, pagesObj)
		} else {
			page, err = w.scannedPage(img, spec.DPI, spec.Quality, layout, pagesObj)
		}
		if err != nil {
			return nil, fmt.Errorf("scantest: page %d: %w", i+1, err)
		}
		kids = append(kids, page)
	}
	w.set(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pagesObj))
	w.set(pagesObj, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids)))
	return RawPDF(w.objs...), nil
}

// pdfWriter collects object bodies numbered from 1.
type pdfWriter struct{ objs []string }

func (w *pdfWriter) reserve() int                        { w.objs = append(w.objs, ""); return len(w.objs) }
func (w *pdfWriter) set(n int, body string)              { w.objs[n-1] = body }
func (w *pdfWriter) add(body string) int                 { n := w.reserve(); w.set(n, body); return n }
func ref(n int) string                                   { return fmt.Sprintf("%d 0 R", n) }
func (w *pdfWriter) stream(dict string, data []byte) int { return w.add(Stream(dict, data)) }

func (w *pdfWriter) page(pagesObj int, wPt, hPt float64, xobjects map[string]int, fonts map[string]int, content string) string {
	var res []string
	if len(xobjects) > 0 {
		var xs []string
		for name, n := range xobjects {
			xs = append(xs, "/"+name+" "+ref(n))
		}
		res = append(res, "/XObject << "+strings.Join(xs, " ")+" >>")
	}
	if len(fonts) > 0 {
		var fs []string
		for name, n := range fonts {
			fs = append(fs, "/"+name+" "+ref(n))
		}
		res = append(res, "/Font << "+strings.Join(fs, " ")+" >>")
	}
	c := w.stream("/Filter /FlateDecode", Deflate([]byte(content)))
	n := w.add(fmt.Sprintf("<< /Type /Page /Parent %s /MediaBox [0 0 %.3f %.3f] /Resources << %s >> /Contents %s >>",
		ref(pagesObj), wPt, hPt, strings.Join(res, " "), ref(c)))
	return ref(n)
}

func jpegOf(img image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality})
	return buf.Bytes(), err
}

func (w *pdfWriter) scannedPage(img *image.Gray, dpi, quality int, layout Layout, pagesObj int) (string, error) {
	b := img.Bounds()
	pw, ph := float64(b.Dx())*72/float64(dpi), float64(b.Dy())*72/float64(dpi)
	xo := map[string]int{}
	var content strings.Builder
	switch layout {
	case OneJPEG, Strips2, Strips4, Strips100:
		n := map[Layout]int{OneJPEG: 1, Strips2: 2, Strips4: 4, Strips100: 100}[layout]
		for k := range n {
			y0, y1 := b.Dy()*k/n, b.Dy()*(k+1)/n
			band := img.SubImage(image.Rect(0, y0, b.Dx(), y1)).(*image.Gray)
			data, err := jpegOf(band, quality)
			if err != nil {
				return "", err
			}
			name := fmt.Sprintf("Im%d", k)
			xo[name] = w.stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", b.Dx(), y1-y0), data)
			hb := float64(y1-y0) * 72 / float64(dpi)
			fmt.Fprintf(&content, "q %.4f 0 0 %.4f 0 %.4f cm /%s Do Q\n", pw, hb, ph-float64(y1)*72/float64(dpi), name)
		}
	case MRC:
		// Background: the page without its dark pixels, at a third of the resolution.
		bw, bh := b.Dx()/3, b.Dy()/3
		bg := image.NewGray(image.Rect(0, 0, bw, bh))
		for y := range bh {
			for x := range bw {
				sum := 0
				for dy := range 3 {
					for dx := range 3 {
						v := int(img.Pix[(3*y+dy)*img.Stride+3*x+dx])
						if v < 128 {
							v = 235 // text removed: paper shows through
						}
						sum += v
					}
				}
				bg.Pix[y*bw+x] = uint8(sum / 9)
			}
		}
		data, err := jpegOf(bg, quality)
		if err != nil {
			return "", err
		}
		xo["Bg"] = w.stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", bw, bh), data)
		// Foreground: 1 bit a pixel, 0 paints (stencil default /Decode [0 1]).
		rowBytes := (b.Dx() + 7) / 8
		bits := make([]byte, rowBytes*b.Dy())
		for y := range b.Dy() {
			for x := range b.Dx() {
				if img.Pix[y*img.Stride+x] >= 128 {
					bits[y*rowBytes+x/8] |= 0x80 >> (x % 8)
				}
			}
		}
		xo["Fg"] = w.stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ImageMask true /BitsPerComponent 1 /Filter /FlateDecode", b.Dx(), b.Dy()), Deflate(bits))
		fmt.Fprintf(&content, "q %.4f 0 0 %.4f 0 0 cm /Bg Do Q\nq 0 g %.4f 0 0 %.4f 0 0 cm /Fg Do Q\n", pw, ph, pw, ph)
	case G4, G4BlackIs1, G4NoEOB:
		o := ccitttest.EncodeOptions{K: -1, NoEOB: layout == G4NoEOB, EncodedByteAlign: layout == G4NoEOB}
		data := ccitttest.Encode(img, o)
		parms := fmt.Sprintf("/K -1 /Columns %d /Rows %d", b.Dx(), b.Dy())
		extra := ""
		switch layout {
		case G4BlackIs1:
			parms += " /BlackIs1 true"
			extra = " /Decode [1 0]"
		case G4NoEOB:
			parms += " /EndOfBlock false /EncodedByteAlign true"
		}
		xo["Im0"] = w.stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1%s /Filter /CCITTFaxDecode /DecodeParms << %s >>", b.Dx(), b.Dy(), extra, parms), data)
		fmt.Fprintf(&content, "q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q\n", pw, ph)
	case InlineJPEG:
		data, err := jpegOf(img, quality)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&content, "q %.4f 0 0 %.4f 0 0 cm\nBI /W %d /H %d /CS /G /BPC 8 /F /DCT ID\n%s\nEI\nQ\n", pw, ph, b.Dx(), b.Dy(), data)
	case InlineFlate:
		data := Deflate(img.Pix[:b.Dx()*b.Dy()])
		fmt.Fprintf(&content, "q %.4f 0 0 %.4f 0 0 cm\nBI /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter [/Fl] ID %s\nEI Q\n", pw, ph, b.Dx(), b.Dy(), data)
	case Rotate90, Rotate180, Rotate270:
		// Displayed turned clockwise by /Rotate: store it turned the other way.
		rot := layout.Rotation()
		stored := turn(img, 360-rot)
		sb := stored.Bounds()
		data, err := jpegOf(stored, quality)
		if err != nil {
			return "", err
		}
		spw, sph := float64(sb.Dx())*72/float64(dpi), float64(sb.Dy())*72/float64(dpi)
		xo["Im0"] = w.stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", sb.Dx(), sb.Dy()), data)
		fmt.Fprintf(&content, "q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q\n", spw, sph)
		page := w.page(pagesObj, spw, sph, xo, nil, content.String())
		n := w.objs[len(w.objs)-1]
		w.objs[len(w.objs)-1] = strings.Replace(n, "/Type /Page ", fmt.Sprintf("/Type /Page /Rotate %d ", rot), 1)
		return page, nil
	case Indexed:
		var pal strings.Builder
		for i := range 256 {
			fmt.Fprintf(&pal, "%02X%02X%02X", i, i, i)
		}
		xo["Im0"] = w.stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace [/Indexed /DeviceRGB 255 <%s>] /BitsPerComponent 8 /Filter /FlateDecode", b.Dx(), b.Dy(), pal.String()), Deflate(img.Pix[:b.Dx()*b.Dy()]))
		fmt.Fprintf(&content, "q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q\n", pw, ph)
	case Lab:
		lab := make([]byte, 0, 3*b.Dx()*b.Dy())
		for _, v := range img.Pix[:b.Dx()*b.Dy()] {
			lab = append(lab, v, 128, 128) // L* from the grey; a*, b* neutral in [-128 127]
		}
		xo["Im0"] = w.stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace [/Lab << /WhitePoint [0.9505 1 1.089] /Range [-128 127 -128 127] >>] /BitsPerComponent 8 /Filter /FlateDecode", b.Dx(), b.Dy()), Deflate(lab))
		fmt.Fprintf(&content, "q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q\n", pw, ph)
	case Inset:
		data, err := jpegOf(img, quality)
		if err != nil {
			return "", err
		}
		xo["Im0"] = w.stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", b.Dx(), b.Dy()), data)
		fmt.Fprintf(&content, "q %.4f 0 0 %.4f %.4f %.4f cm /Im0 Do Q\n", 0.95*pw, 0.95*ph, 0.025*pw, 0.025*ph)
	case JPX:
		xo["Im0"] = w.stream("/Type /XObject /Subtype /Image /Width 124 /Height 175 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /JPXDecode", jp2Page)
		fmt.Fprintf(&content, "q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q\n", pw, ph)
	case JBIG2:
		xo["Im0"] = w.stream(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode", b.Dx(), b.Dy()), jbig2MMR(img))
		fmt.Fprintf(&content, "q %.4f 0 0 %.4f 0 0 cm /Im0 Do Q\n", pw, ph)
	default:
		return "", fmt.Errorf("layout %d", layout)
	}
	return w.page(pagesObj, pw, ph, xo, nil, content.String()), nil
}

// turn returns img turned clockwise by deg (90, 180 or 270).
func turn(img *image.Gray, deg int) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	if deg%180 != 0 {
		out = image.NewGray(image.Rect(0, 0, h, w))
	}
	for y := range h {
		for x := range w {
			v := img.Pix[(b.Min.Y+y-img.Rect.Min.Y)*img.Stride+b.Min.X+x-img.Rect.Min.X]
			switch deg % 360 {
			case 90:
				out.Pix[x*out.Stride+h-1-y] = v
			case 180:
				out.Pix[(h-1-y)*out.Stride+w-1-x] = v
			case 270:
				out.Pix[(w-1-x)*out.Stride+y] = v
			default:
				out.Pix[y*out.Stride+x] = v
			}
		}
	}
	return out
}

// jbig2MMR writes img as an embedded JBIG2 stream (ISO/IEC 14492, as PDF
// embeds it: no file header): a page information segment, one immediate
// lossless generic region coded with MMR (which is CCITT T.6, G4) and the
// end of the page.
func jbig2MMR(img *image.Gray) []byte {
	b := img.Bounds()
	w, h := uint32(b.Dx()), uint32(b.Dy())
	var out bytes.Buffer
	segment := func(nr uint32, typ byte, data []byte) {
		binary.Write(&out, binary.BigEndian, nr)
		out.WriteByte(typ) // page association in one byte, not deferred
		out.WriteByte(0)   // no referred-to segments
		out.WriteByte(1)   // page 1
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.Write(data)
	}
	var pi bytes.Buffer
	binary.Write(&pi, binary.BigEndian, [4]uint32{w, h, 0, 0})
	pi.WriteByte(0)                                // flags: default pixel 0 (white), OR
	binary.Write(&pi, binary.BigEndian, uint16(0)) // not striped
	segment(0, 48, pi.Bytes())                     // page information
	var gr bytes.Buffer
	binary.Write(&gr, binary.BigEndian, [4]uint32{w, h, 0, 0})
	gr.WriteByte(0) // external combination operator OR
	gr.WriteByte(1) // generic region flags: MMR
	gr.Write(ccitttest.Encode(img, ccitttest.EncodeOptions{K: -1}))
	segment(1, 38, gr.Bytes()) // immediate generic region (length known)
	segment(2, 49, nil)        // end of page
	return out.Bytes()
}

// digitalPage writes a born-digital A4 page: lines of text in Helvetica and
// a small grey logo image in the top-left corner.
func (w *pdfWriter) digitalPage(s Sheet, font, pagesObj int) (string, error) {
	const pw, ph = 595.276, 841.89
	logo := image.NewGray(image.Rect(0, 0, 120, 120))
	for y := range 120 {
		for x := range 120 {
			d := (x-60)*(x-60) + (y-60)*(y-60)
			v := uint8(255)
			if d < 55*55 && d > 40*40 {
				v = 40
			}
			logo.Pix[y*120+x] = v
		}
	}
	data, err := jpegOf(logo, 85)
	if err != nil {
		return "", err
	}
	xo := map[string]int{"Logo": w.stream("/Type /XObject /Subtype /Image /Width 120 /Height 120 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode", data)}
	var c strings.Builder
	fmt.Fprintf(&c, "q 60 0 0 60 50 %.2f cm /Logo Do Q\n", ph-110)
	title := s.Name
	if title == "" {
		title = "VAN BAN DIEN TU"
	}
	fmt.Fprintf(&c, "BT /F1 16 Tf 130 %.2f Td (%s) Tj ET\n", ph-80, pdfText(title))
	for i := range 30 {
		fmt.Fprintf(&c, "BT /F1 11 Tf 72 %.2f Td (%s) Tj ET\n", ph-160-float64(i)*18, pdfText(phrases[i%len(phrases)]))
	}
	return w.page(pagesObj, pw, ph, xo, map[string]int{"F1": font}, c.String()), nil
}

// pdfText keeps the ASCII of s (WinAnsi Helvetica has no Vietnamese) and
// escapes it for a PDF string.
func pdfText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 32 && r < 127:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}
