// Package pdftest makes well-formed PDFs of a chosen size for tests of how
// big files travel (uploads, downloads, presigned URLs): one A4 page whose
// content stream is padded with comment lines, with an exact
// cross-reference table (scantest.RawPDF), so that every reader (and the
// PDF door's trial signature) takes it.
package pdftest

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
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
	return scantest.RawPDF(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
		scantest.Stream("", content.Bytes()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	)
}

// escape makes s a PDF literal string's content (ASCII titles).
func escape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return r.Replace(s)
}
