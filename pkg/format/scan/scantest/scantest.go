// Package scantest generates realistic printed-and-scanned dossiers for tests:
// separator sheets rasterised from the real separator.Sheet PDF, skewed and
// noisy as a 200-dpi office scanner leaves them; pages of Vietnamese text;
// blank pages with paper noise and dust. Output is deterministic for a seed.
//
// It is a test helper: importable by any package's tests, never by production code.
package scantest

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/sohoa/sohoa/pkg/format/separator"
)

// Kind is what a sheet of paper in the dossier is.
type Kind int

// Kinds of sheet.
const (
	SeparatorSheet Kind = iota // a printed separator sheet for Code
	TextPage                   // a page of Vietnamese text
	BlankPage                  // an empty sheet: paper noise and dust only
	// DigitalPage is a born-digital page (text and a logo, no scan) in
	// ScanPDF; other writers scan it as a TextPage.
	DigitalPage
	// PhotoPage is ink from edge to edge: a photograph or a certificate
	// printed full-bleed. No empty paper is left for a mark.
	PhotoPage
)

// Sheet is one sheet of paper fed to the scanner.
type Sheet struct {
	Kind  Kind
	Code  string // separator: the component code
	Name  string // separator: the component name; text page: its title
	Lines int    // text page: number of text lines (default 30)
}

// Separator returns a separator sheet for a component.
func Separator(code, name string) Sheet { return Sheet{Kind: SeparatorSheet, Code: code, Name: name} }

// Photo returns a page inked from edge to edge.
func Photo() Sheet { return Sheet{Kind: PhotoPage} }

// Text returns a page of Vietnamese text with the given title.
func Text(title string) Sheet { return Sheet{Kind: TextPage, Name: title} }

// Blank returns an empty sheet.
func Blank() Sheet { return Sheet{Kind: BlankPage} }

// Digital returns a born-digital page with the given title (see ScanPDF).
func Digital(title string) Sheet { return Sheet{Kind: DigitalPage, Name: title} }

// Spec describes a scanned dossier.
type Spec struct {
	Sheets  []Sheet
	Seed    uint64  // the same Seed gives the same bytes
	DPI     int     // scanning resolution; default 200
	Quality int     // JPEG quality; default 75
	Noise   int     // paper noise amplitude in grey levels (0–255); default 12, negative for none
	MaxSkew float64 // largest separator skew in degrees; default 1.5
	// Duplex scans both sides of every sheet: each sheet is followed by its
	// blank back (separator sheets included), as a duplex scanner feeds them.
	Duplex bool
}

// expandedSheets returns the pages of the scan: the sheets, and with Duplex
// each followed by its blank back.
func (s Spec) expandedSheets() []Sheet {
	if !s.Duplex {
		return s.Sheets
	}
	out := make([]Sheet, 0, 2*len(s.Sheets))
	for _, sh := range s.Sheets {
		out = append(out, sh, Blank())
	}
	return out
}

func (s Spec) withDefaults() Spec {
	if s.DPI == 0 {
		s.DPI = 200
	}
	if s.Quality == 0 {
		s.Quality = 75
	}
	if s.Noise == 0 {
		s.Noise = 12
	}
	if s.Noise < 0 {
		s.Noise = 0
	}
	if s.MaxSkew == 0 {
		s.MaxSkew = 1.5
	}
	return s
}

// A4 in millimetres.
const a4W, a4H = 210.0, 297.0

// Dossier returns the scan of spec as a PDF with one JPEG page image per sheet,
// each page A4 at the image's real size, as scanner software writes it.
func Dossier(spec Spec) ([]byte, error) {
	jpegs, err := JPEGs(spec)
	if err != nil {
		return nil, err
	}
	return PDF(jpegs)
}

// PDF wraps page images (JPEG or PNG, A4 aspect) into a PDF, one A4 page each.
func PDF(images [][]byte) ([]byte, error) {
	api.DisableConfigDir()
	imp, err := api.Import("formsize:A4, position:c, scalefactor:1.0", types.POINTS)
	if err != nil {
		return nil, err
	}
	rs := make([]io.Reader, len(images))
	for i, b := range images {
		rs[i] = bytes.NewReader(b)
	}
	var out bytes.Buffer
	if err := api.ImportImages(nil, &out, rs, imp, nil); err != nil {
		return nil, fmt.Errorf("scantest: build PDF: %w", err)
	}
	return out.Bytes(), nil
}

// JPEGs returns the page images of spec, JPEG-encoded with JFIF density set.
func JPEGs(spec Spec) ([][]byte, error) {
	spec = spec.withDefaults()
	imgs, err := Images(spec)
	if err != nil {
		return nil, err
	}
	return EncodeJPEGs(imgs, spec.DPI, spec.Quality)
}

// EncodeJPEGs JPEG-encodes page images with their JFIF density set to dpi.
func EncodeJPEGs(imgs []*image.Gray, dpi, quality int) ([][]byte, error) {
	spec := Spec{DPI: dpi, Quality: quality}.withDefaults()
	out := make([][]byte, len(imgs))
	err := parallel(len(imgs), func(i int) error {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, imgs[i], &jpeg.Options{Quality: spec.Quality}); err != nil {
			return err
		}
		out[i] = SetJFIFDensity(buf.Bytes(), spec.DPI)
		return nil
	})
	return out, err
}

// SetJFIFDensity returns a copy of a JPEG with its JFIF APP0 density set to dpi
// (Go's encoder writes no JFIF segment, so one is inserted).
func SetJFIFDensity(b []byte, dpi int) []byte {
	app0 := []byte{0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 2, 1,
		byte(dpi >> 8), byte(dpi), byte(dpi >> 8), byte(dpi), 0, 0}
	out := make([]byte, 0, len(b)+len(app0))
	out = append(out, b[:2]...)
	out = append(out, app0...)
	return append(out, b[2:]...)
}

// Images returns the page images of spec as scanned grey images at spec.DPI.
func Images(spec Spec) ([]*image.Gray, error) {
	spec = spec.withDefaults()
	if spec.DPI < 50 || spec.DPI > 600 {
		return nil, fmt.Errorf("scantest: DPI %d outside 50–600", spec.DPI)
	}
	fonts, err := loadFonts()
	if err != nil {
		return nil, err
	}
	sheets := spec.expandedSheets()
	// Rasterise each separator once, from our own PDF.
	seps := map[string]*image.Gray{}
	for _, s := range sheets {
		if s.Kind != SeparatorSheet || seps[s.Code] != nil {
			continue
		}
		img, err := SeparatorImage(s.Code, s.Name)
		if err != nil {
			return nil, err
		}
		seps[s.Code] = img
	}
	out := make([]*image.Gray, len(sheets))
	err = parallel(len(sheets), func(i int) error {
		s := sheets[i]
		rng := rand.New(rand.NewPCG(spec.Seed, uint64(i)+1))
		var img *image.Gray
		switch s.Kind {
		case SeparatorSheet:
			angle := (rng.Float64()*2 - 1) * spec.MaxSkew
			img = Transform(seps[s.Code], separator.DPI, spec.DPI, angle)
		case TextPage, DigitalPage:
			img = textPage(fonts, s, spec.DPI, rng)
		case BlankPage:
			img = blankPage(spec.DPI)
		case PhotoPage:
			img = blankPage(spec.DPI)
			w := img.Bounds().Dx()
			for i := range img.Pix {
				x, y := i%w, i/w
				img.Pix[i] = uint8(40 + (x/7+y/5)%60 + rng.IntN(30))
			}
		default:
			return fmt.Errorf("scantest: sheet %d: unknown kind %d", i+1, s.Kind)
		}
		addNoise(img, spec.Noise, rng)
		addDust(img, 40, rng)
		out[i] = img
		return nil
	})
	return out, err
}

// SeparatorImage returns the separator sheet for code and name as printed
// at separator.DPI (separator.Image: the layout and words of separator.Sheet).
func SeparatorImage(code, name string) (*image.Gray, error) {
	return separator.Image(code, name)
}

// Transform resamples src from srcDPI to dstDPI and rotates it by angle
// degrees about its centre (bilinear, white outside), like a sheet fed
// slightly askew into a scanner.
func Transform(src *image.Gray, srcDPI, dstDPI int, angle float64) *image.Gray {
	sb := src.Bounds()
	scale := float64(srcDPI) / float64(dstDPI) // source pixels per destination pixel
	w := int(math.Round(float64(sb.Dx()) / scale))
	h := int(math.Round(float64(sb.Dy()) / scale))
	dst := image.NewGray(image.Rect(0, 0, w, h))
	sin, cos := math.Sincos(angle * math.Pi / 180)
	cxd, cyd := float64(w)/2, float64(h)/2
	cxs, cys := float64(sb.Dx())/2, float64(sb.Dy())/2
	sw, sh := sb.Dx(), sb.Dy()
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= sw || y >= sh {
			return 255
		}
		return float64(src.Pix[y*src.Stride+x])
	}
	for y := range h {
		dy := float64(y) + 0.5 - cyd
		for x := range w {
			dx := float64(x) + 0.5 - cxd
			sx := (cos*dx+sin*dy)*scale + cxs - 0.5
			sy := (-sin*dx+cos*dy)*scale + cys - 0.5
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := sx-float64(x0), sy-float64(y0)
			v := (at(x0, y0)*(1-fx)+at(x0+1, y0)*fx)*(1-fy) + (at(x0, y0+1)*(1-fx)+at(x0+1, y0+1)*fx)*fy
			dst.Pix[y*dst.Stride+x] = uint8(v + 0.5)
		}
	}
	return dst
}

func pageSize(dpi int) (int, int) {
	return int(math.Round(a4W / 25.4 * float64(dpi))), int(math.Round(a4H / 25.4 * float64(dpi)))
}

func blankPage(dpi int) *image.Gray {
	w, h := pageSize(dpi)
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	return img
}

type fontSet struct{ regular, bold *opentype.Font }

func loadFonts() (fontSet, error) {
	r, err := opentype.Parse(dejavusans.TTF)
	if err != nil {
		return fontSet{}, err
	}
	b, err := opentype.Parse(dejavusansbold.TTF)
	if err != nil {
		return fontSet{}, err
	}
	return fontSet{regular: r, bold: b}, nil
}

// phrases of an administrative form, in Vietnamese, for text pages.
var phrases = []string{
	"Cộng hoà xã hội chủ nghĩa Việt Nam", "Độc lập – Tự do – Hạnh phúc",
	"Họ, chữ đệm, tên người yêu cầu:", "Nguyễn Thị Thuỳ Dương", "Trần Văn Lĩnh", "Lê Hoàng Yến",
	"Số định danh cá nhân:", "Nơi cư trú:", "số 12 ngõ 34 phố Quán Thánh, phường Ba Đình, thành phố Hà Nội",
	"Quan hệ với người được khai sinh:", "mẹ đẻ", "Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:",
	"Ngày, tháng, năm sinh:", "ghi bằng chữ: ngày mười lăm tháng tám năm hai nghìn hai mươi lăm",
	"Giới tính:", "Dân tộc: Kinh", "Quốc tịch: Việt Nam", "Nơi sinh: Bệnh viện Phụ sản Hà Nội",
	"Quê quán:", "xã Đông Hưng, tỉnh Thái Bình", "Tôi cam đoan nội dung đề nghị đăng ký trên đây là đúng sự thật,",
	"được sự thoả thuận nhất trí của các bên liên quan theo quy định pháp luật.",
	"Tôi chịu hoàn toàn trách nhiệm trước pháp luật về nội dung cam đoan của mình.",
	"Làm tại: Uỷ ban nhân dân phường", "Người yêu cầu (ký, ghi rõ họ, chữ đệm, tên)",
	"Giấy tờ kèm theo:", "bản sao giấy chứng sinh", "văn bản uỷ quyền theo quy định của pháp luật",
	"Đề nghị cấp bản sao trích lục khai sinh:", "Có", "Không", "số lượng: 02 bản",
}

func textPage(fs fontSet, s Sheet, dpi int, rng *rand.Rand) *image.Gray {
	img := blankPage(dpi)
	w, _ := pageSize(dpi)
	px := func(mm float64) int { return int(mm / 25.4 * float64(dpi)) }
	title, _ := opentype.NewFace(fs.bold, &opentype.FaceOptions{Size: 14, DPI: float64(dpi), Hinting: font.HintingFull})
	body, _ := opentype.NewFace(fs.regular, &opentype.FaceOptions{Size: 11, DPI: float64(dpi), Hinting: font.HintingFull})
	defer title.Close()
	defer body.Close()
	d := &font.Drawer{Dst: img, Src: image.Black, Face: title}
	name := s.Name
	if name == "" {
		name = "TỜ KHAI"
	}
	y := px(25)
	tw := d.MeasureString(strings.ToUpper(name)).Ceil()
	d.Dot = fixed.P((w-tw)/2, y)
	d.DrawString(strings.ToUpper(name))
	y += px(14)
	d.Face = body
	lines := s.Lines
	if lines == 0 {
		lines = 30
	}
	lh := body.Metrics().Height.Ceil() * 3 / 2
	for range lines {
		var sb strings.Builder
		for sb.Len() < 60+rng.IntN(40) {
			if sb.Len() > 0 {
				sb.WriteString(" ")
			}
			sb.WriteString(phrases[rng.IntN(len(phrases))])
		}
		line := sb.String()
		for d.MeasureString(line).Ceil() > w-px(50) {
			line = line[:strings.LastIndex(line, " ")]
		}
		d.Dot = fixed.P(px(25), y)
		d.DrawString(line)
		y += lh
	}
	return img
}

// addNoise darkens every pixel by a random 0..amp grey levels (paper texture
// and sensor noise).
func addNoise(img *image.Gray, amp int, rng *rand.Rand) {
	if amp <= 0 {
		return
	}
	a := uint64(amp + 1)
	for i := 0; i < len(img.Pix); {
		r := rng.Uint64()
		for k := 0; k < 8 && i < len(img.Pix); k++ {
			n := int((r & 0xFF) * a >> 8)
			r >>= 8
			v := int(img.Pix[i]) - n
			img.Pix[i] = uint8(max(v, 0))
			i++
		}
	}
}

// addDust puts n small dark specks on the page.
func addDust(img *image.Gray, n int, rng *rand.Rand) {
	b := img.Bounds()
	for range n {
		x, y := rng.IntN(b.Dx()-3), rng.IntN(b.Dy()-3)
		s := 1 + rng.IntN(3)
		for dy := range s {
			for dx := range s {
				img.Pix[(y+dy)*img.Stride+x+dx] = uint8(40 + rng.IntN(60))
			}
		}
	}
}

// parallel runs f(0..n-1) on GOMAXPROCS goroutines and returns the first error.
func parallel(n int, f func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs error
		next = make(chan int)
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					if errs == nil {
						errs = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errs
}
