package stamp

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
)

// Word is one word of a page's invisible text layer, placed on the page as
// displayed (origin lower left, PDF points): (X, Y) is the lower left corner
// of the word's box as read upright, W its length along the text, H its
// height, Angle the text's direction (counter-clockwise degrees).
type Word struct {
	Text       string
	X, Y, W, H float64
	Angle      int
}

// maxLayerWords bounds the words of one page's layer.
const maxLayerWords = 20000

// TextLayer returns pdf with an invisible text layer (text render mode 3,
// PDF 32000-1 9.3.6) on the pages of words (1-based page → words), drawn
// with the embedded font so that every reader extracts the words as
// Unicode and selecting text lands on them. Each word is stretched (Tz) to
// its box. Pages are otherwise unchanged: their content is wrapped in q/Q
// and the layer drawn after it. Call it before ConversionMark and the seal,
// so that the signature covers the layer.
func (s *Stamper) TextLayer(pdf []byte, words map[int][]Word) (layered []byte, err error) {
	defer func() {
		if r := recover(); r != nil { // pdfcpu panics on some damaged files: this file's error, not the process's end
			layered, err = nil, errs.Wrap(errs.Unprocessable, fmt.Errorf("panic: %v", r), "stamp: unreadable PDF (its structure is damaged)")
		}
	}()
	ctx, err := readInput(pdf)
	if err != nil {
		return nil, err
	}
	t := s.font.NewText()
	x := ctx.XRefTable
	// First the content of every layer (recording the glyphs used), then
	// the font, embedded once, then the pages.
	layers := map[int]string{}
	for n := 1; n <= ctx.PageCount; n++ {
		ws := words[n]
		if len(ws) == 0 {
			continue
		}
		if len(ws) > maxLayerWords {
			return nil, errs.E(errs.TooLarge, "stamp: %d words on page %d", len(ws), n)
		}
		var c strings.Builder
		for _, w := range ws {
			text := clip(w.Text)
			if text == "" || !(w.W > 0) || !(w.H > 0) {
				continue
			}
			size := w.H * 1000 / (s.font.Ascent(1000) - s.font.Descent(1000))
			natural := s.font.Width(text, size)
			if !(natural > 0) {
				continue
			}
			// The baseline sits |descent| above the box's bottom, along the text's normal.
			sin, cos := math.Sincos(float64(w.Angle) * math.Pi / 180)
			up := -s.font.Descent(size)
			bx, by := w.X-sin*up, w.Y+cos*up
			fmt.Fprintf(&c, "/%%s %s Tf %s Tz %s Tm %s Tj\n", pdffont.Nums(size), pdffont.Nums(100*w.W/natural),
				pdffont.Nums(cos, sin, -sin, cos, bx, by), t.Hex(text))
		}
		if c.Len() > 0 {
			layers[n] = c.String()
		}
	}
	if len(layers) == 0 {
		return pdf, nil
	}
	fontRef, err := t.Embed(x)
	if err != nil {
		return nil, fmt.Errorf("stamp: embed font: %w", err)
	}
	for n := 1; n <= ctx.PageCount; n++ {
		layer, ok := layers[n]
		if !ok {
			continue
		}
		page, _, inh, err := x.PageDict(n, false)
		if err != nil || page == nil || inh == nil || inh.MediaBox == nil {
			return nil, errs.E(errs.Invalid, "stamp: page %d: %v", n, err)
		}
		res, err := pageResources(x, inh.Resources)
		if err != nil {
			return nil, err
		}
		fonts := subDict(res, "Font")
		name := freeName(fonts, "SohoaOCR")
		fonts[name] = *fontRef
		var c strings.Builder
		fmt.Fprintf(&c, "\nQ\nq\n1 0 0 1 %s cm\nBT 3 Tr\n", pdffont.Nums(inh.MediaBox.LL.X, inh.MediaBox.LL.Y))
		c.WriteString(strings.ReplaceAll(layer, "/%s ", "/"+name+" "))
		c.WriteString("ET\nQ\n")
		if err := appendContent(x, page, n, c.String()); err != nil {
			return nil, err
		}
		page["Resources"] = res
	}
	var out bytes.Buffer
	out.Grow(len(pdf) + 64<<10)
	if err := api.WriteContext(ctx, &out); err != nil {
		return nil, fmt.Errorf("stamp: write PDF: %w", err)
	}
	return out.Bytes(), nil
}

// appendContent wraps page n's content in q/Q and appends content after it.
func appendContent(x *model.XRefTable, page types.Dict, n int, content string) error {
	pre, err := x.StreamDictIndRef([]byte("q\n"))
	if err != nil {
		return err
	}
	post, err := x.StreamDictIndRef([]byte(content))
	if err != nil {
		return err
	}
	contents := types.Array{*pre}
	if obj, ok := page.Find("Contents"); ok {
		d, err := x.Dereference(obj)
		if err != nil {
			return errs.E(errs.Invalid, "stamp: page %d contents: %v", n, err)
		}
		switch o := d.(type) {
		case types.Array:
			contents = append(contents, o...)
		case types.StreamDict:
			ir, ok := obj.(types.IndirectRef)
			if !ok {
				return errs.E(errs.Invalid, "stamp: page %d contents is a direct stream", n)
			}
			contents = append(contents, ir)
		case nil:
		default:
			return errs.E(errs.Invalid, "stamp: page %d contents is a %T", n, o)
		}
	}
	page["Contents"] = append(contents, *post)
	return nil
}
