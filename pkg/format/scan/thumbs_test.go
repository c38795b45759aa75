package scan_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// The isolated child renders every component page small and large, within
// the bytes it is allowed; Split renders none.
func TestThumbs(t *testing.T) {
	pdf, err := scantest.Dossier(scantest.Spec{Seed: 3, Sheets: []scantest.Sheet{
		scantest.Separator("TK", "Tờ khai"), scantest.Text("Trang một"), scantest.Text("Trang hai"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("Mặt trước"), scantest.Blank(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		bytes  int64
		isolat bool
		want   []int // thumbs per component
	}{
		{"isolated", scan.DefaultLimits().ThumbBytes, true, []int{2, 1}},
		{"budget of one page", 1, true, []int{0, 0}},
		{"none asked", 0, true, []int{0, 0}},
		{"in process", scan.DefaultLimits().ThumbBytes, false, []int{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := scan.DefaultLimits()
			lim.ThumbBytes, lim.MaxMemory = tt.bytes, 1<<30
			split := scan.Split
			if tt.isolat {
				split = scan.SplitIsolated
			}
			start := time.Now()
			res, err := split(context.Background(), pdf, lim)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("split in %v", time.Since(start))
			if len(res.Components) != len(tt.want) {
				t.Fatalf("%d components, want %d", len(res.Components), len(tt.want))
			}
			for i, c := range res.Components {
				if len(c.Thumbs) != tt.want[i] {
					t.Fatalf("component %s: %d thumbs, want %d", c.Code, len(c.Thumbs), tt.want[i])
				}
				for j, th := range c.Thumbs {
					if th.Page != c.Pages[j] {
						t.Errorf("component %s thumb %d is of page %d, want %d", c.Code, j, th.Page, c.Pages[j])
					}
					// The small image is rendered; the large one is rendered
					// about ViewWidth wide, or is the page's own JPEG as scanned.
					for _, img := range []struct {
						b        []byte
						min, max int
					}{{th.Small, scan.ThumbWidth * 4 / 5, scan.ThumbWidth}, {th.Large, scan.ViewWidth * 4 / 5, 4000}} {
						cfg, err := jpeg.DecodeConfig(bytes.NewReader(img.b))
						if err != nil {
							t.Fatalf("page %d: %v", th.Page, err)
						}
						if cfg.Width > img.max || cfg.Width < img.min || cfg.Height <= cfg.Width {
							t.Errorf("page %d: %dx%d, want %d–%d wide, portrait", th.Page, cfg.Width, cfg.Height, img.min, img.max)
						}
					}
					t.Logf("page %d: small %d B, large %d B", th.Page, len(th.Small), len(th.Large))
				}
			}
		})
	}
}

// SplitIsolatedStream writes each page image to a file of its own in the
// caller's folder, the same bytes SplitIsolated returns in memory.
func TestThumbsStream(t *testing.T) {
	pdf, err := scantest.Dossier(scantest.Spec{Seed: 4, Sheets: []scantest.Sheet{
		scantest.Separator("TK", "Tờ khai"), scantest.Text("Trang một"), scantest.Blank(), scantest.Text("Trang hai"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	lim := scan.DefaultLimits()
	lim.MaxMemory = 1 << 30
	mem, err := scan.SplitIsolated(context.Background(), pdf, lim)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	res, err := scan.SplitIsolatedStream(context.Background(), bytes.NewReader(pdf), int64(len(pdf)), lim, dir)
	if err != nil {
		t.Fatal(err)
	}
	got, want := res.Components[0].Thumbs, mem.Components[0].Thumbs
	if len(got) != 2 || len(want) != 2 {
		t.Fatalf("%d page images from the stream, %d in memory, want 2", len(got), len(want))
	}
	for i, th := range got {
		if th.Page != want[i].Page || th.Small != nil || th.Large != nil {
			t.Fatalf("image %d: page %d (want %d), %d and %d bytes in memory", i, th.Page, want[i].Page, len(th.Small), len(th.Large))
		}
		for _, f := range []struct {
			name string
			want []byte
		}{{th.SmallFile, want[i].Small}, {th.LargeFile, want[i].Large}} {
			if filepath.Dir(f.name) != dir {
				t.Fatalf("image file %q outside %s", f.name, dir)
			}
			b, err := os.ReadFile(f.name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, f.want) {
				t.Errorf("%s: %d bytes, in memory %d", f.name, len(b), len(f.want))
			}
		}
	}
}
