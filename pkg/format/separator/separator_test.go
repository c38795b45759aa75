package separator_test

import (
	"bytes"
	"image"
	"image/draw"
	"testing"

	"github.com/sohoa/sohoa/pkg/race"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	goqr "github.com/skip2/go-qrcode"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/format/separator"
)

func TestSheetIsOneA4Page(t *testing.T) {
	b, err := separator.Sheet("TP-01.CCCD", "Bản sao Căn cước công dân có chứng thực")
	if err != nil {
		t.Fatal(err)
	}
	conf := model.NewDefaultConfiguration()
	ctx, err := api.ReadAndValidate(bytes.NewReader(b), conf)
	if err != nil {
		t.Fatal(err)
	}
	dims, err := ctx.PageDims()
	if err != nil || len(dims) != 1 {
		t.Fatalf("dims %v, %v", dims, err)
	}
	// A4 is 595.28 × 841.89 points.
	if d := dims[0]; d.Width < 594 || d.Width > 596.5 || d.Height < 841 || d.Height > 843 {
		t.Errorf("page %.1f×%.1f pt, want A4", d.Width, d.Height)
	}
}

func TestSheetRefusesBadCodes(t *testing.T) {
	for _, code := range []string{"", "a b", "x/y", "Đơn", string(make([]byte, separator.MaxCodeLen+1))} {
		if _, err := separator.Sheet(code, "x"); err == nil {
			t.Errorf("Sheet(%q) succeeded", code)
		}
	}
}

func TestDecode(t *testing.T) {
	if race.Enabled {
		t.Skip("decodes many generated pages: ~20x slower under -race; make heavy runs it without")
	}
	printed := func(code string, dpi int, angle float64) image.Image {
		img, err := scantest.SeparatorImage(code, "Giấy khai sinh")
		if err != nil {
			t.Fatal(err)
		}
		return scantest.Transform(img, separator.DPI, dpi, angle)
	}
	foreign := func(text string) image.Image {
		q, err := goqr.New(text, goqr.Medium)
		if err != nil {
			t.Fatal(err)
		}
		page := image.NewGray(image.Rect(0, 0, 1654, 2339))
		draw.Draw(page, page.Bounds(), image.White, image.Point{}, draw.Src)
		draw.Draw(page, image.Rect(400, 400, 1000, 1000), q.Image(600), image.Point{}, draw.Src)
		return page
	}
	both := func() image.Image {
		page := printed("GKS", 200, 0).(*image.Gray)
		q, _ := goqr.New("https://dichvucong.gov.vn/p/123", goqr.Medium)
		draw.Draw(page, image.Rect(100, 1700, 500, 2100), q.Image(400), image.Point{}, draw.Src)
		return page
	}
	blank := image.NewGray(image.Rect(0, 0, 1654, 2339))
	tests := []struct {
		name string
		img  image.Image
		code string
	}{
		{"200 dpi straight", printed("GKS", 200, 0), "GKS"},
		{"200 dpi skew +1.5", printed("TK-01", 200, 1.5), "TK-01"},
		{"200 dpi skew -1.5", printed("TK-01", 200, -1.5), "TK-01"},
		{"300 dpi skew 1", printed("CCCD.2", 300, 1), "CCCD.2"},
		{"150 dpi", printed("A", 150, 0.5), "A"},
		{"upside down", printed("UP", 200, 180.7), "UP"},
		{"foreign QR only", foreign("https://example.com/SOHOA-SEP:X"), ""},
		{"prefix with bad code", foreign("SOHOA-SEP:a b"), ""},
		{"ours next to a foreign QR", both(), "GKS"},
		{"black page", blank, ""},
		{"tiny", image.NewGray(image.Rect(0, 0, 5, 5)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, ok := separator.Decode(tt.img)
			if code != tt.code || ok != (tt.code != "") {
				t.Errorf("Decode = %q, %v; want %q", code, ok, tt.code)
			}
		})
	}
}

func TestNoSeparatorOnTextPages(t *testing.T) {
	// Fewer pages under the race detector, where pixel loops are ~20x slower.
	textPages := 12
	if race.Enabled {
		textPages = 4
	}
	sheets := make([]scantest.Sheet, textPages)
	for i := range sheets {
		sheets[i] = scantest.Text("Tờ khai đăng ký khai sinh")
		if i%4 == 3 {
			sheets[i] = scantest.Blank()
		}
	}
	imgs, err := scantest.Images(scantest.Spec{Sheets: sheets, Seed: 7, Noise: 20})
	if err != nil {
		t.Fatal(err)
	}
	for i, img := range imgs {
		if code, ok := separator.Decode(img); ok {
			t.Errorf("page %d: false separator %q", i+1, code)
		}
	}
}

func FuzzSeparatorDecode(f *testing.F) {
	q, _ := goqr.New(separator.Payload("TK-01"), goqr.Medium)
	var seed []byte
	bm := q.Bitmap()
	for _, row := range bm {
		for _, on := range row {
			v := byte(255)
			if on {
				v = 0
			}
			seed = append(seed, v)
		}
	}
	f.Add(seed, len(bm))
	f.Add([]byte{0, 255, 0, 255}, 2)
	f.Fuzz(func(t *testing.T, pix []byte, w int) {
		if w <= 0 || w > 2000 || len(pix) == 0 || len(pix) > 1<<20 {
			return
		}
		h := len(pix) / w
		if h == 0 {
			return
		}
		img := &image.Gray{Pix: pix[:w*h], Stride: w, Rect: image.Rect(0, 0, w, h)}
		code, ok := separator.Decode(img)
		if ok && !separator.ValidCode(code) {
			t.Fatalf("Decode returned invalid code %q", code)
		}
	})
}
