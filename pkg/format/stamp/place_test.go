package stamp_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/format/stamp"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// TestMarkNeverHidesThePaper scans pages whose content reaches the margins,
// certifies the first component with the ink map the scan reader computed,
// renders page 1 with and without the mark (poppler), and checks that every
// pixel the mark changed was empty paper.
func TestMarkNeverHidesThePaper(t *testing.T) {
	pdftool.Path(t, "pdftoppm")
	const dpi = 200
	imgs, err := scantest.Images(scantest.Spec{Seed: 5, DPI: dpi, Sheets: []scantest.Sheet{scantest.Text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")}})
	if err != nil {
		t.Fatal(err)
	}
	px := func(mm float64) int { return int(mm / 25.4 * dpi) }
	fill := func(g *image.Gray, x0, y0, x1, y1 float64, v uint8) {
		for y := px(y0); y < px(y1); y++ {
			for x := px(x0); x < px(x1); x++ {
				g.Pix[y*g.Stride+x] = v
			}
		}
	}
	page := func(f func(g *image.Gray)) *image.Gray {
		g := image.NewGray(imgs[0].Bounds())
		copy(g.Pix, imgs[0].Pix)
		f(g)
		return g
	}
	tests := []struct {
		name  string
		img   *image.Gray
		where stamp.Placement
	}{
		{"header from margin to margin", page(func(g *image.Gray) {
			fill(g, 4, 4, 206, 9, 30)    // "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" across the top
			fill(g, 60, 11, 150, 15, 30) // "Độc lập – Tự do – Hạnh phúc"
		}), stamp.PlacedEmpty},
		{"left column and header", page(func(g *image.Gray) {
			fill(g, 4, 4, 206, 20, 40)
			fill(g, 4, 20, 100, 293, 60)
		}), stamp.PlacedEmpty},
		{"only a small window of paper", page(func(g *image.Gray) {
			fill(g, 0, 0, 210, 297, 50)
			fill(g, 8, 28, 88, 50, 245) // 80 × 22 mm of paper: room for the compact form only
		}), stamp.PlacedCompact},
		{"full-bleed photograph", page(func(g *image.Gray) {
			for i := range g.Pix {
				g.Pix[i] = uint8(40 + i%97)
			}
		}), stamp.PlacedBand},
	}
	// Each page also stored turned, with /Rotate set so that it is shown
	// upright: the mark goes to its visual top-left, upright.
	layouts := []scantest.Layout{scantest.OneJPEG, scantest.Rotate90, scantest.Rotate180, scantest.Rotate270}
	for _, tt := range tests {
		for _, layout := range layouts {
			t.Run(tt.name+"/"+layout.String(), func(t *testing.T) {
				checkMark(t, tt.img, layout, tt.where)
			})
		}
	}
}

// checkMark scans img stored as layout says, certifies it with the ink map
// the scan reader computed, and checks where the mark went and that it
// changed no dark pixel of the page as displayed.
func checkMark(t *testing.T, img *image.Gray, layout scantest.Layout, want stamp.Placement) {
	const dpi = 200
	pdf, err := scantest.LayoutPDF(scantest.Spec{DPI: dpi, Quality: 85, Sheets: []scantest.Sheet{scantest.Text("")}}, []*image.Gray{img}, layout)
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Split(context.Background(), pdf, scan.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	comp, ink := res.Components[0].PDF, res.Pages[0].InkMap
	if ink == nil {
		t.Fatal("no ink map")
	}
	m := mark
	m.Ink = ink
	st := stamp.NewStamper(newFont(t))
	marked, where, err := st.ConversionMarkPlaced(comp, m)
	if err != nil {
		t.Fatal(err)
	}
	if where != want {
		t.Errorf("placed %d, want %d", where, want)
	}
	before, after := renderPage1(t, comp), renderPage1(t, marked)
	// A band added for the mark is above the page: align the bottoms.
	off := after.Bounds().Dy() - before.Bounds().Dy()
	if off < 0 || after.Bounds().Dx() != before.Bounds().Dx() {
		t.Fatalf("rendered %v then %v", before.Bounds(), after.Bounds())
	}
	changed, hidden := 0, 0
	for y := 0; y < before.Bounds().Dy(); y++ {
		for x := 0; x < before.Bounds().Dx(); x++ {
			a, b := before.GrayAt(x, y).Y, after.GrayAt(x, y+off).Y
			if diff := int(a) - int(b); diff > 24 || diff < -24 {
				changed++
				if a < 128 {
					hidden++
				}
			}
		}
	}
	if where != stamp.PlacedBand && changed == 0 {
		t.Fatal("the mark changed no pixel: it was not drawn")
	}
	if hidden > 0 {
		t.Errorf("the mark covers %d dark pixels of the scanned page", hidden)
	}
}

// renderPage1 rasterises page 1 of pdf in grey at 50 dpi with poppler.
func renderPage1(t *testing.T, pdf []byte) *image.Gray {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftool.Path(t, "pdftoppm"), "-r", "50", "-gray", "-f", "1", "-l", "1", "-singlefile", in, filepath.Join(dir, "p")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "p.pgm"))
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(bytes.NewReader(b))
	var w, h, maxv int
	if _, err := fmt.Fscanf(r, "P5\n%d %d\n%d", &w, &h, &maxv); err != nil {
		t.Fatalf("pgm header: %v", err)
	}
	r.ReadByte()
	g := image.NewGray(image.Rect(0, 0, w, h))
	if _, err := io.ReadFull(r, g.Pix); err != nil {
		t.Fatal(err)
	}
	return g
}
