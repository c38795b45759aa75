package scantest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// RawPDF assembles objects 1..n (bodies without "n 0 obj") with a correct
// xref table; object 1 must be the catalog.
func RawPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

// Stream returns an indirect stream object body with dict and data.
func Stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// Deflate compresses data with zlib.
func Deflate(data []byte) []byte {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestSpeed)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// Zeros deflates n zero bytes without holding them in memory.
func Zeros(n int) []byte {
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	chunk := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(chunk))
		w.Write(chunk[:k])
		n -= k
	}
	w.Close()
	return b.Bytes()
}

// Hostile returns the hostile and broken inputs a counter may send, by name,
// built from good (a well-formed scan) at dpi: "encrypted", "javascript"
// (document, page and link actions), "corrupt-jpeg", "jpeg", "huge-jpeg",
// "huge-image" (20000×20000), "flate-bomb" (double Flate), "page-loop",
// "count-lie", "count-lie-page", "no-count", "no-pages", "encrypted-truncated",
// "5000-pages", "random", "pdf-header-random", "truncated", "truncated-tail",
// "html" and "empty"; "good" is good itself.
func Hostile(good []byte, dpi int) (map[string][]byte, error) {
	m := map[string][]byte{"good": good}

	var enc bytes.Buffer
	conf := model.NewAESConfiguration("mật-khẩu", "chủ", 256)
	if err := api.Encrypt(bytes.NewReader(good), &enc, conf); err != nil {
		return nil, err
	}
	m["encrypted"] = enc.Bytes()

	active, err := WithActiveContent(good)
	if err != nil {
		return nil, err
	}
	m["javascript"] = active

	// A page whose JPEG stream is cut in the middle.
	jp, err := JPEGs(Spec{Seed: 1, DPI: dpi, Sheets: []Sheet{Text("a"), Text("b")}})
	if err != nil {
		return nil, err
	}
	cut := append(bytes.Clone(jp[1][:len(jp[1])/3]), 0xFF, 0xD9)
	corrupt, err := PDF([][]byte{jp[0], cut})
	if err != nil {
		return nil, err
	}
	m["corrupt-jpeg"] = corrupt
	m["jpeg"] = jp[0]

	// A JPEG that claims 60000×60000 pixels.
	var small bytes.Buffer
	jpeg.Encode(&small, image.NewGray(image.Rect(0, 0, 16, 16)), nil)
	huge := small.Bytes()
	if i := bytes.Index(huge, []byte{0xFF, 0xC0}); i > 0 {
		huge[i+5], huge[i+6], huge[i+7], huge[i+8] = 0xEA, 0x60, 0xEA, 0x60
	}
	m["huge-jpeg"] = huge

	page := func(img string) string {
		return "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 " + img + " >> >> /Contents 4 0 R >>"
	}
	draw := Stream("", []byte("q 595 0 0 842 0 0 cm /Im0 Do Q"))
	// An image that declares 20000×20000 pixels (a 400-megapixel decode).
	m["huge-image"] = RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		page("5 0 R"), draw,
		Stream("/Type /XObject /Subtype /Image /Width 20000 /Height 20000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", Zeros(1<<20)))
	// Double-Flate bomb: a few hundred bytes that inflate to 64 MiB in an allowed-size image.
	m["flate-bomb"] = RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		page("5 0 R"), draw,
		Stream("/Type /XObject /Subtype /Image /Width 5000 /Height 5000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter [/FlateDecode /FlateDecode]", Deflate(Zeros(1<<26))))
	// Page tree whose Kids contain the tree itself.
	m["page-loop"] = RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
	// A /Count no file of this size could hold, over a tree without kids.
	m["count-lie"] = RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 213804087 >>")
	// The same lie over a real page: readers count the kids.
	m["count-lie-page"] = RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 213804087 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
	// A page tree without /Count, which qpdf, poppler and pdf.js open.
	m["no-count"] = RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
	// A well-formed file without a page.
	m["no-pages"] = RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>")
	// An encrypted file whose end was lost (no %%EOF): encrypted first, truncated second.
	e := bytes.TrimRight(enc.Bytes(), "\r\n")
	m["encrypted-truncated"] = e[:len(e)-len("%%EOF")]
	// 5000 empty pages.
	kids := make([]string, 5000)
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", ""}
	for i := range kids {
		kids[i] = fmt.Sprintf("%d 0 R", i+3)
		objs = append(objs, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
	}
	objs[1] = "<< /Type /Pages /Kids [" + strings.Join(kids, " ") + "] /Count 5000 >>"
	m["5000-pages"] = RawPDF(objs...)

	rnd := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	m["random"] = rnd
	m["pdf-header-random"] = append([]byte("%PDF-1.7\n"), append(rnd, []byte("\n%%EOF\n")...)...)
	m["truncated"] = good[:len(good)/2]
	m["truncated-tail"] = good[:len(good)-200]
	m["html"] = []byte("<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>")
	m["empty"] = nil
	return m, nil
}

// WithActiveContent returns pdf with document JavaScript, an open action, a
// launch action on every page and a JavaScript link: what must never reach a
// stored component.
func WithActiveContent(pdf []byte) ([]byte, error) {
	ctx, err := api.ReadAndValidate(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err != nil {
		return nil, err
	}
	js := types.Dict{"S": types.Name("JavaScript"), "JS": types.StringLiteral("app.alert('pwned')")}
	ctx.RootDict["OpenAction"] = js
	ctx.RootDict["Names"] = types.Dict{"JavaScript": types.Dict{"Names": types.Array{types.StringLiteral("x"), js}}}
	for i := 1; i <= ctx.PageCount; i++ {
		d, _, _, err := ctx.PageDict(i, false)
		if err != nil {
			return nil, err
		}
		d["AA"] = types.Dict{"O": types.Dict{"S": types.Name("Launch"), "F": types.StringLiteral("cmd.exe")}}
		d["Annots"] = types.Array{types.Dict{"Type": types.Name("Annot"), "Subtype": types.Name("Link"),
			"Rect": types.Array{types.Integer(0), types.Integer(0), types.Integer(100), types.Integer(100)},
			"A":    types.Dict{"S": types.Name("JavaScript"), "JS": types.StringLiteral("app.launchURL('http://evil')")}}}
	}
	var out bytes.Buffer
	if err := api.WriteContext(ctx, &out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// ActiveContent parses pdf and lists the active content it still carries, by
// where it sits: the catalog's OpenAction, AA, non-signature form fields and
// JavaScript or EmbeddedFiles name trees, and each page's AA and annotations
// other than action-free signature widgets. Checking the
// structure, not the bytes: "/AA" turns up by chance in compressed image data.
func ActiveContent(pdf []byte) ([]string, error) {
	ctx, err := api.ReadAndValidate(bytes.NewReader(pdf), model.NewDefaultConfiguration())
	if err != nil {
		return nil, err
	}
	var found []string
	for _, k := range []string{"OpenAction", "AA"} {
		if _, ok := ctx.RootDict[k]; ok {
			found = append(found, "catalog /"+k)
		}
	}
	if o, ok := ctx.RootDict["AcroForm"]; ok {
		form, err := ctx.DereferenceDict(o)
		if err != nil {
			return nil, err
		}
		fields, _ := ctx.DereferenceArray(form["Fields"])
		for _, f := range fields {
			fd, err := ctx.DereferenceDict(f)
			if err != nil {
				return nil, err
			}
			if ft, _ := fd["FT"].(types.Name); ft != "Sig" {
				found = append(found, "catalog /AcroForm field of type "+string(ft))
			}
		}
	}
	if o, ok := ctx.RootDict["Names"]; ok {
		names, err := ctx.DereferenceDict(o)
		if err != nil {
			return nil, err
		}
		for _, k := range []string{"JavaScript", "EmbeddedFiles"} {
			if _, ok := names[k]; ok {
				found = append(found, "catalog /Names /"+k)
			}
		}
	}
	for i := 1; i <= ctx.PageCount; i++ {
		d, _, _, err := ctx.PageDict(i, false)
		if err != nil {
			return nil, err
		}
		if _, ok := d["AA"]; ok {
			found = append(found, fmt.Sprintf("page %d /AA", i))
		}
		annots, _ := ctx.DereferenceArray(d["Annots"])
		for _, a := range annots {
			ad, err := ctx.DereferenceDict(a)
			if err != nil {
				return nil, err
			}
			// A signature widget (a seal) is the one annotation allowed, and
			// only without actions.
			sub, _ := ad["Subtype"].(types.Name)
			ft, _ := ad["FT"].(types.Name)
			_, act := ad["A"]
			_, aa := ad["AA"]
			if sub != "Widget" || ft != "Sig" || act || aa {
				found = append(found, fmt.Sprintf("page %d annotation /%s", i, sub))
			}
		}
	}
	return found, nil
}
