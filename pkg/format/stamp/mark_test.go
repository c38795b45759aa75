package stamp_test

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/format/stamp"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

var mark = stamp.Mark{
	DossierCode: "000.00.01.H29-261123-0001",
	Component:   "TOKHAI",
	Converter:   "Trần Văn Đức",
	Unit:        "Bưu cục Hoàn Kiếm, Hà Nội",
	At:          time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC), // 09:15 in Vietnam
}

// scanPDF returns a component PDF as the scan package makes it: n image-only
// pages, A4 (a4) or as large as the image in points (pos:full import).
func scanPDF(t testing.TB, n, dpi int, a4 bool) []byte {
	t.Helper()
	var sheets []scantest.Sheet
	for i := range n {
		if i%2 == 0 {
			sheets = append(sheets, scantest.Text(fmt.Sprintf("Trang %d", i+1)))
		} else {
			sheets = append(sheets, scantest.Blank())
		}
	}
	jpegs, err := scantest.JPEGs(scantest.Spec{Sheets: sheets, Seed: 7, DPI: dpi})
	if err != nil {
		t.Fatal(err)
	}
	if a4 {
		b, err := scantest.PDF(jpegs)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rs := make([]io.Reader, len(jpegs))
	for i, j := range jpegs {
		rs[i] = bytes.NewReader(j)
	}
	var out bytes.Buffer
	if err := api.ImportImages(nil, &out, rs, api.DefaultImportConfig(), nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// withPage1 returns pdf with page 1's dictionary changed by f.
func withPage1(t testing.TB, pdf []byte, f func(types.Dict)) []byte {
	t.Helper()
	ctx, err := api.ReadContext(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	if err := ctx.EnsurePageCount(); err != nil {
		t.Fatal(err)
	}
	d, _, _, err := ctx.PageDict(1, false)
	if err != nil {
		t.Fatal(err)
	}
	f(d)
	var out bytes.Buffer
	if err := api.WriteContext(ctx, &out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func pageCount(t testing.TB, pdf []byte) int {
	t.Helper()
	n, err := api.PageCount(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// render rasterises every page of the PDF at path at a low resolution.
func render(t testing.TB, path string, pages int) []*image.Gray {
	t.Helper()
	prefix := path + "-page"
	pdftool.Run(t, "pdftoppm", "-png", "-gray", "-r", "24", path, prefix)
	var out []*image.Gray
	for i := 1; i <= pages; i++ {
		name := fmt.Sprintf("%s-%d.png", prefix, i)
		if pages >= 10 {
			name = fmt.Sprintf("%s-%02d.png", prefix, i)
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		g := image.NewGray(img.Bounds())
		draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
		out = append(out, g)
	}
	return out
}

func TestConversionMark(t *testing.T) {
	a4 := scanPDF(t, 3, 50, true)
	full := scanPDF(t, 2, 50, false)
	rotate := func(deg int) func(types.Dict) {
		return func(d types.Dict) { d["Rotate"] = types.Integer(deg) }
	}
	tests := []struct {
		name string
		pdf  []byte
	}{
		{"A4 pages", a4},
		{"image-sized pages", full},
		{"rotated 90", withPage1(t, a4, rotate(90))},
		{"rotated 180", withPage1(t, a4, rotate(180))},
		{"rotated 270", withPage1(t, a4, rotate(-90))},
		{"offset crop box", withPage1(t, a4, func(d types.Dict) {
			d["CropBox"] = types.NewNumberArray(100, 200, 500, 800)
		})},
	}
	s := stamp.NewStamper(newFont(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := s.ConversionMark(tt.pdf, mark)
			if err != nil {
				t.Fatal(err)
			}
			if grew := len(out) - len(tt.pdf); grew > 48<<10 {
				t.Errorf("the mark added %d bytes; the font subset should keep it under 48 KiB", grew)
			}
			n := pageCount(t, tt.pdf)
			if got := pageCount(t, out); got != n {
				t.Fatalf("pages = %d, want %d", got, n)
			}
			dir := t.TempDir()
			in, path := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
			if err := os.WriteFile(in, tt.pdf, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, out, 0o600); err != nil {
				t.Fatal(err)
			}
			if out := pdftool.Run(t, "qpdf", "--check", path); !strings.Contains(out, "No syntax or stream encoding errors") {
				t.Errorf("qpdf --check:\n%s", out)
			}

			// The mark is text on page 1, and only there.
			page1 := strings.Join(strings.Fields(pdftool.Run(t, "pdftotext", "-f", "1", "-l", "1", path, "-")), " ")
			for _, want := range []string{
				stamp.ConvertedFromPaper, "Thời gian chuyển đổi: 09:15:00 ngày 23/11/2026",
				"Người chuyển đổi: Trần Văn Đức", "Đơn vị tiếp nhận: Bưu cục Hoàn Kiếm, Hà Nội",
				"Hồ sơ: 000.00.01.H29-261123-0001 · Thành phần: TOKHAI",
			} {
				if !strings.Contains(page1, want) {
					t.Errorf("page 1 text lacks %q: %q", want, page1)
				}
			}
			if n > 1 {
				rest := pdftool.Run(t, "pdftotext", "-f", "2", "-l", strconv.Itoa(n), path, "-")
				if strings.TrimSpace(strings.ReplaceAll(rest, "\f", "")) != "" {
					t.Errorf("pages 2–%d have text: %q", n, rest)
				}
			}

			// It sits at the top left of the page as displayed.
			x, y, w, h := wordBox(t, path, "Bản")
			if x > 0.1*w || y > 0.1*h {
				t.Errorf("mark starts at (%.0f, %.0f) on a %.0f×%.0f page, want the top-left corner", x, y, w, h)
			}

			// Every page looks the same as before, except the mark's corner of page 1.
			before, after := render(t, in, n), render(t, path, n)
			for i := range n {
				b, a := before[i], after[i]
				if b.Rect != a.Rect {
					t.Fatalf("page %d: size %v became %v", i+1, b.Rect, a.Rect)
				}
				changed := 0
				for py := 0; py < b.Rect.Dy(); py++ {
					for px := 0; px < b.Rect.Dx(); px++ {
						if b.GrayAt(px, py) == a.GrayAt(px, py) {
							continue
						}
						changed++
						inCorner := px < b.Rect.Dx()*6/10 && py < b.Rect.Dy()*2/10
						if i > 0 || !inCorner {
							t.Fatalf("page %d: pixel (%d,%d) changed outside the mark", i+1, px, py)
						}
					}
				}
				if i == 0 && changed == 0 {
					t.Error("page 1 looks unchanged: no mark drawn")
				}
			}
		})
	}
}

// wordBox returns the top-left corner of the first word w on page 1, and the
// page's displayed size, from pdftotext -bbox (points, y downwards).
func wordBox(t *testing.T, path, word string) (x, y, w, h float64) {
	t.Helper()
	html := pdftool.Run(t, "pdftotext", "-bbox", "-cropbox", "-f", "1", "-l", "1", path, "-")
	attr := func(s, name string) float64 {
		i := strings.Index(s, name+`="`)
		if i < 0 {
			t.Fatalf("no %s in %q", name, s)
		}
		s = s[i+len(name)+2:]
		v, err := strconv.ParseFloat(s[:strings.IndexByte(s, '"')], 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	i := strings.Index(html, "<page ")
	if i < 0 {
		t.Fatalf("no page in %q", html)
	}
	w, h = attr(html[i:], "width"), attr(html[i:], "height")
	for _, line := range strings.Split(html, "\n") {
		if strings.Contains(line, "<word ") && strings.Contains(line, ">"+word+"</word>") {
			return attr(line, "xMin"), attr(line, "yMin"), w, h
		}
	}
	t.Fatalf("no word %q on page 1:\n%s", word, html)
	return
}

func newFont(t testing.TB) *pdffont.Font {
	t.Helper()
	f, err := pdffont.NewFont()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestConversionMarkRefuses(t *testing.T) {
	a4 := scanPDF(t, 1, 50, true)
	noName := mark
	noName.Converter = " "
	noUnit := mark
	noUnit.Unit = ""
	noTime := mark
	noTime.At = time.Time{}
	tests := []struct {
		name string
		pdf  []byte
		m    stamp.Mark
		kind errs.Kind
	}{
		{"empty", nil, mark, errs.Invalid},
		{"not a PDF", []byte("<html>hello</html>"), mark, errs.Invalid},
		{"truncated", a4[:len(a4)/2], mark, errs.Invalid},
		{"header and EOF only", []byte("%PDF-1.7\n%%EOF\n"), mark, errs.Invalid},
		{"too large", make([]byte, stamp.MaxInputBytes+1), mark, errs.TooLarge},
		{"no converter", a4, noName, errs.Invalid},
		{"no unit", a4, noUnit, errs.Invalid},
		{"no time", a4, noTime, errs.Invalid},
	}
	s := stamp.NewStamper(newFont(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := s.ConversionMark(tt.pdf, tt.m)
			if err == nil || errs.KindOf(err) != tt.kind {
				t.Fatalf("err = %v (%d bytes out), want a %v error", err, len(out), tt.kind)
			}
		})
	}
}

func TestConversionMarkEncrypted(t *testing.T) {
	dir := t.TempDir()
	in, enc := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "enc.pdf")
	if err := os.WriteFile(in, scanPDF(t, 1, 50, true), 0o600); err != nil {
		t.Fatal(err)
	}
	pdftool.Run(t, "qpdf", "--encrypt", "", "owner", "256", "--", in, enc)
	b, err := os.ReadFile(enc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stamp.ConversionMark(b, mark); errs.KindOf(err) != errs.Invalid {
		t.Fatalf("encrypted PDF: err = %v, want Invalid", err)
	}
}

func BenchmarkConversionMark(b *testing.B) {
	pdf := scanPDF(b, 10, 200, true) // 10 A4 pages at 200 dpi, as scanned at the counter
	s := stamp.NewStamper(newFont(b))
	b.SetBytes(int64(len(pdf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ConversionMark(pdf, mark); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConversionMarkAppends: the mark is an incremental update: the file as
// it was is the stamped file's beginning, unchanged, and it is written in
// the slice's spare capacity when there is room (the caller gives pdf up).
func TestConversionMarkAppends(t *testing.T) {
	doc := scanPDF(t, 2, 50, true)
	s := stamp.NewStamper(newFont(t))
	for _, tt := range []struct {
		name    string
		room    int
		inPlace bool
	}{{"with room", 1 << 20, true}, {"without room", 0, false}} {
		t.Run(tt.name, func(t *testing.T) {
			in := append(make([]byte, 0, len(doc)+tt.room), doc...)
			out, err := s.ConversionMark(in, mark)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out[:len(doc)], doc) || !bytes.Equal(in, doc) || len(out) <= len(doc) {
				t.Fatal("the file as it was is not the stamped file's unchanged beginning")
			}
			if got := &out[0] == &in[0]; got != tt.inPlace {
				t.Errorf("written in place: %v, want %v", got, tt.inPlace)
			}
			if n := pageCount(t, out); n != 2 {
				t.Errorf("%d pages after stamping, want 2", n)
			}
		})
	}
}
