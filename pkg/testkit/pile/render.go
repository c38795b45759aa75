package pile

import (
	"fmt"
	"image"

	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
)

// Render prints and scans the pile's pages at dpi (ocrtest's scanner:
// skew, noise, dust; a sheet fed upside down turned by 180°): forms drawn
// from their templates, identity cards as ocrtest's specimens (a real
// machine-readable zone), other cards as their printed lines. Separator
// sheets are not rendered here (scantest draws those).
func (pl Pile) Render(f *ocrtest.Fonts, dpi int, seed uint64) ([]*image.Gray, error) {
	out := make([]*image.Gray, len(pl.Sheets))
	for i, s := range pl.Sheets {
		var sheet *image.Gray
		switch {
		case s.Separator != "":
			return nil, fmt.Errorf("pile: page %d is a separator sheet: render it with scantest", i+1)
		case s.Pair:
			return nil, fmt.Errorf("pile: page %d is a photocopy of both sides of a card: not rendered yet", i+1)
		case s.Blank:
			sheet = f.FormPage(ocrtest.Form{}) // an empty page
		case s.Component == "CCCD":
			var err error
			if sheet, err = f.CardSheet(ocrtest.Specimen(s.person), s.Back); err != nil {
				return nil, err
			}
		case s.Card:
			sheet = f.CardText(s.Lines)
		default:
			fm, ok := forms(s.Component, newPerson(s.person))
			if !ok || s.Page > len(fm.pages) {
				return nil, fmt.Errorf("pile: no template for page %d of %s", s.Page, s.Component)
			}
			p := ocrtest.Form{Body: fm.pages[s.Page-1]}
			if s.Page == 1 {
				p.Caption, p.Title = fm.caption, wrapTitle(fm.title)
				if fm.header {
					p.Header = nationalHeader
				}
			}
			if fm.numbered {
				p.Foot = fmt.Sprintf("Trang %d/%d", s.Page, len(fm.pages))
			}
			sheet = f.FormPage(p)
		}
		sc := ocrtest.Scan{DPI: dpi, Skew: float64(i%5-2) * 0.3, Seed: seed + uint64(i)}
		if s.UpsideDown {
			sc.Rotate = 180
		}
		out[i] = ocrtest.Print(sheet, sc)
	}
	return out, nil
}
