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
		if p.img == nil {
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
