package pades

import (
	"fmt"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
)

// Appearance places a visible signature.
type Appearance struct {
	// Page is the 1-based page number; 0 means the last page.
	Page int
	// Rect is llx, lly, urx, ury in the page's default user space. The zero
	// value places a 220×64 pt box at the bottom right, above the visible
	// signatures already on that page.
	Rect [4]float64
	// Lines is the text drawn; nil means signer, reason, location and time
	// in Vietnamese.
	Lines []string
	// Font draws the text (pdffont.NewFont, parsed once and shared by the
	// caller); nil parses DejaVu Sans for this signature.
	Font *pdffont.Font
}

const (
	boxW, boxH, margin = 220.0, 64.0, 36.0
)

// ict is Indochina Time, the time zone of Vietnam (no daylight saving).
var ict = time.FixedZone("ICT", 7*3600)

func (o *Options) lines() []string {
	if o.Visible != nil && o.Visible.Lines != nil {
		return o.Visible.Lines
	}
	name := o.Name
	if name == "" {
		name = o.Chain[0].Subject.CommonName
	}
	l := []string{"Ký bởi: " + name}
	if o.Reason != "" {
		l = append(l, "Lý do: "+o.Reason)
	}
	if o.Location != "" {
		l = append(l, "Nơi ký: "+o.Location)
	}
	return append(l, "Thời gian: "+o.Time.In(ict).Format("02/01/2006 15:04:05 -07:00"))
}

// writePlaceholder appends the signature update: signature dictionary with a
// zero-filled /Contents, the field/widget (with its appearance), the page and
// the catalog with the AcroForm.
func (p *Prepared) writePlaceholder() error {
	d, o := p.doc, &p.opts
	x := d.x
	if x.PageCount < 1 {
		return errs.Wrap(errs.Unprocessable, errNoPage, "the PDF has no pages")
	}
	pageNr := x.PageCount
	if o.Visible != nil && o.Visible.Page != 0 {
		if o.Visible.Page < 1 || o.Visible.Page > x.PageCount {
			return errs.FieldError("page", "page %d does not exist (the PDF has %d)", o.Visible.Page, x.PageCount)
		}
		pageNr = o.Visible.Page
	}
	pageDict, pageRef, inh, err := x.PageDict(pageNr, false)
	if err != nil || pageRef == nil {
		return errs.Wrap(errs.Unprocessable, err, "the PDF's page %d cannot be read", pageNr)
	}
	cat, err := d.catalog()
	if err != nil {
		return err
	}
	cat = cat.Clone().(types.Dict)

	next := d.size
	alloc := func() int { next++; return next - 1 }

	// AcroForm: keep its object number when it has one.
	var af types.Dict
	afNum, afGen := 0, 0
	switch v := cat["AcroForm"].(type) {
	case types.IndirectRef:
		dd, err := d.dict(v)
		if err != nil {
			return err
		}
		af, afNum, afGen = dd.Clone().(types.Dict), v.ObjectNumber.Value(), v.GenerationNumber.Value()
	case types.Dict:
		af = v.Clone().(types.Dict)
	case nil:
		af = types.Dict{}
	default:
		return errs.E(errs.Unprocessable, "the PDF's AcroForm is not a dictionary")
	}
	fields, err := d.array(af["Fields"])
	if err != nil {
		return err
	}
	fields = append(types.Array{}, fields...)
	names := map[string]bool{}
	for _, f := range fields {
		if fd, err := d.dict(f); err == nil && fd != nil {
			names[decodeText(fd["T"])] = true
		}
	}
	fieldName := ""
	for i := 1; ; i++ {
		if fieldName = fmt.Sprintf("Signature%d", i); !names[fieldName] {
			break
		}
	}
	annots, err := d.array(pageDict["Annots"])
	if err != nil {
		return err
	}
	annots = append(types.Array{}, annots...)

	sigNum, widgetNum := alloc(), alloc()
	if afNum == 0 {
		afNum = alloc()
	}
	rect := [4]float64{}
	var apNum int
	if o.Visible != nil {
		rect = o.Visible.Rect
		if rect == ([4]float64{}) {
			rect = p.autoRect(inh, annots)
		}
		apNum = alloc()
	}

	u := newUpdate(d.raw)
	if o.InPlace && cap(d.raw)-len(d.raw) >= updateSpare {
		u = extendUpdate(d.raw) // the caller's spare room: no copy of the document
	}

	// The signature dictionary. /Contents and /ByteRange are placeholders of
	// fixed width, filled in place: we know their offsets, nothing is searched.
	u.begin(sigNum, 0)
	u.buf.WriteString("<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange")
	brAt := u.buf.Len()
	u.buf.WriteString("[0 0000000000 0000000000 0000000000]/Contents")
	cStart := u.buf.Len()
	u.buf.WriteByte('<')
	u.buf.WriteString(strings.Repeat("0", 2*p.reserve()))
	u.buf.WriteByte('>')
	cEnd := u.buf.Len()
	fmt.Fprintf(&u.buf, "/M%s", pdfDate(o.Time))
	for _, kv := range [][2]string{{"Name", o.Name}, {"Reason", o.Reason}, {"Location", o.Location}, {"ContactInfo", o.ContactInfo}} {
		if kv[1] != "" {
			fmt.Fprintf(&u.buf, "/%s%s", kv[0], textString(kv[1]))
		}
	}
	u.buf.WriteString("/Prop_Build<</App<</Name/Sohoa>>>>>>\nendobj\n")

	widget := fmt.Sprintf("<</Type/Annot/Subtype/Widget/FT/Sig/T%s/V %d 0 R/P %s/Rect[%s %s %s %s]/F 132",
		textString(fieldName), sigNum, pageRef.PDFString(), num(rect[0]), num(rect[1]), num(rect[2]), num(rect[3]))
	if o.Visible != nil {
		widget += fmt.Sprintf("/AP<</N %d 0 R>>", apNum)
	}
	u.object(widgetNum, 0, widget+">>")

	if o.Visible != nil {
		w, h := rect[2]-rect[0], rect[3]-rect[1]
		if w <= 0 || h <= 0 {
			return errs.FieldError("rect", "the appearance rectangle is empty")
		}
		f := o.Visible.Font
		if f == nil {
			if f, err = pdffont.NewFont(); err != nil {
				return errs.Wrap(errs.Internal, err, "the appearance font cannot be loaded")
			}
		}
		content, font, err := appearance(f, o.lines(), w, h, updateWriter{u: u, alloc: alloc})
		if err != nil {
			return err
		}
		u.stream(apNum, fmt.Sprintf("/Type/XObject/Subtype/Form/BBox[0 0 %s %s]/Resources<</Font<</F0 %s>>>>", num(w), num(h), font.PDFString()), content)
	}

	page := pageDict.Clone().(types.Dict)
	annots = append(annots, *types.NewIndirectRef(widgetNum, 0))
	page["Annots"] = annots
	u.object(pageRef.ObjectNumber.Value(), pageRef.GenerationNumber.Value(), page.PDFString())

	af["Fields"] = append(fields, *types.NewIndirectRef(widgetNum, 0))
	af["SigFlags"] = types.Integer(3)
	u.object(afNum, afGen, af.PDFString())

	cat["AcroForm"] = *types.NewIndirectRef(afNum, afGen)
	u.object(x.Root.ObjectNumber.Value(), x.Root.GenerationNumber.Value(), cat.PDFString())

	p.sigXref = u.finish(d, d.prevXref, next, d.xrefStream)
	p.size = next
	if d.xrefStream {
		p.size++
	}
	p.catalog = cat
	p.field = fieldName
	p.out = u.buf.Bytes()
	p.contents = [2]int{cStart, cEnd}
	br := fmt.Sprintf("[0 %d %d %d]", cStart, cEnd, len(p.out)-cEnd)
	if len(br) > len("[0 0000000000 0000000000 0000000000]") {
		return errs.E(errs.TooLarge, "the PDF is too large to sign")
	}
	copy(p.out[brAt:], br+strings.Repeat(" ", len("[0 0000000000 0000000000 0000000000]")-len(br)))
	return nil
}

// autoRect places the box at the bottom right of the page (crop box, else
// media box, else A4), above the visible signature widgets already there.
func (p *Prepared) autoRect(inh *model.InheritedPageAttrs, annots types.Array) [4]float64 {
	llx, lly, urx, ury := 0.0, 0.0, 595.0, 842.0
	if inh != nil {
		b := inh.MediaBox
		if inh.CropBox != nil {
			b = inh.CropBox
		}
		if b != nil {
			llx, lly, urx, ury = b.LL.X, b.LL.Y, b.UR.X, b.UR.Y
		}
	}
	top := lly + margin
	for _, a := range annots {
		ad, err := p.doc.dict(a)
		if err != nil || ad == nil {
			continue
		}
		if ft, ok := ad["FT"].(types.Name); !ok || ft != "Sig" {
			continue
		}
		r, err := p.doc.array(ad["Rect"])
		if err != nil || len(r) != 4 {
			continue
		}
		y := 0.0
		if f, err := p.doc.x.DereferenceNumber(r[3]); err == nil {
			y = f
		}
		if f, err := p.doc.x.DereferenceNumber(r[1]); err == nil && y > f && y+8 > top {
			top = y + 8
		}
	}
	if top+boxH > ury {
		top = lly + margin
	}
	right := max(urx-margin, llx+boxW)
	return [4]float64{right - boxW, top, right, top + boxH}
}
