package scan

import "bytes"

// Formats recognised by Sniff.
const (
	FormatPDF  = "pdf"
	FormatTIFF = "tiff"
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
)

// pdfHeaderWindow is how far into the file the "%PDF-" header may start:
// ISO 32000 wants it at byte 0, readers accept up to 1024 bytes of junk (some
// scanners and mail gateways prepend a few bytes).
const pdfHeaderWindow = 1024

// Sniff returns the format of a scan from its first bytes, whatever the
// declared Content-Type or file name: FormatPDF, FormatTIFF, FormatJPEG,
// FormatPNG, or "" for anything else (HTML, ZIP, Office files, text, random
// bytes).
func Sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\xFF\xD8\xFF")):
		return FormatJPEG
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1A\n")):
		return FormatPNG
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return FormatTIFF
	case bytes.Contains(data[:min(len(data), pdfHeaderWindow)], []byte("%PDF-")):
		return FormatPDF
	}
	return ""
}
