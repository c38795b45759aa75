// Package pdftest makes well-formed PDFs of a chosen size for tests of how
// big files travel (uploads, downloads, presigned URLs): one A4 page whose
// content stream is padded with comment lines, with an exact cross-reference
// table, so that every reader (and the PDF door's trial signature) takes it.
package pdftest

import (
	"bytes"
	"fmt"
	"strings"
)

// Sized returns a one-page PDF of at least size bytes (a few hundred more
// than the padding), whose page shows title. Different titles give
// different bytes.
func Sized(size int, title string) []byte {
	var content bytes.Buffer
	fmt.Fprintf(&content, "BT /F1 18 Tf 72 770 Td (%s) Tj ET\n", escape(title))
	line := "% " + strings.Repeat("padding of a big test document ", 3) + "\n"
	for content.Len() < size {
		content.WriteString(line)
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.Bytes()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var out bytes.Buffer
	out.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return out.Bytes()
}

// escape makes s a PDF literal string's content (ASCII titles).
func escape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return r.Replace(s)
}
