package jpegscale_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/jpegscale"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/format/separator"
)

// diffStats compares got with the box-filtered full decode of data.
type diffStats struct {
	maxAbs   int
	mean     float64 // signed mean difference
	within2  float64 // fraction of pixels within ±2
	nonEqual int
}

func compare(t *testing.T, data []byte, f int) diffStats {
	t.Helper()
	full, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/jpeg: %v", err)
	}
	want := separator.Reduce(full, f)
	got, info, err := jpegscale.DecodeGray(data, f, 1<<28)
	if err != nil {
		t.Fatalf("DecodeGray: %v", err)
	}
	b := full.Bounds()
	if info.Width != b.Dx() || info.Height != b.Dy() {
		t.Fatalf("info %dx%d, want %dx%d", info.Width, info.Height, b.Dx(), b.Dy())
	}
	if got.Rect != want.Rect {
		t.Fatalf("bounds %v, want %v", got.Rect, want.Rect)
	}
	var s diffStats
	sum, in := 0, 0
	for i := range got.Pix {
		d := int(got.Pix[i]) - int(want.Pix[i])
		sum += d
		if d != 0 {
			s.nonEqual++
		}
		if d < 0 {
			d = -d
		}
		s.maxAbs = max(s.maxAbs, d)
		if d <= 2 {
			in++
		}
	}
	s.mean = float64(sum) / float64(len(got.Pix))
	s.within2 = float64(in) / float64(len(got.Pix))
	return s
}

// TestDecodeGrayExact: on images whose full decode never leaves 0..255 (no
// clamping), the fast path is the box filter of image/jpeg's decode within 2
// grey levels everywhere: grey, colour in every sampling layout, restart
// intervals, optimised Huffman tables, non-interleaved scans, odd sizes.
func TestDecodeGrayExact(t *testing.T) {
	files, err := filepath.Glob("testdata/*.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"grey-restart", "grey-optimized", "ycbcr420-restart", "ycbcr422", "ycbcr444", "ycbcr420-noninterleaved"} {
		data, err := os.ReadFile(filepath.Join("testdata", name+".jpg"))
		if err != nil {
			t.Fatalf("%v (have %v)", err, files)
		}
		for _, f := range []int{2, 4, 8} {
			s := compare(t, data, f)
			if s.maxAbs > 2 || math.Abs(s.mean) > 0.6 {
				t.Errorf("%s f=%d: max |diff| %d, mean %.3f", name, f, s.maxAbs, s.mean)
			}
		}
	}
}

// TestDecodeGrayGoEncoded covers what Go's own encoder writes (the scans of
// scantest): grey pages and 4:2:0 colour, at mid-range contrast.
func TestDecodeGrayGoEncoded(t *testing.T) {
	grey := image.NewGray(image.Rect(0, 0, 301, 197))
	rgba := image.NewRGBA(image.Rect(0, 0, 301, 197))
	for y := range 197 {
		for x := range 301 {
			v := uint8(128 + 50*math.Sin(float64(x)/7)*math.Cos(float64(y)/11))
			grey.SetGray(x, y, color.Gray{Y: v})
			rgba.Set(x, y, color.RGBA{R: v, G: 255 - v, B: uint8(x), A: 255})
		}
	}
	for _, img := range []image.Image{grey, rgba} {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
			t.Fatal(err)
		}
		for _, f := range []int{2, 4, 8} {
			s := compare(t, buf.Bytes(), f)
			if s.maxAbs > 2 || math.Abs(s.mean) > 0.6 {
				t.Errorf("%T f=%d: max |diff| %d, mean %.3f", img, f, s.maxAbs, s.mean)
			}
		}
	}
}

// TestDecodeGrayScans compares with generated office scans: white paper with
// noise and black text, whose full decode is clamped at 0 and 255 around
// strokes (JPEG ringing). The fast path averages before clamping, so a few
// squares at stroke edges differ by more than rounding; the bounds below are
// what that costs, measured on a text page: means within half a level,
// 96% (f=2), 98.8% (f=4), 99.9% (f=8) of pixels within 2 levels, nothing
// beyond the ringing amplitude.
func TestDecodeGrayScans(t *testing.T) {
	if testing.Short() {
		t.Skip("generates full pages")
	}
	spec := scantest.Spec{Sheets: []scantest.Sheet{scantest.Separator("TP-01", "Thành phần"), scantest.Text("Tờ khai"), scantest.Blank()}, Seed: 7}
	pages, err := scantest.JPEGs(spec)
	if err != nil {
		t.Fatal(err)
	}
	maxAbs := map[int]int{2: 16, 4: 8, 8: 4}
	minWithin2 := map[int]float64{2: 0.95, 4: 0.98, 8: 0.995}
	for i, data := range pages {
		for _, f := range []int{2, 4, 8} {
			s := compare(t, data, f)
			t.Logf("page %d f=%d: max |diff| %d, mean %.3f, within 2: %.5f", i, f, s.maxAbs, s.mean, s.within2)
			if s.maxAbs > maxAbs[f] || math.Abs(s.mean) > 0.6 || s.within2 < minWithin2[f] {
				t.Errorf("page %d f=%d: max |diff| %d, mean %.3f, within 2: %.5f", i, f, s.maxAbs, s.mean, s.within2)
			}
		}
	}
}

func TestDecodeGrayInfo(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 40, 24))
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	data := scantest.SetJFIFDensity(buf.Bytes(), 300)
	g, info, err := jpegscale.DecodeGray(data, 8, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := jpegscale.Info{Width: 40, Height: 24, DensityX: 300, DensityY: 300, Unit: 1}
	if info != want || g.Rect != image.Rect(0, 0, 5, 3) {
		t.Errorf("info %+v bounds %v, want %+v 5x3", info, g.Rect, want)
	}
	if _, _, err := jpegscale.DecodeGray(data, 3, 1000); err == nil {
		t.Error("factor 3 accepted")
	}
	if _, info, err := jpegscale.DecodeGray(data, 8, 40*24-1); !errors.Is(err, jpegscale.ErrTooLarge) || info.Width != 40 {
		t.Errorf("over the pixel limit: %v %+v, want ErrTooLarge", err, info)
	}
}

// sof returns the offset of the first SOF0 segment's payload.
func sof(t *testing.T, data []byte) int {
	t.Helper()
	i := bytes.Index(data, []byte{0xFF, 0xC0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	return i + 4
}

func TestDecodeGrayUnsupported(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	twelveBit := bytes.Clone(read("ycbcr444.jpg"))
	twelveBit[sof(t, twelveBit)] = 12
	cmyk := bytes.Clone(read("ycbcr444.jpg"))
	cmyk[sof(t, cmyk)+5] = 4
	dnl := bytes.Clone(read("ycbcr444.jpg"))
	binary.BigEndian.PutUint16(dnl[sof(t, dnl)+1:], 0)
	lossless := bytes.Clone(read("grey-restart.jpg"))
	lossless[sof(t, lossless)-3] = 0xC3
	for name, data := range map[string][]byte{
		"progressive": read("progressive.jpg"),
		"arithmetic":  read("arithmetic.jpg"),
		"rgb":         read("rgb.jpg"),
		"12-bit":      twelveBit,
		"cmyk":        cmyk,
		"dnl":         dnl,
		"lossless":    lossless,
	} {
		if _, _, err := jpegscale.DecodeGray(data, 4, 1<<20); !errors.Is(err, jpegscale.ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", name, err)
		}
	}
}

// TestDecodeGrayTruncated: a file cut anywhere before the end of its
// entropy-coded data is an error, never a panic or a partial image.
func TestDecodeGrayTruncated(t *testing.T) {
	for _, name := range []string{"grey-restart.jpg", "ycbcr420-restart.jpg", "ycbcr420-noninterleaved.jpg"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		// The last scan's data ends two bytes before EOI at the latest.
		end := len(data) - 2
		for n := range end - 1 {
			if _, _, err := jpegscale.DecodeGray(data[:n], 4, 1<<20); err == nil {
				t.Errorf("%s cut at %d of %d: no error", name, n, len(data))
			}
		}
		if _, _, err := jpegscale.DecodeGray(data[:end], 4, 1<<20); err != nil {
			t.Errorf("%s without EOI: %v", name, err)
		}
	}
}

func TestDecodeGrayCorrupt(t *testing.T) {
	data, err := os.ReadFile("testdata/ycbcr420-restart.jpg")
	if err != nil {
		t.Fatal(err)
	}
	// A wrong restart marker number breaks the interval sequence.
	i := bytes.Index(data, []byte{0xFF, 0xD1})
	if i < 0 {
		t.Fatal("no RST1")
	}
	bad := bytes.Clone(data)
	bad[i+1] = 0xD5
	if _, _, err := jpegscale.DecodeGray(bad, 4, 1<<20); !errors.Is(err, jpegscale.ErrFormat) {
		t.Errorf("wrong RST number: %v, want ErrFormat", err)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not a JPEG", []byte("%PDF-1.7")},
		{"SOI only", []byte{0xFF, 0xD8, 0xFF, 0xD9}},
		{"bad segment length", []byte{0xFF, 0xD8, 0xFF, 0xDB, 0xFF, 0xFF, 0}},
	} {
		if _, _, err := jpegscale.DecodeGray(tc.data, 4, 1<<20); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func FuzzDecodeGray(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.jpg")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(4))
	}
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xD9}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, fs uint8) {
		factor := []int{2, 4, 8}[int(fs)%3]
		const maxPixels = 1 << 20
		g, info, err := jpegscale.DecodeGray(data, factor, maxPixels)
		if err != nil {
			return
		}
		if int64(info.Width)*int64(info.Height) > maxPixels {
			t.Fatalf("%dx%d decoded over the limit", info.Width, info.Height)
		}
		if g.Rect.Dx() != info.Width/factor || g.Rect.Dy() != info.Height/factor {
			t.Fatalf("bounds %v for %dx%d / %d", g.Rect, info.Width, info.Height, factor)
		}
	})
}

// BenchmarkDecodeGray decodes a generated 200-dpi A4 text page (noise 12,
// quality 75): image/jpeg and a box filter against the fast path.
func BenchmarkDecodeGray(b *testing.B) {
	pages, err := scantest.JPEGs(scantest.Spec{Sheets: []scantest.Sheet{scantest.Text("Tờ khai")}, Seed: 3})
	if err != nil {
		b.Fatal(err)
	}
	data := pages[0]
	b.Run("image-jpeg+Reduce4", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			img, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			separator.Reduce(img, 4)
		}
	})
	for _, f := range []int{2, 4, 8} {
		b.Run("factor="+string(rune('0'+f)), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, _, err := jpegscale.DecodeGray(data, f, 1<<28); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
