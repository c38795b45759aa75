// Package separator makes and recognises Sohoa's separator sheets: the printed
// A4 page that a postal clerk puts in front of each component of a paper
// dossier before scanning it, carrying a large QR code with the component code
// and the component's name in words.
//
// It is not for reading scans (that is package scan, which calls Decode on
// each page image) nor for knowing which components a procedure has.
package separator

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"unicode/utf8"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode"
	goqr "github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Prefix starts the payload of every Sohoa separator QR code; QR codes whose
// text does not start with it (a CCCD card, a bank transfer code, a URL on a
// form) are not separators.
const Prefix = "SOHOA-SEP:"

// MaxCodeLen is the longest component code a separator sheet carries.
const MaxCodeLen = 40

// DPI is the resolution at which a sheet is rasterised before it is put in the
// PDF: 200 dpi, the minimum resolution of Circular 01/2023/TT-VPCP for
// digitised papers, so the QR edges stay sharp at any printer resolution.
const DPI = 200

// A4 page in pixels at DPI (210 mm × 297 mm).
const (
	sheetW = 1654
	sheetH = 2339
)

// qrSizeMM is the printed width of the QR code including its quiet zone. A
// large code survives cheap printers, 200-dpi scans, skew and JPEG noise.
const qrSizeMM = 80

// ErrInvalidCode is returned by Sheet for a code that cannot be a component code.
var ErrInvalidCode = errors.New("separator: invalid component code")

// ValidCode reports whether code can be carried by a separator sheet:
// 1 to MaxCodeLen characters among ASCII letters, digits, '.', '_' and '-'.
func ValidCode(code string) bool {
	if code == "" || len(code) > MaxCodeLen {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Payload returns the QR text of the separator sheet for code.
func Payload(code string) string { return Prefix + code }

// Image renders the separator sheet for code and name as an A4 grey image at
// DPI: what a printer makes of Sheet's page (same layout, same words), for
// tests and tools that need the printed sheet as pixels.
func Image(code, name string) (*image.Gray, error) {
	if !ValidCode(code) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidCode, code)
	}
	if !utf8.ValidString(name) || len(name) > 1000 {
		return nil, fmt.Errorf("separator: invalid component name for %q", code)
	}
	q, err := goqr.New(Payload(code), goqr.Medium)
	if err != nil {
		return nil, fmt.Errorf("separator: QR for %q: %w", code, err)
	}
	img := image.NewGray(image.Rect(0, 0, sheetW, sheetH))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)

	regFont, err := opentype.Parse(dejavusans.TTF)
	if err != nil {
		return nil, fmt.Errorf("separator: font: %w", err)
	}
	boldFont, err := opentype.Parse(dejavusansbold.TTF)
	if err != nil {
		return nil, fmt.Errorf("separator: font: %w", err)
	}
	bold := func(pt float64) (font.Face, error) { return newFace(boldFont, pt) }
	reg := func(pt float64) (font.Face, error) { return newFace(regFont, pt) }

	margin := mm(15)
	// Frame: a thick border tells the clerk at a glance that this page is not part of the dossier.
	fillRect(img, image.Rect(margin, margin, sheetW-margin, margin+mm(3)))
	fillRect(img, image.Rect(margin, sheetH-margin-mm(3), sheetW-margin, sheetH-margin))

	y := margin + mm(18)
	title, err := bold(26)
	if err != nil {
		return nil, err
	}
	y = drawCentered(img, title, "TỜ PHÂN CÁCH THÀNH PHẦN HỒ SƠ", y)

	// QR code, centred.
	bm := q.Bitmap()
	modules := len(bm)
	target := mm(qrSizeMM)
	scale := target / modules
	if scale < 1 {
		scale = 1
	}
	side := scale * modules
	x0 := (sheetW - side) / 2
	y0 := y + mm(10)
	for r, row := range bm {
		for c, on := range row {
			if on {
				fillRect(img, image.Rect(x0+c*scale, y0+r*scale, x0+(c+1)*scale, y0+(r+1)*scale))
			}
		}
	}
	y = y0 + side + mm(14)

	codeFace, err := bold(40)
	if err != nil {
		return nil, err
	}
	y = drawCentered(img, codeFace, code, y)
	y += mm(6)

	nameFace, err := reg(22)
	if err != nil {
		return nil, err
	}
	for _, line := range wrap(nameFace, name, sheetW-2*margin-mm(10)) {
		y = drawCentered(img, nameFace, line, y)
		y += mm(2)
		if y > sheetH-mm(60) {
			break
		}
	}

	small, err := reg(12)
	if err != nil {
		return nil, err
	}
	yf := sheetH - margin - mm(22)
	yf = drawCentered(img, small, "Đặt tờ này ngay trước các trang của thành phần hồ sơ trên rồi quét cả tập.", yf)
	drawCentered(img, small, "Không viết, không đóng dấu lên mã QR. Trang này không thuộc hồ sơ.", yf+mm(2))
	return img, nil
}

// Decode looks for a Sohoa separator QR code in a page image and returns its
// component code. QR codes that are not Sohoa separators are ignored. The
// image is first reduced to about 400 pixels on its short side (a separator's
// QR code is 8 cm wide, so it keeps 4 to 6 pixels per module at that size);
// an image already that small is used as is.
func Decode(img image.Image) (code string, ok bool) {
	if img == nil {
		return "", false
	}
	b := img.Bounds()
	if b.Dx() < 21 || b.Dy() < 21 || int64(b.Dx())*int64(b.Dy()) > 1<<28 {
		return "", false
	}
	g := Reduce(img, ReduceFactor(b.Dx(), b.Dy()))
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.Pix, g.Stride, g.Rect.Dy(), 0, 0, g.Rect.Dx(), g.Rect.Dy(), false)
	if err != nil {
		return "", false
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(src))
	if err != nil {
		return "", false
	}
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", false
	}
	if c, ok := parse(res.GetText()); ok {
		return c, true
	}
	// A QR code that is not ours (say, on a copied ID card) was found first;
	// look for all codes on the page.
	all, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, hints)
	if err != nil {
		return "", false
	}
	for _, r := range all {
		if c, ok := parse(r.GetText()); ok {
			return c, true
		}
	}
	return "", false
}

func parse(text string) (string, bool) {
	code, found := strings.CutPrefix(text, Prefix)
	if !found || !ValidCode(code) {
		return "", false
	}
	return code, true
}

// ReduceFactor returns the integer box-filter factor that brings a w×h page
// image to about 400 pixels on its short side (1 for small images).
func ReduceFactor(w, h int) int {
	s := min(w, h)
	f := s / 400
	return max(f, 1)
}

// Reduce returns img in grey, box-filtered down by factor f (f ≥ 1). For f ==
// 1 and an *image.Gray input it returns img itself. Color is reduced to luma
// (the Y plane for JPEG's YCbCr images, without a colour conversion).
func Reduce(img image.Image, f int) *image.Gray {
	if f < 1 {
		f = 1
	}
	b := img.Bounds()
	if g, ok := img.(*image.Gray); ok && f == 1 {
		return g
	}
	w, h := b.Dx()/f, b.Dy()/f
	if w < 1 || h < 1 {
		return image.NewGray(image.Rect(0, 0, 0, 0))
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	var plane []byte
	var stride int
	switch m := img.(type) {
	case *image.Gray:
		plane, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	case *image.YCbCr:
		plane, stride = m.Y[m.YOffset(b.Min.X, b.Min.Y):], m.YStride
	}
	if plane == nil {
		return reduceGeneric(img, f, out)
	}
	area := uint32(f * f)
	sums := make([]uint32, w)
	for oy := 0; oy < h; oy++ {
		clear(sums)
		for dy := 0; dy < f; dy++ {
			row := plane[(oy*f+dy)*stride:]
			row = row[:w*f]
			for ox := 0; ox < w; ox++ {
				var s uint32
				for _, v := range row[ox*f : ox*f+f] {
					s += uint32(v)
				}
				sums[ox] += s
			}
		}
		orow := out.Pix[oy*out.Stride : oy*out.Stride+w]
		for ox := range orow {
			orow[ox] = uint8(sums[ox] / area)
		}
	}
	return out
}

func reduceGeneric(img image.Image, f int, out *image.Gray) *image.Gray {
	b := img.Bounds()
	w, h := out.Rect.Dx(), out.Rect.Dy()
	area := uint32(f * f)
	for oy := 0; oy < h; oy++ {
		for ox := 0; ox < w; ox++ {
			var s uint32
			for dy := 0; dy < f; dy++ {
				for dx := 0; dx < f; dx++ {
					c := color.GrayModel.Convert(img.At(b.Min.X+ox*f+dx, b.Min.Y+oy*f+dy)).(color.Gray)
					s += uint32(c.Y)
				}
			}
			out.Pix[oy*out.Stride+ox] = uint8(s / area)
		}
	}
	return out
}

func mm(v float64) int { return int(v*DPI/25.4 + 0.5) }

func fillRect(img *image.Gray, r image.Rectangle) {
	draw.Draw(img, r.Intersect(img.Rect), image.Black, image.Point{}, draw.Src)
}

func newFace(f *opentype.Font, pt float64) (font.Face, error) {
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: pt, DPI: DPI, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("separator: font face: %w", err)
	}
	return face, nil
}

// drawCentered draws one line centred horizontally with its top at y and
// returns the y below it.
func drawCentered(img *image.Gray, face font.Face, s string, y int) int {
	m := face.Metrics()
	d := &font.Drawer{Dst: img, Src: image.Black, Face: face}
	w := d.MeasureString(s).Ceil()
	d.Dot = fixed.P((sheetW-w)/2, y+m.Ascent.Ceil())
	d.DrawString(s)
	return y + m.Height.Ceil()
}

// wrap splits s into lines no wider than width pixels.
func wrap(face font.Face, s string, width int) []string {
	var lines []string
	var cur string
	for _, w := range strings.Fields(s) {
		try := w
		if cur != "" {
			try = cur + " " + w
		}
		if font.MeasureString(face, try).Ceil() <= width || cur == "" {
			cur = try
			continue
		}
		lines = append(lines, cur)
		cur = w
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
