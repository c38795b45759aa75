package scan_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/race"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// TestFormatsGiveTheSameComponents splits the same dossier scanned to PDF
// and to multi-page TIFF, and single pages to JPEG and PNG.
func TestFormatsGiveTheSameComponents(t *testing.T) {
	if race.Enabled {
		t.Skip("decodes many generated pages: ~20x slower under -race; make heavy runs it without")
	}
	spec := scantest.Spec{Seed: 9, Sheets: sheets(
		one(scantest.Separator("TK-01", "Tờ khai")), text(1, "Tờ khai"),
		one(scantest.Separator("CCCD", "Căn cước")), one(scantest.Blank()),
		one(scantest.Separator("GCS", "Giấy chứng sinh")), text(2, "Giấy chứng sinh"))}
	spec.DPI = testDPI
	pages, err := scantest.Images(spec)
	if err != nil {
		t.Fatal(err)
	}
	jpegs, err := scantest.EncodeJPEGs(pages, testDPI, 75)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := scantest.PDF(jpegs)
	if err != nil {
		t.Fatal(err)
	}
	tiffDeflate, err := scantest.EncodeTIFF(pages, testDPI, 75, scantest.TIFFDeflate)
	if err != nil {
		t.Fatal(err)
	}
	tiffJPEG, err := scantest.EncodeTIFF(pages, testDPI, 75, scantest.TIFFJPEG)
	if err != nil {
		t.Fatal(err)
	}
	tiffG4, err := scantest.EncodeTIFF(pages, testDPI, 75, scantest.TIFFG4)
	if err != nil {
		t.Fatal(err)
	}
	tiffG4BlackIsZero, err := scantest.EncodeTIFF(pages, testDPI, 75, scantest.TIFFG4BlackIsZero)
	if err != nil {
		t.Fatal(err)
	}
	want, err := scan.Split(context.Background(), pdf, scan.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Components) != 3 {
		t.Fatalf("PDF gave %d components", len(want.Components))
	}
	for _, tt := range []struct {
		name, format string
		data         []byte
	}{
		{"tiff deflate", scan.FormatTIFF, tiffDeflate},
		{"tiff jpeg", scan.FormatTIFF, tiffJPEG},
		{"tiff g4", scan.FormatTIFF, tiffG4},
		{"tiff g4 black-is-zero", scan.FormatTIFF, tiffG4BlackIsZero},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scan.Split(context.Background(), tt.data, scan.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != tt.format || len(got.Components) != len(want.Components) {
				t.Fatalf("format %s, %d components; want %s, %d", got.Format, len(got.Components), tt.format, len(want.Components))
			}
			for i, w := range want.Components {
				g := got.Components[i]
				if g.Code != w.Code || !slices.Equal(g.Pages, w.Pages) || !slices.Equal(g.Blank, w.Blank) {
					t.Errorf("component %d = %s %v %v, want %s %v %v", i, g.Code, g.Pages, g.Blank, w.Code, w.Pages, w.Blank)
				}
				checkA4(t, g.PDF, len(w.Pages))
				if strings.Contains(tt.name, "g4") && len(w.Pages) > 0 {
					checkPaperLooksWhite(t, g.PDF)
				}
			}
			for _, p := range got.Pages {
				if p.DPI < float64(testDPI-1) || p.DPI > float64(testDPI+1) {
					t.Errorf("page %d dpi %.1f, want %d", p.Number, p.DPI, testDPI)
				}
				if bilevel := strings.Contains(tt.name, "g4"); bilevel != (p.Color == scan.ColorBilevel) || p.Ink > 0.3 {
					t.Errorf("page %d colour %q ink %.2f", p.Number, p.Color, p.Ink)
				}
			}
		})
	}

	imgs, err := scantest.Images(scantest.Spec{Seed: 3, DPI: 150, Sheets: []scantest.Sheet{scantest.Text("Đơn")}})
	if err != nil {
		t.Fatal(err)
	}
	jp, err := scantest.EncodeJPEGs(imgs, 150, 75)
	if err != nil {
		t.Fatal(err)
	}
	png, err := scantest.PNG(imgs[0], 150)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{scan.FormatJPEG: jp[0], scan.FormatPNG: png} {
		t.Run(name, func(t *testing.T) {
			got, err := scan.Split(context.Background(), data, scan.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != name || len(got.Components) != 1 || got.Components[0].Code != "" || len(got.Pages) != 1 {
				t.Fatalf("format %s, %d components", got.Format, len(got.Components))
			}
			// 150 dpi is measured from the file's own metadata: below MinDPI.
			if d := got.Pages[0].DPI; d < 149 || d > 151 || d >= scan.MinDPI {
				t.Errorf("dpi %.1f, want 150", d)
			}
			checkA4(t, got.Components[0].PDF, 1)
		})
	}
}

// checkA4 checks that a PDF has n pages, each A4 (the true size of the scan).
func checkA4(t *testing.T, b []byte, n int) {
	t.Helper()
	checkPDF(t, b, n)
	if n == 0 {
		return
	}
	ctx, err := api.ReadAndValidate(bytes.NewReader(b), model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	dims, err := ctx.PageDims()
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range dims {
		if d.Width < 593 || d.Width > 597 || d.Height < 840 || d.Height > 844 {
			t.Errorf("page %d is %.1f×%.1f pt, want A4 595×842", i+1, d.Width, d.Height)
		}
	}
}

// checkPaperLooksWhite renders page 1 of a component with poppler and
// checks it reads as paper (mostly white), not inverted.
func checkPaperLooksWhite(t *testing.T, pdf []byte) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "c.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftool.Path(t, "pdftoppm"), "-r", "30", "-gray", "-singlefile", "-f", "1", "-l", "1", in, filepath.Join(dir, "p")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "p.pgm"))
	if err != nil {
		t.Fatal(err)
	}
	// P5 header, then the pixels: the mean of the last half is paper.
	px := b[len(b)/2:]
	sum := 0
	for _, v := range px {
		sum += int(v)
	}
	if mean := sum / len(px); mean < 200 {
		t.Errorf("poppler renders the component page with mean grey %d: inverted or broken", mean)
	}
}
