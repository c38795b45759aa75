// Package stamp writes onto PDFs: the conversion mark that certifies a
// scanned component (placed where page 1 has paper, see package ink), the
// invisible text layer of recognized words, and whole documents written from
// scratch (receipts, separator sheets). The text is set with package pdffont.
package stamp

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/ink"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
	"github.com/sohoa/sohoa/pkg/format/pdfmem"
	"github.com/sohoa/sohoa/pkg/vntime"
)

// Limits on the input of ConversionMark. Component PDFs come from Sohoa's own
// scan package, whose limits are the same (scan.DefaultLimits); the checks
// keep a wrong call from exhausting memory.
const (
	// MaxInputBytes is the largest PDF ConversionMark accepts.
	MaxInputBytes = 256 << 20
	// MaxPages is the most pages ConversionMark accepts.
	MaxPages = 1000
	// maxField is the most characters printed of one field of a Mark.
	maxField = 200
)

// ConvertedFromPaper is the statement of the conversion mark (Decree
// 137/2024/NĐ-CP Art. 4: text saying the electronic document was converted
// from paper).
const ConvertedFromPaper = "Bản điện tử được chuyển đổi từ bản giấy"

// Mark is what the conversion mark of a certified digitized copy says
// (Decree 137/2024/NĐ-CP Art. 4; Circular 01/2023/TT-VPCP Art. 8).
type Mark struct {
	// DossierCode and Component identify the copy (optional).
	DossierCode string
	Component   string
	// Converter is the full name of the person who converted the paper.
	Converter string
	// Unit is the receiving unit (the post office) the converter works for.
	Unit string
	// At is the time of conversion, printed in Vietnam's time.
	At time.Time
	// Ink is where page 1 has ink (see package ink and place.go): with it the mark
	// goes where the page is empty, never over the paper's content; nil
	// means unknown and the mark goes to the top-left corner.
	Ink *ink.Map
}

// Lines returns the text of the mark, one string a line.
func (m Mark) Lines() []string {
	at := m.At.In(vntime.Location())
	lines := []string{
		ConvertedFromPaper,
		"Thời gian chuyển đổi: " + at.Format("15:04:05") + " ngày " + at.Format("02/01/2006") + " (UTC+7)",
		"Người chuyển đổi: " + clip(m.Converter),
		"Đơn vị tiếp nhận: " + clip(m.Unit),
	}
	var ids []string
	if m.DossierCode != "" {
		ids = append(ids, "Hồ sơ: "+clip(m.DossierCode))
	}
	if m.Component != "" {
		ids = append(ids, "Thành phần: "+clip(m.Component))
	}
	if len(ids) > 0 {
		lines = append(lines, strings.Join(ids, " · "))
	}
	return lines
}

func (m Mark) validate() error {
	switch {
	case strings.TrimSpace(m.Converter) == "":
		return errs.FieldError("converter", "stamp: the conversion mark needs the converter's full name")
	case strings.TrimSpace(m.Unit) == "":
		return errs.FieldError("unit", "stamp: the conversion mark needs the receiving unit")
	case m.At.IsZero():
		return errs.FieldError("at", "stamp: the conversion mark needs the time of conversion")
	}
	return nil
}

// disableConfigDir keeps pdfcpu from creating ~/.config/pdfcpu (read-only on
// Lambda). pdfcpu exposes it only as a process-wide switch.
var disableConfigDir = sync.OnceFunc(api.DisableConfigDir)

// Stamper adds conversion marks with one parsed Font. It is safe for
// concurrent use.
type Stamper struct {
	font *pdffont.Font
}

// NewStamper returns a Stamper drawing with f.
func NewStamper(f *pdffont.Font) *Stamper { return &Stamper{font: f} }

// ConversionMark is NewStamper with a freshly parsed DejaVu Sans, then
// Stamper.ConversionMark. Callers stamping many files share a Stamper.
func ConversionMark(pdf []byte, m Mark) ([]byte, error) {
	f, err := pdffont.NewFont()
	if err != nil {
		return nil, err
	}
	return NewStamper(f).ConversionMark(pdf, m)
}

// ConversionMark returns pdf with the conversion mark of m added to the top
// left of page 1 (as displayed, whatever the page's rotation): a small
// semi-opaque white box with the statement that the file was converted from
// paper, the time of conversion, the converter's full name and the receiving
// unit, in an embedded font. Every page is otherwise unchanged: page 1 keeps
// its content, wrapped in q/Q, with the mark drawn after it, and gets its
// own copy of its resources plus the font. The mark is an incremental
// update appended to the file, whose bytes stay as they were, in pdf's
// spare capacity when it has room (the caller gives pdf up); the result is
// unsigned: sign it afterwards.
//
// Encrypted, oversized (MaxInputBytes, MaxPages) or unreadable PDFs are
// refused with an Invalid or TooLarge error.
func (s *Stamper) ConversionMark(pdf []byte, m Mark) ([]byte, error) {
	return s.conversionMark(pdf, m, nil)
}

func (s *Stamper) conversionMark(pdf []byte, m Mark, placed *Placement) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil { // pdfcpu panics on some damaged files: this file's error, not the process's end
			out, err = nil, errs.Wrap(errs.Unprocessable, fmt.Errorf("panic: %v", r), "stamp: unreadable PDF (its structure is damaged)")
		}
	}()
	if err := m.validate(); err != nil {
		return nil, err
	}
	ctx, err := readInput(pdf)
	if err != nil {
		return nil, err
	}
	x := ctx.XRefTable
	existed := make(map[int]bool, len(x.Table))
	for n, e := range x.Table {
		existed[n] = e != nil && !e.Free
	}
	pageRef, err := s.markFirstPage(ctx, m, placed)
	if err != nil {
		return nil, err
	}
	// An incremental update (PDF 32000-1 §7.5.6): page 1's dictionary and
	// the mark's new objects are appended to the file as it was, whose
	// bytes stay as they are (and are not copied when pdf has the room).
	ctx.Write.Increment = true
	ctx.Write.IncrementWithObjNr(pageRef.ObjectNumber.Value())
	for n, e := range x.Table {
		if e != nil && !e.Free && !existed[n] {
			ctx.Write.IncrementWithObjNr(n)
		}
	}
	slices.Sort(ctx.Write.ObjNrs)
	buf := bytes.NewBuffer(pdf)
	if pdf[len(pdf)-1] != '\n' && pdf[len(pdf)-1] != '\r' {
		buf.WriteByte('\n')
	}
	ctx.Write.Offset = int64(buf.Len())
	if err := api.WriteIncrement(ctx, buf); err != nil {
		return nil, fmt.Errorf("stamp: write PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// Mark geometry, for an A4 page; it scales with the page's displayed width.
const (
	a4Width   = 595.28
	markSize  = 7.0  // font size on A4, points
	markInset = 12.0 // distance from the page's edges
	markPad   = 4.0  // padding inside the box
	maxShare  = 0.5  // most of the page's width the box may take
	boxAlpha  = 0.85 // opacity of the box's white background
)

// markFirstPage draws the mark on page 1 and returns the page's reference.
func (s *Stamper) markFirstPage(ctx *model.Context, m Mark, placed *Placement) (*types.IndirectRef, error) {
	x := ctx.XRefTable
	page, pageRef, inh, err := x.PageDict(1, false)
	if err != nil || page == nil || inh == nil || pageRef == nil {
		return nil, errs.E(errs.Invalid, "stamp: no page 1: %v", err)
	}
	box := inh.MediaBox
	if inh.CropBox != nil && box != nil {
		box = intersect(box, inh.CropBox)
	}
	if box == nil || box.Width() < 10 || box.Height() < 10 {
		return nil, errs.E(errs.Invalid, "stamp: page 1 has no usable page box")
	}
	rot := ((inh.Rotate % 360) + 360) % 360
	if rot%90 != 0 {
		rot = 0 // PDF 32000-1: Rotate is a multiple of 90; readers ignore others
	}
	// Display space: the page as shown, origin bottom-left, w × h.
	w, h := box.Width(), box.Height()
	if rot == 90 || rot == 270 {
		w, h = h, w
	}
	var cm [6]float64 // display space → user space
	llx, lly, urx, ury := box.LL.X, box.LL.Y, box.UR.X, box.UR.Y
	switch rot {
	case 0:
		cm = [6]float64{1, 0, 0, 1, llx, lly}
	case 90:
		cm = [6]float64{0, 1, -1, 0, urx, lly}
	case 180:
		cm = [6]float64{-1, 0, 0, -1, urx, ury}
	case 270:
		cm = [6]float64{0, -1, 1, 0, llx, ury}
	}

	scale := max(0.6, min(4, w/a4Width))
	size, inset, pad := markSize*scale, markInset*scale, markPad*scale
	lead := size * 1.25
	t := s.font.NewText()
	var lines []string
	for _, l := range m.Lines() {
		lines = append(lines, s.font.Wrap(l, size, w*maxShare-2*pad)...)
	}
	textW := 0.0
	for _, l := range lines {
		textW = max(textW, s.font.Width(l, size))
	}
	boxW := textW + 2*pad
	boxH := 2*pad + s.font.Ascent(size) + float64(len(lines)-1)*lead - s.font.Descent(size)
	bx, by := inset, h-inset-boxH
	if m.Ink != nil {
		pl := s.place(m, page, box, rot, w, h, size, pad, inset, boxW, boxH)
		if pl.where == PlacedCompact {
			size, pad, lead = pl.size, pl.pad, pl.size*1.25
			lines, boxW, boxH = pl.lines, pl.boxW, pl.boxH
		}
		bx, by = pl.x, pl.y
		if placed != nil {
			*placed = pl.where
		}
	}

	res, err := pageResources(x, inh.Resources)
	if err != nil {
		return nil, err
	}
	fonts, gstates := subDict(res, "Font"), subDict(res, "ExtGState")
	fontName, gsName := freeName(fonts, "SohoaF"), freeName(gstates, "SohoaGS")

	var c strings.Builder
	fmt.Fprintf(&c, "\nQ\nq\n%s cm\n", pdffont.Nums(cm[:]...))
	fmt.Fprintf(&c, "q /%s gs 1 1 1 rg %s re f Q\n", gsName, pdffont.Nums(bx, by, boxW, boxH))
	fmt.Fprintf(&c, "0.55 0 0 RG %s w %s re S\n", pdffont.Nums(0.6*scale), pdffont.Nums(bx, by, boxW, boxH))
	c.WriteString("0 0 0.5 rg ")
	c.WriteString(t.Lines(fontName, bx+pad, by+boxH-pad-s.font.Ascent(size), size, lead, lines))
	c.WriteString("Q\n")

	fontRef, err := t.Embed(x)
	if err != nil {
		return nil, fmt.Errorf("stamp: embed font: %w", err)
	}
	fonts[fontName] = *fontRef
	gsRef, err := x.IndRefForNewObject(types.Dict{"Type": types.Name("ExtGState"), "ca": types.Float(boxAlpha)})
	if err != nil {
		return nil, err
	}
	gstates[gsName] = *gsRef

	pre, err := x.StreamDictIndRef([]byte("q\n"))
	if err != nil {
		return nil, err
	}
	post, err := x.StreamDictIndRef([]byte(c.String()))
	if err != nil {
		return nil, err
	}
	contents := types.Array{*pre}
	if obj, ok := page.Find("Contents"); ok {
		obj, err := x.Dereference(obj)
		if err != nil {
			return nil, errs.E(errs.Invalid, "stamp: page 1 contents: %v", err)
		}
		switch o := obj.(type) {
		case types.Array:
			contents = append(contents, o...)
		case types.StreamDict:
			ref, _ := page.Find("Contents")
			if ir, ok := ref.(types.IndirectRef); ok {
				contents = append(contents, ir)
			} else {
				return nil, errs.E(errs.Invalid, "stamp: page 1 contents is a direct stream")
			}
		case nil:
		default:
			return nil, errs.E(errs.Invalid, "stamp: page 1 contents is a %T", o)
		}
	}
	contents = append(contents, *post)
	page["Contents"] = contents
	page["Resources"] = res
	return pageRef, nil
}

// pageResources returns a copy of page 1's resources (direct or inherited),
// with its Font and ExtGState dictionaries copied too, so that adding to them
// changes no other page.
func pageResources(x *model.XRefTable, inherited types.Dict) (types.Dict, error) {
	res := types.Dict{}
	for k, v := range inherited {
		res[k] = v
	}
	for _, k := range []string{"Font", "ExtGState"} {
		obj, ok := res[k]
		if !ok {
			continue
		}
		d, err := x.DereferenceDict(obj)
		if err != nil {
			return nil, errs.E(errs.Invalid, "stamp: page 1 /%s resources: %v", k, err)
		}
		cp := types.Dict{}
		for kk, vv := range d {
			cp[kk] = vv
		}
		res[k] = cp
	}
	return res, nil
}

// subDict returns the category (Font, ExtGState) of res, created if missing.
func subDict(res types.Dict, category string) types.Dict {
	d, ok := res[category].(types.Dict)
	if !ok {
		d = types.Dict{}
		res[category] = d
	}
	return d
}

// freeName returns a name starting with prefix that d does not use.
func freeName(d types.Dict, prefix string) string {
	name := prefix
	for i := 1; ; i++ {
		if _, taken := d[name]; !taken {
			return name
		}
		name = fmt.Sprintf("%s%d", prefix, i)
	}
}

// intersect returns the intersection of two rectangles, or a if they are disjoint.
func intersect(a, b *types.Rectangle) *types.Rectangle {
	llx, lly := max(a.LL.X, b.LL.X), max(a.LL.Y, b.LL.Y)
	urx, ury := min(a.UR.X, b.UR.X), min(a.UR.Y, b.UR.Y)
	if urx-llx < 1 || ury-lly < 1 {
		return a
	}
	return types.NewRectangle(llx, lly, urx, ury)
}

// clip shortens s to maxField characters on one line.
func clip(s string) string {
	s = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)), " ")
	if utf8.RuneCountInString(s) > maxField {
		s = string([]rune(s)[:maxField]) + "…"
	}
	return s
}

// readInput reads a PDF to stamp under the package's limits: a complete,
// unencrypted file of at most MaxInputBytes and 1 to MaxPages pages that
// pdfcpu validates (relaxed).
func readInput(pdf []byte) (*model.Context, error) {
	if len(pdf) > MaxInputBytes {
		return nil, errs.E(errs.TooLarge, "stamp: PDF of %d bytes is over the limit of %d", len(pdf), MaxInputBytes)
	}
	if !bytes.HasPrefix(bytes.TrimLeft(pdf[:min(len(pdf), 1024)], "\x00\t\r\n "), []byte("%PDF-")) ||
		!bytes.Contains(pdf[max(0, len(pdf)-2048):], []byte("%%EOF")) {
		return nil, errs.E(errs.Invalid, "stamp: not a complete PDF file")
	}
	disableConfigDir()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.ValidateLinks = false
	conf.Limits.MaxStreamBytes = MaxInputBytes
	ctx, err := api.ReadContext(bytes.NewReader(pdf), conf)
	if err != nil {
		return nil, errs.E(errs.Invalid, "stamp: unreadable PDF: %v", err)
	}
	if ctx.Encrypt != nil {
		return nil, errs.E(errs.Invalid, "stamp: encrypted PDF")
	}
	pdfmem.AliasStreams(ctx.XRefTable, pdf) // the page images stay in pdf, not in a copy
	if err := ctx.EnsurePageCount(); err != nil {
		return nil, errs.E(errs.Invalid, "stamp: unreadable page tree: %v", err)
	}
	if ctx.PageCount < 1 || ctx.PageCount > MaxPages {
		return nil, errs.E(errs.Invalid, "stamp: PDF has %d pages (1 to %d accepted)", ctx.PageCount, MaxPages)
	}
	if err := api.ValidateContext(ctx); err != nil {
		return nil, errs.E(errs.Invalid, "stamp: invalid PDF: %v", err)
	}
	return ctx, nil
}
