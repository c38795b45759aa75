package scan

import (
	"bytes"
	"fmt"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// outPage is one page of a PDF built from images.
type outPage struct {
	img      []byte  // JPEG (embedded as is) or PNG/TIFF (re-encoded with Flate); nil for an empty page
	kind     string  // "jpg", "png" or "tif"
	wPt, hPt float64 // page size in points; the image is fitted and centred
	fax      *faxPage
	rotate   int // the page's /Rotate: how it is shown
}

// faxPage is a bilevel page embedded with its CCITT coding as scanned, one
// image a strip: no decoding, no re-encoding, a fraction of the bytes.
type faxPage struct {
	strips       [][]byte // in PDF bit order (most significant bit first)
	w, h         int
	rowsPerStrip int // 0: one strip
	k            int
	align        bool
	blackIs1     bool // the code's black runs are the paper (a BlackIsZero TIFF)
}

// buildPDF writes a new PDF with one page per outPage. The output holds
// nothing but the images: no scripts, actions, annotations or attachments.
func buildPDF(pages []outPage) ([]byte, error) {
	disableConfigDir()
	conf := model.NewDefaultConfiguration()
	conf.Cmd = model.IMPORTIMAGES
	first := types.Dim{Width: pages[0].wPt, Height: pages[0].hPt}
	ctx, err := pdfcpu.CreateContextWithXRefTable(conf, &first)
	if err != nil {
		return nil, fmt.Errorf("scan: new PDF: %w", err)
	}
	pagesRef, err := ctx.Pages()
	if err != nil || pagesRef == nil {
		return nil, fmt.Errorf("scan: new PDF page tree: %w", err)
	}
	pagesDict, err := ctx.DereferenceDict(*pagesRef)
	if err != nil || pagesDict == nil {
		return nil, fmt.Errorf("scan: new PDF page tree: %w", err)
	}
	for i, p := range pages {
		dim := types.Dim{Width: p.wPt, Height: p.hPt}
		var refs []*types.IndirectRef
		if p.fax != nil {
			ref, err := faxPageDict(ctx.XRefTable, pagesRef, dim, p.fax)
			if err != nil {
				return nil, fmt.Errorf("scan: page %d: %w", i+1, err)
			}
			refs = []*types.IndirectRef{ref}
		} else if p.img == nil {
			mb := types.RectForDim(dim.Width, dim.Height)
			ref, err := ctx.EmptyPage(pagesRef, mb, 0)
			if err != nil {
				return nil, fmt.Errorf("scan: page %d: %w", i+1, err)
			}
			refs = []*types.IndirectRef{ref}
		} else {
			imp := &pdfcpu.Import{PageDim: &dim, PageSize: "", UserDim: true, Pos: types.Center, Scale: 1, InpUnit: types.POINTS}
			refs, err = pdfcpu.NewPagesForImage(ctx.XRefTable, bytes.NewReader(p.img), pagesRef, imp)
			if err != nil {
				return nil, fmt.Errorf("scan: page %d image: %w", i+1, err)
			}
		}
		for _, ref := range refs {
			if p.rotate != 0 {
				d, err := ctx.DereferenceDict(*ref)
				if err != nil || d == nil {
					return nil, fmt.Errorf("scan: page %d: %v", i+1, err)
				}
				d["Rotate"] = types.Integer(p.rotate)
			}
			if err := ctx.SetValid(*ref); err != nil {
				return nil, fmt.Errorf("scan: page %d: %w", i+1, err)
			}
			if err := model.AppendPageTree(ref, 1, pagesDict); err != nil {
				return nil, fmt.Errorf("scan: page %d: %w", i+1, err)
			}
			ctx.PageCount++
		}
	}
	var buf bytes.Buffer
	if err := api.WriteContext(ctx, &buf); err != nil {
		return nil, fmt.Errorf("scan: write PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// faxPageDict writes a page of dim showing f's strips top to bottom. The
// code's runs are the TIFF's sample bits, so a BlackIsZero page is embedded
// with /BlackIs1 true (as tiff2pdf does) and shows the paper as scanned.
func faxPageDict(xt *model.XRefTable, parent *types.IndirectRef, dim types.Dim, f *faxPage) (*types.IndirectRef, error) {
	xobjects := types.Dict{}
	var content bytes.Buffer
	rps := f.rowsPerStrip
	if rps <= 0 {
		rps = f.h
	}
	for i, data := range f.strips {
		y0 := i * rps
		rows := min(rps, f.h-y0)
		if rows <= 0 {
			break
		}
		parms := types.Dict{"K": types.Integer(f.k), "Columns": types.Integer(f.w), "Rows": types.Integer(rows)}
		if f.align {
			parms["EncodedByteAlign"] = types.Boolean(true)
		}
		if f.blackIs1 {
			parms["BlackIs1"] = types.Boolean(true)
		}
		d := types.Dict{"Type": types.Name("XObject"), "Subtype": types.Name("Image"), "Width": types.Integer(f.w),
			"Height": types.Integer(rows), "ColorSpace": types.Name("DeviceGray"), "BitsPerComponent": types.Integer(1),
			"Filter": types.Name("CCITTFaxDecode"), "DecodeParms": parms, "Length": types.Integer(len(data))}
		n := int64(len(data))
		sd := types.StreamDict{Dict: d, StreamLength: &n, Raw: data,
			FilterPipeline: []types.PDFFilter{{Name: "CCITTFaxDecode", DecodeParms: parms}}}
		ref, err := xt.IndRefForNewObject(sd)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("Im%d", i)
		xobjects[name] = *ref
		hPt := dim.Height * float64(rows) / float64(f.h)
		top := dim.Height * float64(y0) / float64(f.h)
		fmt.Fprintf(&content, "q %.4f 0 0 %.4f 0 %.4f cm /%s Do Q\n", dim.Width, hPt, dim.Height-top-hPt, name)
	}
	cref, err := xt.StreamDictIndRef(content.Bytes())
	if err != nil {
		return nil, err
	}
	page := types.Dict{"Type": types.Name("Page"), "Parent": *parent,
		"MediaBox":  types.RectForDim(dim.Width, dim.Height).Array(),
		"Resources": types.Dict{"XObject": xobjects}, "Contents": *cref}
	return xt.IndRefForNewObject(page)
}
