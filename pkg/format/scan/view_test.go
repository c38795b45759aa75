package scan

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"math"
	"slices"
	"testing"

	"github.com/sohoa/sohoa/pkg/race"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// TestViewPage: the single decode that serves both the page images and the
// analysis gives the analysis what reducedPage gives it (same size, same
// separator, same blank verdict, ink within the margin of TestReducedJPEG;
// the very same pixels where both decode at the same DCT factor), and a
// view at least minView pixels wide, at the resolutions scanners use.
func TestViewPage(t *testing.T) {
	if race.Enabled {
		t.Skip("full-size pages are too slow under the race detector")
	}
	lim := DefaultLimits()
	for _, tc := range []struct {
		dpi   int
		exact bool // both decode at the same factor, or wholly
	}{{150, true}, {200, false}, {300, true}, {400, false}} {
		pages, err := scantest.JPEGs(scantest.Spec{Seed: uint64(tc.dpi), DPI: tc.dpi, Sheets: []scantest.Sheet{
			scantest.Separator("TP-07", "Giấy tờ chứng minh"), scantest.Text("Tờ khai"), scantest.Blank(),
		}})
		if err != nil {
			t.Fatal(err)
		}
		for i, data := range pages {
			t.Run(fmt.Sprintf("%ddpi/page%d", tc.dpi, i), func(t *testing.T) {
				pi := pageImage{number: i + 1, kind: "jpg", data: data}
				view, small, err := viewPage(pi, lim)
				if err != nil {
					t.Fatal(err)
				}
				want, err := reducedPage(pi, lim)
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				if w := view.Bounds().Dx(); w < min(minView, cfg.Width) {
					t.Errorf("view %d pixels wide, want at least %d", w, min(minView, cfg.Width))
				}
				if small.Rect != want.Rect {
					t.Fatalf("bounds %v, want %v", small.Rect, want.Rect)
				}
				if same := bytes.Equal(small.Pix, want.Pix); tc.exact && !same {
					t.Errorf("pixels differ from reducedPage's")
				}
				var gp, wp Page
				if gp, _, err = measure(pi, lim, &thumbBudget{left: 1 << 30}); err != nil {
					t.Fatal(err)
				}
				if wp, _, err = measure(pi, lim, nil); err != nil {
					t.Fatal(err)
				}
				if gp.Separator != wp.Separator || gp.Blank != wp.Blank || (i == 0) != (gp.Separator != "") {
					t.Errorf("separator %q blank %v, without images %q %v", gp.Separator, gp.Blank, wp.Separator, wp.Blank)
				}
				t.Logf("ink %.5f, without images %.5f", gp.Ink, wp.Ink)
				if math.Abs(gp.Ink-wp.Ink) > 0.05*wp.Ink+0.0002 {
					t.Errorf("ink %.5f, without images %.5f", gp.Ink, wp.Ink)
				}
			})
		}
	}
}

// TestSplitWithImages: rendering page images changes nothing of the split
// of a noisy scan of 5 components (separators, blank pages, components),
// renders every component page and no other, and Split without them
// renders none.
func TestSplitWithImages(t *testing.T) {
	if race.Enabled {
		t.Skip("full-size pages are too slow under the race detector")
	}
	var sheets []scantest.Sheet
	for c := range 5 {
		sheets = append(sheets, scantest.Separator(fmt.Sprintf("TP-%02d", c+1), "Thành phần hồ sơ"), scantest.Text("Tờ khai"), scantest.Blank(), scantest.Text("Trang hai"))
	}
	data, err := scantest.Dossier(scantest.Spec{Sheets: sheets, Seed: 5, Noise: 12})
	if err != nil {
		t.Fatal(err)
	}
	lim := DefaultLimits()
	plain, err := split(context.Background(), data, lim, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	with, err := split(context.Background(), data, lim, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range plain.Pages {
		q := with.Pages[i]
		if p.Separator != q.Separator || p.Blank != q.Blank || math.Abs(p.Ink-q.Ink) > 0.05*p.Ink+0.0002 {
			t.Errorf("page %d: %q blank %v ink %.5f; with images %q %v %.5f", p.Number, p.Separator, p.Blank, p.Ink, q.Separator, q.Blank, q.Ink)
		}
	}
	if len(plain.Components) != len(with.Components) {
		t.Fatalf("%d components, with images %d", len(plain.Components), len(with.Components))
	}
	for i, c := range plain.Components {
		w := with.Components[i]
		if c.Code != w.Code || !slices.Equal(c.Pages, w.Pages) || !slices.Equal(c.Blank, w.Blank) || (c.PDF == nil) != (w.PDF == nil) {
			t.Errorf("component %d: %s %v, with images %s %v", i, c.Code, c.Pages, w.Code, w.Pages)
		}
		if len(c.Thumbs) != 0 {
			t.Errorf("component %s: %d page images without asking", c.Code, len(c.Thumbs))
		}
		var got []int
		for _, th := range w.Thumbs {
			got = append(got, th.Page)
		}
		if !slices.Equal(got, w.Pages) {
			t.Errorf("component %s: images of pages %v, want %v", w.Code, got, w.Pages)
		}
	}
}
