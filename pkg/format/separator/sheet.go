package separator

import (
	"fmt"
	"strings"
	"unicode/utf8"

	goqr "github.com/skip2/go-qrcode"

	"github.com/sohoa/sohoa/pkg/format/pdffont"
	"github.com/sohoa/sohoa/pkg/format/stamp"
)

// A4 in points, and the sheet's layout in points (the same as Image's in
// pixels at DPI).
const (
	pageW = 595.28
	pageH = 841.89
)

func pt(mmv float64) float64 { return mmv * 72 / 25.4 }

// Sheet returns a one-page A4 PDF separator sheet for the component code with
// its Vietnamese name: a large QR code holding Payload(code) drawn as vector
// squares, the code and the name in words. The words are real text, set by
// the one drawer of Vietnamese text on Sohoa's PDFs (pdffont.Text.Lines) in an
// embedded DejaVu subset, so a clerk's screen reader reads them and the sheet
// prints sharp at any resolution.
func Sheet(code, name string) ([]byte, error) {
	if !ValidCode(code) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidCode, code)
	}
	if !utf8.ValidString(name) || len(name) > 1000 {
		return nil, fmt.Errorf("separator: invalid component name for %q", code)
	}
	q, err := goqr.New(Payload(code), goqr.Medium)
	if err != nil {
		return nil, fmt.Errorf("separator: QR for %q: %w", code, err)
	}
	regF, err := pdffont.NewFont()
	if err != nil {
		return nil, fmt.Errorf("separator: font: %w", err)
	}
	boldF, err := pdffont.NewBoldFont()
	if err != nil {
		return nil, fmt.Errorf("separator: font: %w", err)
	}
	reg, bold := regF.NewText(), boldF.NewText()
	var c strings.Builder
	centred := func(t *pdffont.Text, res string, size, y float64, s string) {
		c.WriteString(t.Lines(res, (pageW-t.Font().Width(s, size))/2, y, size, size*1.25, []string{s}))
	}
	margin := pt(15)
	// Frame: thick bars tell the clerk at a glance that this page is not part of the dossier.
	fmt.Fprintf(&c, "0 g %s %s %s %s re f\n", num(margin), num(pageH-margin-pt(3)), num(pageW-2*margin), num(pt(3)))
	fmt.Fprintf(&c, "%s %s %s %s re f\n", num(margin), num(margin), num(pageW-2*margin), num(pt(3)))

	// y runs down from the top, as in Image; baselines are placed like its text.
	y := margin + pt(18)
	down := func(size float64) float64 { return pageH - y - boldF.Ascent(size) }
	centred(bold, "F2", 26*72/72, down(26), "TỜ PHÂN CÁCH THÀNH PHẦN HỒ SƠ")
	y += (boldF.Ascent(26) - boldF.Descent(26))

	// QR code, centred, dark modules as squares (runs in a row as one rectangle).
	bm := q.Bitmap()
	side := pt(qrSizeMM)
	m := side / float64(len(bm))
	x0, y0 := (pageW-side)/2, y+pt(10)
	for r, row := range bm {
		for col := 0; col < len(row); {
			if !row[col] {
				col++
				continue
			}
			start := col
			for col < len(row) && row[col] {
				col++
			}
			fmt.Fprintf(&c, "%s %s %s %s re\n", num(x0+float64(start)*m), num(pageH-y0-float64(r+1)*m), num(float64(col-start)*m), num(m))
		}
	}
	c.WriteString("f\n")
	y = y0 + side + pt(14)
	centred(bold, "F2", 40, down(40), code)
	y += boldF.Ascent(40) - boldF.Descent(40) + pt(6)
	for _, line := range regF.Wrap(name, 22, pageW-2*margin-pt(10)) {
		centred(reg, "F1", 22, down(22), line)
		y += regF.Ascent(22) - regF.Descent(22) + pt(2)
		if y > pageH-pt(60) {
			break
		}
	}
	yf := pageH - margin - pt(22)
	centred(reg, "F1", 12, pageH-yf-regF.Ascent(12), "Đặt tờ này ngay trước các trang của thành phần hồ sơ trên rồi quét cả tập.")
	yf += regF.Ascent(12) - regF.Descent(12) + pt(2)
	centred(reg, "F1", 12, pageH-yf-regF.Ascent(12), "Không viết, không đóng dấu lên mã QR. Trang này không thuộc hồ sơ.")
	return sheetPDF(c.String(), reg, bold)
}

// sheetPDF assembles the one-page PDF.
func sheetPDF(content string, reg, bold *pdffont.Text) ([]byte, error) {
	out, err := stamp.Document{Width: pageW, Height: pageH, Pages: []string{content},
		Fonts: map[string]*pdffont.Text{"F1": reg, "F2": bold}}.PDF()
	if err != nil {
		return nil, fmt.Errorf("separator: %w", err)
	}
	return out, nil
}

func num(f float64) string {
	s := fmt.Sprintf("%.2f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" || s == "-" {
		return "0"
	}
	return s
}
