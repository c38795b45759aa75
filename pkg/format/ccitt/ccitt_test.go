package ccitt

import (
	"bytes"
	"image"
	"image/png"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xccitt "golang.org/x/image/ccitt"

	"github.com/sohoa/sohoa/pkg/format/ccitt/ccitttest"
)

// page draws a bilevel test page: text-like strokes, boxes and edge cases
// (black at both edges, isolated pixels, long runs).
func page(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	seed := uint32(12345)
	rnd := func(n int) int { seed = seed*1664525 + 1013904223; return int(seed>>8) % n }
	for y := 0; y < h; y++ {
		row := g.Pix[y*w : (y+1)*w]
		switch {
		case y%97 < 3: // rules across the page, edge to edge
			for x := range row {
				row[x] = 0
			}
		case y%40 < 22: // a line of "text": short random strokes
			for x := 30; x < w-30; {
				x += 1 + rnd(9)
				n := 1 + rnd(4)
				for k := 0; k < n && x < w; k++ {
					row[x] = 0
					x++
				}
			}
		}
		row[0] = 0 // black at the left edge
		if y%3 == 0 {
			row[w-1] = 0 // and sometimes at the right
		}
	}
	return g
}

// reduceRef is the reference: a plain f×f box filter of the bilevel page.
func reduceRef(g *image.Gray, f int) *image.Gray {
	w, h := g.Bounds().Dx()/f, g.Bounds().Dy()/f
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			black := 0
			for dy := range f {
				for dx := range f {
					if g.Pix[(y*f+dy)*g.Stride+x*f+dx] < 128 {
						black++
					}
				}
			}
			out.Pix[y*w+x] = uint8(255 - black*255/(f*f))
		}
	}
	return out
}

func TestRoundTripVariants(t *testing.T) {
	src := page(1000, 700)
	tests := []struct {
		name string
		o    ccitttest.EncodeOptions
	}{
		{"G4", ccitttest.EncodeOptions{K: -1}},
		{"G4 EndOfBlock false", ccitttest.EncodeOptions{K: -1, NoEOB: true}},
		{"G4 EncodedByteAlign", ccitttest.EncodeOptions{K: -1, EncodedByteAlign: true}},
		{"G4 aligned without EOB", ccitttest.EncodeOptions{K: -1, EncodedByteAlign: true, NoEOB: true}},
		{"G3 1-D", ccitttest.EncodeOptions{K: 0}},
		{"G3 1-D aligned EOLs", ccitttest.EncodeOptions{K: 0, EncodedByteAlign: true}},
		{"G3 1-D no EOL (MH)", ccitttest.EncodeOptions{K: 0, NoEOL: true, NoEOB: true}},
		{"G3 2-D K=2", ccitttest.EncodeOptions{K: 2}},
		{"G3 2-D K=4 aligned, no RTC", ccitttest.EncodeOptions{K: 4, EncodedByteAlign: true, NoEOB: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := ccitttest.Encode(src, tt.o)
			for _, f := range []int{1, 3, 4} {
				for _, rows := range []int{700, 0} {
					if rows == 0 && tt.o.NoEOB {
						continue // without an end code, only /Rows says where the image ends
					}
					p := Params{Width: 1000, Height: rows, K: tt.o.K, EncodedByteAlign: tt.o.EncodedByteAlign, NoEOL: tt.o.NoEOL}
					got, n, err := Reduced(data, p, f, Limits{})
					if err != nil {
						t.Fatalf("f=%d rows=%d: %v", f, rows, err)
					}
					if n != 700 {
						t.Errorf("f=%d rows=%d: decoded %d rows, want 700", f, rows, n)
					}
					want := reduceRef(src, f)
					if !bytes.Equal(got.Pix, want.Pix) || got.Rect != want.Rect {
						t.Fatalf("f=%d rows=%d: image differs (%v vs %v)", f, rows, got.Rect, want.Rect)
					}
				}
			}
		})
	}
}

// TestAgainstXImage decodes the reference files of golang.org/x/image/ccitt
// (a real encoder's output) and compares with that package's decoder.
func TestAgainstXImage(t *testing.T) {
	dir := filepath.Join(xImageDir(t), "ccitt", "testdata")
	for _, tt := range []struct {
		file  string
		k     int
		align bool
	}{
		{"bw-gopher.ccitt_group3", 0, false},
		{"bw-gopher-aligned.ccitt_group3", 0, true},
		{"bw-gopher.ccitt_group4", -1, false},
		{"bw-gopher-aligned.ccitt_group4", -1, true},
	} {
		data, err := os.ReadFile(filepath.Join(dir, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		sf := xccitt.Group3
		if tt.k < 0 {
			sf = xccitt.Group4
		}
		want := image.NewGray(image.Rect(0, 0, 153, 55))
		if err := xccitt.DecodeIntoGray(want, bytes.NewReader(data), xccitt.MSB, sf, &xccitt.Options{Align: tt.align}); err != nil {
			t.Fatal(err)
		}
		got, _, err := Reduced(data, Params{Width: 153, Height: 55, K: tt.k, EncodedByteAlign: tt.align}, 1, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%s: differs from x/image/ccitt", tt.file)
		}
	}
	_ = png.Decode
}

func TestLSBFirstAndGarbage(t *testing.T) {
	src := page(400, 120)
	data := ccitttest.Encode(src, ccitttest.EncodeOptions{K: -1})
	rev := make([]byte, len(data))
	for i, b := range data {
		rev[i] = bits.Reverse8(b)
	}
	got, _, err := Reduced(rev, Params{Width: 400, Height: 120, K: -1, LSBFirst: true}, 2, Limits{})
	if err != nil || !bytes.Equal(got.Pix, reduceRef(src, 2).Pix) {
		t.Fatalf("LSB-first: %v", err)
	}
	// Garbage and truncation never panic; a truncated image keeps its rows.
	if _, _, err := Reduced([]byte{0, 0, 0}, Params{Width: 400, Height: 120, K: -1}, 2, Limits{}); err == nil {
		t.Error("garbage decoded")
	}
	_, n, err := Reduced(data[:len(data)/2], Params{Width: 400, Height: 120, K: -1}, 2, Limits{})
	if err != nil || n == 0 || n >= 120 {
		t.Errorf("truncated: %d rows, %v", n, err)
	}
	// The pixel limit bounds the rows decoded.
	_, n, _ = Reduced(data, Params{Width: 400, K: -1}, 2, Limits{MaxPixels: 400 * 50})
	if n != 50 {
		t.Errorf("limited decode: %d rows, want 50", n)
	}
}

func FuzzReduced(f *testing.F) {
	f.Add(ccitttest.Encode(page(64, 32), ccitttest.EncodeOptions{K: -1}), 64, -1)
	f.Add(ccitttest.Encode(page(64, 32), ccitttest.EncodeOptions{K: 2}), 64, 2)
	f.Fuzz(func(t *testing.T, data []byte, w, k int) {
		w = w%2000 + 1
		if w < 1 {
			w = -w + 1
		}
		Reduced(data, Params{Width: w, K: k % 4}, 2, Limits{MaxPixels: 1 << 20})
	})
}

// BenchmarkA4At300 decodes a 300-dpi A4 page of text (2480×3508) to the
// size detection uses (factor 6), reporting pages/s on one core.
func BenchmarkA4At300(b *testing.B) {
	src := page(2480, 3508)
	data := ccitttest.Encode(src, ccitttest.EncodeOptions{K: -1})
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, _, err := Reduced(data, Params{Width: 2480, Height: 3508, K: -1}, 6, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pages/s")
}

func xImageDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/image").Output()
	if err != nil {
		t.Fatalf("locate golang.org/x/image: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestStrips decodes an image stored as strips, each coded on its own
// (TIFF RowsPerStrip), including a last strip shorter than the others.
func TestStrips(t *testing.T) {
	src := page(600, 250)
	const rps = 64
	var strips [][]byte
	for y := 0; y < 250; y += rps {
		band := src.SubImage(image.Rect(0, y, 600, min(y+rps, 250))).(*image.Gray)
		strips = append(strips, ccitttest.Encode(band, ccitttest.EncodeOptions{K: -1}))
	}
	for _, f := range []int{1, 5} {
		got, n, err := ReducedStrips(strips, rps, Params{Width: 600, Height: 250, K: -1}, f, Limits{})
		if err != nil || n != 250 {
			t.Fatalf("f=%d: %d rows, %v", f, n, err)
		}
		if want := reduceRef(src, f); !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("f=%d: image differs", f)
		}
	}
}
