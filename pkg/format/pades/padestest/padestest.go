// Package padestest builds PDFs for the tests and benchmarks of the signing
// packages: small results with text and, optionally, a scanned-looking JPEG
// per page, written by code (no binary fixtures of unknown origin).
package padestest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// PDF returns an A4 PDF of n pages with a classic cross-reference table.
// With scan set, each page also shows a noisy 200-dpi-like grey JPEG
// (about 0.5 MB a page), the size of a scanned result.
func PDF(n int, scan bool) []byte {
	var b bytes.Buffer
	offsets := []int{0}
	obj := func(body string, stream []byte) int {
		offsets = append(offsets, b.Len())
		num := len(offsets) - 1
		fmt.Fprintf(&b, "%d 0 obj\n%s", num, body)
		if stream != nil {
			fmt.Fprintf(&b, "\nstream\n")
			b.Write(stream)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
		return num
	}
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	// Object numbers: 1 catalog, 2 pages, 3 font, then per page: page, content, [image].
	per := 2
	if scan {
		per = 3
	}
	kids := ""
	for i := 0; i < n; i++ {
		kids += fmt.Sprintf("%d 0 R ", 4+i*per)
	}
	obj("<</Type/Catalog/Pages 2 0 R>>", nil)
	obj(fmt.Sprintf("<</Type/Pages/Count %d/Kids[%s]>>", n, kids), nil)
	obj("<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>", nil)
	var jpg []byte
	if scan {
		jpg = noiseJPEG(827, 1169) // A4 at 100 dpi, q75: about 0.5 MB
	}
	for i := 0; i < n; i++ {
		pageNum := 4 + i*per
		res := "/Font<</F1 3 0 R>>"
		content := fmt.Sprintf("BT /F1 18 Tf 72 760 Td (Quyet dinh so %d/QD-UBND - trang %d) Tj ET\nBT /F1 11 Tf 72 730 Td (Ket qua giai quyet thu tuc hanh chinh.) Tj ET\n", 100+i, i+1)
		if scan {
			res += fmt.Sprintf("/XObject<</Im0 %d 0 R>>", pageNum+2)
			content = "q 451 0 0 638 72 100 cm /Im0 Do Q\n" + content
		}
		obj(fmt.Sprintf("<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<<%s>>/Contents %d 0 R>>", res, pageNum+1), nil)
		obj(fmt.Sprintf("<</Length %d>>", len(content)), []byte(content))
		if scan {
			obj(fmt.Sprintf("<</Type/XObject/Subtype/Image/Width 827/Height 1169/ColorSpace/DeviceGray/BitsPerComponent 8/Filter/DCTDecode/Length %d>>", len(jpg)), jpg)
		}
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(offsets))
	for _, off := range offsets[1:] {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", off)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R/ID[<0123456789ABCDEF0123456789ABCDEF><0123456789ABCDEF0123456789ABCDEF>]>>\nstartxref\n%d\n%%%%EOF\n", len(offsets), xref)
	return b.Bytes()
}

// XRefStreamPDF returns PDF(n, false) rewritten by pdfcpu with object streams
// and a cross-reference stream, the form pdfcpu's output takes.
func XRefStreamPDF(n int) ([]byte, error) {
	conf := &model.Configuration{
		Reader15: true, ValidationMode: model.ValidationRelaxed, Eol: types.EolLF,
		WriteObjectStream: true, WriteXRefStream: true, Offline: true,
		Limits: model.DefaultResourceLimits(),
	}
	ctx, err := api.ReadContext(bytes.NewReader(PDF(n, false)), conf)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := api.WriteContext(ctx, &out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func noiseJPEG(w, h int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(215 + r.IntN(40))
	}
	for y := 100; y < h-100; y += 30 {
		for x := 80; x < w-80; x++ {
			if r.IntN(3) == 0 {
				img.SetGray(x, y, color.Gray{Y: 30})
			}
		}
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, &jpeg.Options{Quality: 75})
	return b.Bytes()
}
