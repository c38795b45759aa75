package scan_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/race"

	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// TestLayouts splits the same dossier stored the ways scanner software
// stores pages: strips, mixed raster, CCITT G4 in three conventions. Every
// layout gives the same components, and every page its true resolution.
func TestLayouts(t *testing.T) {
	if race.Enabled {
		t.Skip("decodes many generated pages: ~20x slower under -race; make heavy runs it without")
	}
	spec := scantest.Spec{Seed: 14, DPI: 200, Sheets: []scantest.Sheet{
		scantest.Separator("TK-01", "Tờ khai"), scantest.Text("Tờ khai 1"), scantest.Text("Tờ khai 2"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("Căn cước"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Blank(), scantest.Text("Giấy chứng sinh")}}
	want := []wantComp{{"TK-01", []int{2, 3}, nil}, {"CCCD", []int{5}, nil}, {"GCS", []int{8}, []int{7}}}
	imgs, err := scantest.Images(spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, layout := range scantest.Layouts {
		t.Run(layout.String(), func(t *testing.T) {
			pdf, err := scantest.LayoutPDF(spec, imgs, layout)
			if err != nil {
				t.Fatal(err)
			}
			res, err := scan.Split(context.Background(), pdf, scan.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Components) != len(want) {
				t.Fatalf("%d components, want %d; pages %+v", len(res.Components), len(want), res.Pages)
			}
			for i, w := range want {
				c := res.Components[i]
				if c.Code != w.code || !slices.Equal(c.Pages, w.pages) || !slices.Equal(c.Blank, w.blank) {
					t.Errorf("component %d = %s %v %v, want %s %v %v", i, c.Code, c.Pages, c.Blank, w.code, w.pages, w.blank)
				}
				checkPDF(t, c.PDF, len(w.pages))
			}
			color := layout.Color()
			for _, p := range res.Pages {
				if math.Abs(p.DPI-200) > 2 || p.Digital || p.Color != color {
					t.Errorf("page %d: %.1f dpi, digital %v, colour %s; want a %s scan at 200 dpi", p.Number, p.DPI, p.Digital, p.Color, color)
				}
			}
		})
	}
}

// TestBornDigitalPage: a page of real text with a small logo is not a scan
// at 6–19 dpi but a born-digital page, not blank, in its component.
func TestBornDigitalPage(t *testing.T) {
	if race.Enabled {
		t.Skip("decodes generated pages: slow under -race")
	}
	spec := scantest.Spec{Seed: 3, Sheets: []scantest.Sheet{
		scantest.Separator("TK-01", "Tờ khai"), scantest.Digital("To khai dien tu"), scantest.Text("Tờ khai 2")}}
	pdf, err := scantest.ScanPDF(spec, scantest.OneJPEG)
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Split(context.Background(), pdf, scan.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Components) != 1 || !slices.Equal(res.Components[0].Pages, []int{2, 3}) {
		t.Fatalf("components %+v", res.Components)
	}
	p := res.Pages[1]
	if !p.Digital || p.DPI != 0 || p.Blank {
		t.Errorf("born-digital page: %+v", p)
	}
	if q := res.Pages[2]; q.Digital || math.Abs(q.DPI-200) > 2 {
		t.Errorf("scanned page: %+v", q)
	}
}

// TestUndecodableImages: pages stored as JPEG 2000 or JBIG2, which Sohoa
// cannot decode yet, are never judged blank, at some dpi or without a
// separator: the finding names the compression and what to do instead.
func TestUndecodableImages(t *testing.T) {
	spec := scantest.Spec{Seed: 4, DPI: 200, Sheets: []scantest.Sheet{
		scantest.Separator("TK-01", "Tờ khai"), scantest.Text("Tờ khai 1")}}
	for _, tt := range []struct {
		layout scantest.Layout
		name   string
	}{{scantest.JPX, "JPEG 2000"}, {scantest.JBIG2, "JBIG2"}} {
		t.Run(tt.layout.String(), func(t *testing.T) {
			pdf, err := scantest.ScanPDF(spec, tt.layout)
			if err != nil {
				t.Fatal(err)
			}
			_, err = scan.Split(context.Background(), pdf, scan.DefaultLimits())
			var se *scan.Error
			if !errors.As(err, &se) || se.Code != scan.CodeUnsupported || se.Page != 1 {
				t.Fatalf("err = %v, want %s on page 1", err, scan.CodeUnsupported)
			}
			for _, want := range []string{"Trang 1", tt.name, "JPEG", "quét lại"} {
				if !strings.Contains(se.Message, want) {
					t.Errorf("message %q does not say %q", se.Message, want)
				}
			}
		})
	}
}

// TestInkMapOfAnInsetImage: a page image drawn with white margins around it
// is mapped where it is on the page: the margins are empty paper in the
// ink map (where the conversion mark may go), the image is ink.
func TestInkMapOfAnInsetImage(t *testing.T) {
	spec := scantest.Spec{Seed: 2, DPI: 200, Sheets: []scantest.Sheet{scantest.Photo()}}
	pdf, err := scantest.ScanPDF(spec, scantest.Inset)
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Split(context.Background(), pdf, scan.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	m := res.Pages[0].InkMap
	if m == nil || m.Cols < 50 {
		t.Fatalf("ink map %+v", m)
	}
	if m.Ink(0, 0) || m.Ink(m.Cols-1, m.Rows-1) {
		t.Error("the white margin is ink in the map: the image was mapped onto the whole page")
	}
	if !m.Ink(m.Cols/2, m.Rows/2) {
		t.Error("the full-bleed image is not ink in the map")
	}
}
