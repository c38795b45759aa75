package scantest

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"strings"

	"github.com/sohoa/sohoa/pkg/format/ccitt"
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
)

// String names a layout for test names.
func (l Layout) String() string {
	return [...]string{"one JPEG", "2 strips", "4 strips", "100 strips", "MRC", "G4", "G4 BlackIs1", "G4 no EOB aligned"}[l]
}

// Layouts lists every Layout.
var Layouts = []Layout{OneJPEG, Strips2, Strips4, Strips100, MRC, G4, G4BlackIs1, G4NoEOB}

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
		o := ccitt.EncodeOptions{K: -1, NoEOB: layout == G4NoEOB, EncodedByteAlign: layout == G4NoEOB}
		data := ccitt.Encode(img, o)
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
	default:
		return "", fmt.Errorf("layout %d", layout)
	}
	return w.page(pagesObj, pw, ph, xo, nil, content.String()), nil
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
