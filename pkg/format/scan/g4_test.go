package scan_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/sohoa/sohoa/pkg/race"

	"github.com/sohoa/sohoa/pkg/format/scan"
)

// TestCCITTG4 splits a bilevel fax-style scan compressed with CCITT G4, as a
// multi-page TIFF and as the PDF that libtiff's tiff2pdf makes of it (see
// testdata/scans/README.md).
func TestCCITTG4(t *testing.T) {
	if race.Enabled {
		t.Skip("decodes many generated pages: ~20x slower under -race; make heavy runs it without")
	}
	want := []wantComp{{"TK-01", []int{2, 3}, nil}, {"CCCD", []int{5}, nil}, {"GCS", nil, []int{7}}}
	for _, name := range []string{"dossier-g4.tif", "dossier-g4.pdf"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile("../../../testdata/scans/" + name)
			if err != nil {
				t.Fatal(err)
			}
			res, err := scan.Split(context.Background(), data, scan.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Components) != len(want) {
				t.Fatalf("%d components, want %d", len(res.Components), len(want))
			}
			for i, w := range want {
				c := res.Components[i]
				if c.Code != w.code || !slices.Equal(c.Pages, w.pages) || !slices.Equal(c.Blank, w.blank) {
					t.Errorf("component %d = %s %v %v, want %s %v %v", i, c.Code, c.Pages, c.Blank, w.code, w.pages, w.blank)
				}
				checkA4(t, c.PDF, len(w.pages))
			}
			for _, p := range res.Pages {
				if p.DPI < 199 || p.DPI > 201 {
					t.Errorf("page %d dpi %.1f, want 200", p.Number, p.DPI)
				}
			}
		})
	}
}
