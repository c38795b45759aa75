package stamp

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
)

// Document describes a PDF we write from scratch (a receipt, a separator
// sheet): pages of one size, each a content stream drawing with the fonts
// named in Fonts (resource name → the text whose glyphs it embeds).
type Document struct {
	Width, Height float64 // points
	Fonts         map[string]*pdffont.Text
	Pages         []string // one content stream per page
	Title         string   // document information, optional
	Producer      string
}

// PDF writes the document with pdfcpu's object model: each font embedded
// once as a subset of the glyphs its Text used, one resource dictionary
// shared by every page.
func (d Document) PDF() ([]byte, error) {
	disableConfigDir()
	if len(d.Pages) == 0 {
		return nil, fmt.Errorf("stamp: a document needs at least one page")
	}
	ctx, err := pdfcpu.CreateContextWithXRefTable(model.NewDefaultConfiguration(), &types.Dim{Width: d.Width, Height: d.Height})
	if err != nil {
		return nil, fmt.Errorf("stamp: new PDF: %w", err)
	}
	x := ctx.XRefTable
	fonts := types.Dict{}
	for _, name := range slices.Sorted(maps.Keys(d.Fonts)) { // the same bytes for the same document
		ref, err := d.Fonts[name].Embed(x)
		if err != nil {
			return nil, fmt.Errorf("stamp: embed font %s: %w", name, err)
		}
		fonts[name] = *ref
	}
	resRef, err := x.IndRefForNewObject(types.Dict{"Font": fonts})
	if err != nil {
		return nil, err
	}
	pagesRef, err := x.Pages()
	if err != nil {
		return nil, err
	}
	pages, err := x.DereferenceDict(*pagesRef)
	if err != nil {
		return nil, err
	}
	kids := types.Array{}
	for _, content := range d.Pages {
		sd, err := x.NewStreamDictForBuf([]byte(content))
		if err != nil {
			return nil, err
		}
		if err := sd.Encode(); err != nil {
			return nil, err
		}
		cRef, err := x.IndRefForNewObject(*sd)
		if err != nil {
			return nil, err
		}
		pRef, err := x.IndRefForNewObject(types.Dict{
			"Type":      types.Name("Page"),
			"Parent":    *pagesRef,
			"Resources": *resRef,
			"Contents":  *cRef,
		})
		if err != nil {
			return nil, err
		}
		kids = append(kids, *pRef)
	}
	pages["Kids"] = kids
	pages["Count"] = types.Integer(len(kids))
	x.PageCount = len(kids)
	if d.Title != "" || d.Producer != "" {
		info := types.Dict{}
		if d.Title != "" {
			info["Title"] = types.NewHexLiteral([]byte(types.EncodeUTF16String(d.Title)))
		}
		if d.Producer != "" {
			info["Producer"] = types.StringLiteral(d.Producer)
		}
		ref, err := x.IndRefForNewObject(info)
		if err != nil {
			return nil, err
		}
		x.Info = ref
	}
	var out bytes.Buffer
	if err := api.WriteContext(ctx, &out); err != nil {
		return nil, fmt.Errorf("stamp: write PDF: %w", err)
	}
	return out.Bytes(), nil
}
