package scan_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/sohoa/sohoa/pkg/race"

	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// TestCCITTG4 splits a bilevel fax-style scan compressed with CCITT G4, as a
// multi-page TIFF written by libtiff in both photometric conventions
// (WhiteIsZero and BlackIsZero) and as the PDF that libtiff's tiff2pdf makes
// of it (see testdata/scans/README.md).
func TestCCITTG4(t *testing.T) {
	if race.Enabled {
		t.Skip("decodes many generated pages: ~20x slower under -race; make heavy runs it without")
	}
	want := []wantComp{{"TK-01", []int{2, 3}, nil}, {"CCCD", []int{5}, nil}, {"GCS", nil, []int{7}}}
	for _, name := range []string{"dossier-g4.tif", "dossier-g4-blackiszero.tif", "dossier-g4.pdf"} {
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
			// The certified copy shows paper, not its negative, in poppler.
			if got := renderedMean(t, res.Components[0].PDF); got < 0.7 {
				t.Errorf("component %s renders with mean brightness %.2f: a negative of the paper", res.Components[0].Code, got)
			}
			for _, p := range res.Pages {
				if p.DPI < 199 || p.DPI > 201 {
					t.Errorf("page %d dpi %.1f, want 200", p.Number, p.DPI)
				}
			}
		})
	}
}

// renderedMean renders pdf's first page with poppler's pdftoppm in grey and
// returns its mean brightness (0 black, 1 white).
func renderedMean(t *testing.T, pdf []byte) float64 {
	t.Helper()
	// pdftool fails the test under CI=true when pdftoppm is missing, and
	// skips it elsewhere.
	out := pdftool.Run(t, "pdftoppm", "-gray", "-r", "20", "-f", "1", "-l", "1", pdftool.File(t, pdf))
	var w, h, max int
	var hdr int
	if _, err := fmt.Sscanf(out, "P5\n%d %d\n%d\n", &w, &h, &max); err != nil || w*h == 0 {
		t.Fatalf("pdftoppm: not a PGM (%v)", err)
	}
	hdr = len(out) - w*h
	if hdr < 0 {
		t.Fatalf("pdftoppm: short PGM")
	}
	sum := 0
	for _, b := range []byte(out[hdr:]) {
		sum += int(b)
	}
	return float64(sum) / float64(w*h*max)
}
