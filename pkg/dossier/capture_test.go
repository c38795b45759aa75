package dossier_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/scan/scantest"
)

// TestCaptureConditions ingests the complete birth-registration dossier
// captured the ways counters really scan — pages in strips, mixed raster,
// bilevel G4 in each convention, duplex with blank backs, a born-digital
// page — through the whole pipeline: each ends VALIDATED with the exact
// page count of every component, and the findings say what is true (not in
// colour, blank backs dropped, a page not scanned). 150 dpi still splits
// exactly and gets the resolution finding.
func TestCaptureConditions(t *testing.T) {
	heavy(t)
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
	conds := []cond{
		{"2 strips", base, scantest.Strips2, dossier.Validated, []string{grey}},
		{"4 strips", base, scantest.Strips4, dossier.Validated, []string{grey}},
		{"100 strips", base, scantest.Strips100, dossier.Validated, []string{grey}},
		{"MRC", base, scantest.MRC, dossier.Validated, []string{grey}},
		{"G4 black-is-1", base, scantest.G4BlackIs1, dossier.Validated, []string{grey}},
		{"G4 without EOB", base, scantest.G4NoEOB, dossier.Validated, []string{grey}},
		{"duplex backs", with(func(s *scantest.Spec) { s.Duplex = true }), scantest.OneJPEG, dossier.Validated,
			[]string{"component.blank-pages", "component.blank-pages", "component.blank-pages", grey}},
		{"born-digital page with a logo", with(func(s *scantest.Spec) {
			s.Sheets = slices.Clone(sheets)
			s.Sheets[2] = scantest.Digital("To khai trang 2")
		}), scantest.OneJPEG, dossier.Validated, []string{"scan.born-digital", grey}},
		{"150 dpi", with(func(s *scantest.Spec) { s.DPI = 150 }), scantest.OneJPEG, dossier.NeedsSupplement,
			[]string{"scan.low-resolution", "scan.low-resolution", "scan.low-resolution", "scan.low-resolution", "scan.low-resolution", grey}},
	}
	for _, c := range conds {
		t.Run(c.name, func(t *testing.T) {
			data, err := scantest.ScanPDF(c.spec, c.layout)
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t)
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
			slices.Sort(codes)
			if fmt.Sprint(codes) != fmt.Sprint(c.findings) {
				t.Errorf("findings = %v, want %v", codes, c.findings)
			}
		})
	}
}
