package scan

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"math"
	"testing"

	"github.com/sohoa/sohoa/pkg/race"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/format/separator"
)

// TestReducedJPEG: the fast JPEG path (jpegscale) gives the same separator,
// the same blank verdict and the same ink within a small margin as the full
// decode and box filter, at the resolutions scanners use; where the factor
// does not suit it (150 dpi: factor 3) it declines and the full decode runs.
func TestReducedJPEG(t *testing.T) {
	if race.Enabled {
		t.Skip("full-size pages are too slow under the race detector")
	}
	lim := DefaultLimits()
	for _, tc := range []struct {
		dpi  int
		fast bool
	}{{150, false}, {200, true}, {300, true}} {
		pages, err := scantest.JPEGs(scantest.Spec{Seed: uint64(tc.dpi), DPI: tc.dpi, Sheets: []scantest.Sheet{
			scantest.Separator("TP-07", "Giấy tờ chứng minh"), scantest.Text("Tờ khai"), scantest.Blank(),
		}})
		if err != nil {
			t.Fatal(err)
		}
		for i, data := range pages {
			t.Run(fmt.Sprintf("%ddpi/page%d", tc.dpi, i), func(t *testing.T) {
				fast, err := reducedJPEG(data, lim, i+1)
				if err != nil {
					t.Fatal(err)
				}
				if (fast != nil) != tc.fast {
					t.Fatalf("fast path used: %v, want %v", fast != nil, tc.fast)
				}
				full, err := jpeg.Decode(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				b := full.Bounds()
				want := separator.Reduce(full, separator.ReduceFactor(b.Dx(), b.Dy()))
				if fast == nil {
					return
				}
				if fast.Rect != want.Rect {
					t.Fatalf("bounds %v, want %v", fast.Rect, want.Rect)
				}
				gotCode, gotOK := separator.Decode(fast)
				wantCode, wantOK := separator.Decode(want)
				if gotCode != wantCode || gotOK != wantOK || (i == 0) != gotOK {
					t.Errorf("separator %q %v, full decode %q %v", gotCode, gotOK, wantCode, wantOK)
				}
				gotInk, wantInk := Ink(fast), Ink(want)
				t.Logf("ink %.5f, full decode %.5f", gotInk, wantInk)
				if math.Abs(gotInk-wantInk) > 0.05*wantInk+0.0002 || (gotInk < BlankInk) != (wantInk < BlankInk) {
					t.Errorf("ink %.5f, full decode %.5f", gotInk, wantInk)
				}
			})
		}
	}
}

// BenchmarkReducedJPEG decodes one text page to its reduced grey image, by the
// fast path and by image/jpeg and a box filter, at 200 dpi (factor 4,
// decoded directly) and 300 dpi (factor 6: decoded at 2, then reduced by 3).
func BenchmarkReducedJPEG(b *testing.B) {
	lim := DefaultLimits()
	for _, dpi := range []int{200, 300} {
		pages, err := scantest.JPEGs(scantest.Spec{Seed: 1, DPI: dpi, Sheets: []scantest.Sheet{scantest.Text("Tờ khai")}})
		if err != nil {
			b.Fatal(err)
		}
		data := pages[0]
		b.Run(fmt.Sprintf("%ddpi/jpegscale", dpi), func(b *testing.B) {
			for b.Loop() {
				if g, err := reducedJPEG(data, lim, 1); g == nil || err != nil {
					b.Fatal("fast path declined", err)
				}
			}
		})
		b.Run(fmt.Sprintf("%ddpi/image-jpeg", dpi), func(b *testing.B) {
			for b.Loop() {
				img, err := decodeImage("jpg", data, lim, 1)
				if err != nil {
					b.Fatal(err)
				}
				r := img.Bounds()
				separator.Reduce(img, separator.ReduceFactor(r.Dx(), r.Dy()))
			}
		})
	}
}
