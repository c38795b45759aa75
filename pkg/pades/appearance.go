package pades

import (
	"bytes"
	"compress/zlib"
	"image"
	"image/color"

	"github.com/go-fonts/dejavu/dejavusans"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/sohoa/sohoa/pkg/errs"
)

// pixelsPerPoint is the appearance image resolution (144 dpi).
const pixelsPerPoint = 2

// appearanceImage is the rendered appearance.
type appearanceImage struct {
	img *image.NRGBA
}

var (
	ink    = color.NRGBA{R: 0x10, G: 0x2a, B: 0x83, A: 0xff} // dark blue
	border = color.NRGBA{R: 0xc0, G: 0x1c, B: 0x28, A: 0xff} // seal red
)

// renderAppearance draws lines of text with DejaVu Sans (which has every
// Vietnamese glyph; the PDF base-14 fonts do not) into an image of w×h points,
// shrinking the font until the text fits. A character without a glyph is an
// error rather than a box in a legal document.
func renderAppearance(lines []string, w, h float64) (*appearanceImage, error) {
	pw, ph := int(w*pixelsPerPoint+0.5), int(h*pixelsPerPoint+0.5)
	if pw < 8 || ph < 8 || pw > 4000 || ph > 4000 {
		return nil, errs.FieldError("rect", "the appearance rectangle %.0f×%.0f pt is out of range", w, h)
	}
	f, err := opentype.Parse(dejavusans.TTF)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "the appearance font cannot be loaded")
	}
	var buf sfnt.Buffer
	for _, l := range lines {
		for _, r := range l {
			if r < ' ' {
				continue
			}
			if gi, err := f.GlyphIndex(&buf, r); err != nil || gi == 0 {
				return nil, errs.E(errs.Invalid, "the character %q cannot be drawn in the signature appearance", r)
			}
		}
	}
	img := image.NewNRGBA(image.Rect(0, 0, pw, ph))
	// A thin frame, as on a paper seal box.
	for x := 0; x < pw; x++ {
		for _, y := range []int{0, 1, ph - 2, ph - 1} {
			img.SetNRGBA(x, y, border)
		}
	}
	for y := 0; y < ph; y++ {
		for _, x := range []int{0, 1, pw - 2, pw - 1} {
			img.SetNRGBA(x, y, border)
		}
	}
	pad := 4 * pixelsPerPoint
	size := 10.0 * pixelsPerPoint
	var face font.Face
	for ; size >= 4*pixelsPerPoint; size -= 0.5 * pixelsPerPoint {
		face, err = opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "the appearance font cannot be sized")
		}
		lineH := face.Metrics().Height.Ceil()
		fits := lineH*len(lines)+2*pad <= ph
		for _, l := range lines {
			if font.MeasureString(face, l).Ceil()+2*pad > pw {
				fits = false
			}
		}
		if fits {
			break
		}
		face.Close()
	}
	defer face.Close()
	dr := &font.Drawer{Dst: img, Src: image.NewUniform(ink), Face: face}
	m := face.Metrics()
	y := pad + m.Ascent.Ceil()
	for _, l := range lines {
		dr.Dot = fixed.P(pad, y)
		dr.DrawString(l)
		y += m.Height.Ceil()
	}
	return &appearanceImage{img: img}, nil
}

// planes returns the Flate-compressed RGB and alpha planes and the size.
func (a *appearanceImage) planes() (rgb, alpha []byte, w, h int) {
	b := a.img.Bounds()
	w, h = b.Dx(), b.Dy()
	rgbRaw := make([]byte, 0, w*h*3)
	alphaRaw := make([]byte, 0, w*h)
	for i := 0; i < len(a.img.Pix); i += 4 {
		p := a.img.Pix[i : i+4]
		rgbRaw = append(rgbRaw, p[0], p[1], p[2])
		alphaRaw = append(alphaRaw, p[3])
	}
	return deflate(rgbRaw), deflate(alphaRaw), w, h
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.BestSpeed)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return out.Bytes()
}
