package ocrtest

import (
	"image"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// Form is a page of an administrative form as printed on A4: a caption at
// the top right (the form number and the instrument that issued it), the
// national header centred in bold, the title centred in bold upper case,
// the body's lines, and a foot line ("Trang 1/2") centred at the bottom.
type Form struct {
	Caption string
	Header  []string
	Title   []string
	Body    []string
	Foot    string
}

// FormPage draws a form page at 300 dpi, as a form filled on a computer and
// printed: ready for Print.
func (f *Fonts) FormPage(p Form) *image.Gray {
	img := white(mm(a4W), mm(a4H))
	w := img.Bounds().Dx()
	d := &font.Drawer{Dst: img, Src: image.Black}
	centre := func(s string, y int) {
		d.Dot = fixed.P((w-d.MeasureString(s).Ceil())/2, y)
		d.DrawString(s)
	}
	y := mm(15)
	if p.Caption != "" {
		d.Face = f.face(f.regular, 9)
		d.Dot = fixed.P(w-mm(15)-d.MeasureString(p.Caption).Ceil(), y)
		d.DrawString(p.Caption)
		y += mm(8)
	}
	d.Face = f.face(f.bold, 12)
	for _, l := range p.Header {
		centre(l, y)
		y += mm(6)
	}
	y += mm(6)
	d.Face = f.face(f.bold, 14)
	for _, l := range p.Title {
		centre(l, y)
		y += mm(7)
	}
	y += mm(5)
	d.Face = f.face(f.regular, 11)
	for _, l := range p.Body {
		d.Dot = fixed.P(mm(20), y)
		d.DrawString(l)
		y += mm(7)
	}
	if p.Foot != "" {
		d.Face = f.face(f.regular, 10)
		centre(p.Foot, mm(a4H-12))
	}
	return img
}

// CardText draws a card of the ID-1 size at the sheet's top left, as
// CardSheet does, with lines of text on it (the first in bold): a card
// other than the citizen identity card, such as a driving licence.
func (f *Fonts) CardText(lines []string) *image.Gray {
	img := white(mm(a4W), mm(a4H))
	ox, oy := mm(15), mm(15)
	cardOutline(img, ox, oy)
	d := &font.Drawer{Dst: img, Src: image.Black}
	for i, l := range lines {
		d.Face = f.face(f.regular, 6.5)
		if i == 0 {
			d.Face = f.face(f.bold, 8)
		}
		d.Dot = fixed.P(ox+mm(5), oy+mm(8+float64(i)*6))
		d.DrawString(l)
	}
	return img
}

// cardOutline draws an ID-1 card's light background and dark edge at
// (ox, oy) on a 300-dpi sheet.
func cardOutline(img *image.Gray, ox, oy int) {
	cw, ch := mm(cardW), mm(cardH)
	for y := oy; y < oy+ch; y++ {
		for x := ox; x < ox+cw; x++ {
			v := uint8(236)
			if y-oy < 3 || oy+ch-y <= 3 || x-ox < 3 || ox+cw-x <= 3 {
				v = 90
			}
			img.Pix[y*img.Stride+x] = v
		}
	}
}
