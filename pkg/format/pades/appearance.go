package pades

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
)

// Appearance sizes, in points.
const (
	appearancePad     = 4.0
	appearanceMaxSize = 10.0
	appearanceMinSize = 4.0
)

// appearance is the visible signature's form XObject: a thin seal-red frame
// and the lines in dark blue, as real text in an embedded subset of DejaVu
// Sans (which has every Vietnamese glyph; the PDF base-14 fonts do not),
// drawn by the same drawer as the conversion mark (pdffont.Text.Lines), so the
// signer's name can be selected, searched and read aloud. The font shrinks,
// and long lines wrap, until the text fits the w×h box. A character without
// a glyph is an error rather than a '?' in a legal document.
func appearance(f *pdffont.Font, lines []string, w, h float64, ow pdffont.ObjectWriter) (content []byte, font types.IndirectRef, err error) {
	if w < 4 || h < 4 || w > 2000 || h > 2000 {
		return nil, font, errs.FieldError("rect", "the appearance rectangle %.0f×%.0f pt is out of range", w, h)
	}
	for _, l := range lines {
		if r, missing := f.Missing(l); missing {
			return nil, font, errs.E(errs.Invalid, "the character %q cannot be drawn in the signature appearance", r)
		}
	}
	iw, ih := w-2*appearancePad, h-2*appearancePad
	var set []string
	size := 0.0
	for s := appearanceMaxSize; s >= appearanceMinSize; s -= 0.5 {
		set = set[:0]
		for _, l := range lines {
			set = append(set, f.Wrap(l, s, iw)...)
		}
		if f.Fit(set, iw, ih, s, s) > 0 {
			size = s
			break
		}
	}
	if size == 0 { // does not fit even at the smallest size: the frame clips it
		size = appearanceMinSize
	}
	t := f.NewText()
	var c strings.Builder
	c.WriteString("q 0.753 0.11 0.157 RG 1 w 0.5 0.5 ")
	fmt.Fprintf(&c, "%s %s re S\n", num(w-1), num(h-1))
	fmt.Fprintf(&c, "0 0 %s %s re W n\n0.063 0.165 0.514 rg\n", num(w), num(h))
	c.WriteString(t.Lines("F0", appearancePad, h-appearancePad-f.Ascent(size), size, 1.25*size, set))
	c.WriteString("Q\n")
	font, err = t.Write(ow)
	if err != nil {
		return nil, font, fmt.Errorf("pades: appearance font: %w", err)
	}
	return []byte(c.String()), font, nil
}

// updateWriter adds the objects of an embedded font to an incremental
// update, numbered from alloc.
type updateWriter struct {
	u     *update
	alloc func() int
}

func (w updateWriter) Object(d types.Dict) (types.IndirectRef, error) {
	n := w.alloc()
	w.u.object(n, 0, d.PDFString())
	return *types.NewIndirectRef(n, 0), nil
}

func (w updateWriter) Stream(d types.Dict, data []byte) (types.IndirectRef, error) {
	n := w.alloc()
	d = d.Clone().(types.Dict)
	d["Filter"] = types.Name("FlateDecode")
	delete(d, "Length")
	inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(d.PDFString()), "<<"), ">>")
	w.u.stream(n, inner, deflate(data))
	return *types.NewIndirectRef(n, 0), nil
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.BestSpeed)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return out.Bytes()
}
