package dossier_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/format/stamp"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// markChecker certifies components with the conversion mark placed from
// the scan's ink map, and checks on each certified copy that the mark
// covers no dark pixel of the scanned page: page 1 is rendered by poppler
// with and without the mark, and every pixel that changed was paper.
type markChecker struct {
	t      *testing.T
	st     *stamp.Stamper
	marked int
}

func (c *markChecker) Certify(_ context.Context, pdf []byte, m dossier.ConversionMark) ([]byte, dossier.MarkPlacement, error) {
	t := c.t
	t.Helper()
	mk := stamp.Mark{DossierCode: m.DossierCode, Component: m.Component, Converter: m.Converter, Unit: m.Unit, At: m.At}
	if m.Ink == nil {
		t.Errorf("component %s: no ink map from the scan", m.Component)
	} else {
		mk.Ink = m.Ink
	}
	out, where, err := c.st.ConversionMarkPlaced(pdf, mk)
	if err != nil {
		return nil, "", err
	}
	before, after := renderGray(t, pdf), renderGray(t, out)
	off := after.Bounds().Dy() - before.Bounds().Dy() // a band added above the page
	if off < 0 || after.Bounds().Dx() != before.Bounds().Dx() {
		t.Fatalf("rendered %v then %v", before.Bounds(), after.Bounds())
	}
	// A band added above the page shifts it by a whole number of points,
	// not always of pixels: under a band a pixel counts as hidden only when
	// it differs from the page's pixel there and from its neighbours (the
	// mark's box changes a whole area, not single resampled pixels).
	hidden := 0
	h := before.Bounds().Dy()
	for y := range h {
		for x := range before.Bounds().Dx() {
			a, b := int(before.GrayAt(x, y).Y), int(after.GrayAt(x, y+off).Y)
			if a >= 128 || (off > 0 && y == 0) { // row 0 under a band: the seam, blended with it
				continue
			}
			near := false
			for dy := -1; dy <= 1 && off > 0; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if n := int(before.GrayAt(x+dx, min(max(y+dy, 0), h-1)).Y); n-b <= 24 && b-n <= 24 {
						near = true
					}
				}
			}
			if (a-b > 24 || b-a > 24) && !near {
				hidden++
			}
		}
	}
	if hidden > 0 {
		t.Errorf("component %s: the mark covers %d dark pixels of the scanned page", m.Component, hidden)
	}
	c.marked++
	return out, map[stamp.Placement]dossier.MarkPlacement{stamp.PlacedTopLeft: dossier.MarkTopLeft, stamp.PlacedEmpty: dossier.MarkMoved,
		stamp.PlacedCompact: dossier.MarkCompact, stamp.PlacedBand: dossier.MarkBand}[where], nil
}

// renderGray renders page 1 of pdf in grey at 40 dpi with poppler.
func renderGray(t *testing.T, pdf []byte) *image.Gray {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftool.Path(t, "pdftoppm"), "-r", "40", "-gray", "-singlefile", "-f", "1", "-l", "1", in, filepath.Join(dir, "p")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "p.pgm"))
	if err != nil {
		t.Fatal(err)
	}
	var w, h, maxv int
	r := bytes.NewReader(b)
	if _, err := fmt.Fscanf(r, "P5\n%d %d\n%d\n", &w, &h, &maxv); err != nil {
		t.Fatalf("pgm: %v", err)
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	copy(g.Pix, b[len(b)-w*h:])
	return g
}

// TestCaptureConditions ingests the complete birth-registration dossier
// captured the ways counters really scan — pages in strips, mixed raster,
// bilevel G4 in each convention, duplex with blank backs, a born-digital
// page — through the whole pipeline: each ends VALIDATED with the exact
// page count of every component, and the findings say what is true (not in
// colour, blank backs dropped, a page not scanned). 150 dpi still splits
// exactly and gets the resolution finding.
func TestCaptureConditions(t *testing.T) {
	heavy(t)
	pdftool.Path(t, "pdftoppm")
	font, err := pdffont.NewFont()
	if err != nil {
		t.Fatal(err)
	}
	sheets := []scantest.Sheet{
		scantest.Separator("TKKS", "Tờ khai đăng ký khai sinh"), scantest.Text("Tờ khai trang 1"), scantest.Text("Tờ khai trang 2"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước công dân"), scantest.Text("CCCD mặt trước"), scantest.Text("CCCD mặt sau")}
	pages := map[string]int{"TKKS": 2, "GCS": 1, "CCCD": 2}
	type cond struct {
		name     string
		spec     scantest.Spec
		layout   scantest.Layout
		status   dossier.Status
		findings []string // every finding code (any severity), sorted
	}
	base := scantest.Spec{Sheets: sheets, Seed: 21}
	with := func(f func(*scantest.Spec)) scantest.Spec { s := base; f(&s); return s }
	grey := "scan.not-colour"
	const tiffBlackIsZero = scantest.Layout(-1) // a multi-page G4 TIFF written BlackIsZero, not a PDF
	conds := []cond{
		{"2 strips", base, scantest.Strips2, dossier.Validated, []string{grey}},
		{"4 strips", base, scantest.Strips4, dossier.Validated, []string{grey}},
		{"100 strips", base, scantest.Strips100, dossier.Validated, []string{grey}},
		{"MRC", base, scantest.MRC, dossier.Validated, []string{grey}},
		{"G4 black-is-1", base, scantest.G4BlackIs1, dossier.Validated, []string{grey}},
		{"G4 without EOB", base, scantest.G4NoEOB, dossier.Validated, []string{grey}},
		{"G4 TIFF black-is-zero", base, tiffBlackIsZero, dossier.Validated, []string{grey}},
		{"duplex backs", with(func(s *scantest.Spec) { s.Duplex = true }), scantest.OneJPEG, dossier.Validated,
			[]string{"component.blank-pages", "component.blank-pages", "component.blank-pages", grey}},
		{"born-digital page with a logo", with(func(s *scantest.Spec) {
			s.Sheets = slices.Clone(sheets)
			s.Sheets[2] = scantest.Digital("To khai trang 2")
		}), scantest.OneJPEG, dossier.Validated, []string{"scan.born-digital", grey}},
		{"inline images", base, scantest.InlineJPEG, dossier.Validated, []string{grey}},
		{"page image inset in white margins", base, scantest.Inset, dossier.Validated, []string{grey}},
		{"rotated 90", base, scantest.Rotate90, dossier.Validated, []string{grey}},
		{"rotated 180", base, scantest.Rotate180, dossier.Validated, []string{grey}},
		{"rotated 270", base, scantest.Rotate270, dossier.Validated, []string{grey}},
		// A certificate printed full-bleed: the mark goes to a band above
		// the page, and a finding says so.
		{"full-bleed first page, rotated", with(func(s *scantest.Spec) {
			s.Sheets = slices.Clone(sheets)
			s.Sheets[4] = scantest.Photo()
		}), scantest.Rotate90, dossier.Validated, []string{"component.mark-placement", grey}},
		{"150 dpi", with(func(s *scantest.Spec) { s.DPI = 150 }), scantest.OneJPEG, dossier.Received,
			[]string{"scan.low-resolution", "scan.low-resolution", "scan.low-resolution", "scan.low-resolution", "scan.low-resolution", grey}},
	}
	for _, c := range conds {
		t.Run(c.name, func(t *testing.T) {
			var data []byte
			if c.layout == tiffBlackIsZero {
				data, err = scantest.TIFF(c.spec, scantest.TIFFG4BlackIsZero)
			} else {
				data, err = scantest.ScanPDF(c.spec, c.layout)
			}
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t)
			checker := &markChecker{t: t, st: stamp.NewStamper(font)}
			e.cfg.Sealer = checker
			if e.svc, err = dossier.NewService(e.cfg); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			d := e.create(t)
			if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			e.drain(t)
			got, err := e.svc.Get(ctx, clerk, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != c.status {
				t.Fatalf("status = %s, want %s; findings %+v", got.Status, c.status, got.Findings)
			}
			gotPages := map[string]int{}
			for _, comp := range got.Components {
				gotPages[comp.Code] = comp.Pages
			}
			if !equalMaps(gotPages, pages) {
				t.Errorf("pages = %v, want %v", gotPages, pages)
			}
			var codes []string
			for _, f := range got.Findings {
				codes = append(codes, f.Code)
				if f.Message == "" || (f.Code == grey && !strings.Contains(f.Message, "01/2023")) {
					t.Errorf("finding %s: message %q", f.Code, f.Message)
				}
			}
			if checker.marked != len(got.Components) {
				t.Errorf("%d certified copies checked, want %d", checker.marked, len(got.Components))
			}
			slices.Sort(codes)
			if fmt.Sprint(codes) != fmt.Sprint(c.findings) {
				t.Errorf("findings = %v, want %v", codes, c.findings)
			}
		})
	}
}
