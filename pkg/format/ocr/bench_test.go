package ocr_test

import (
	"context"
	"image"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
)

// BenchmarkOCRPage reads a generated 200-dpi A4 form page in the child, one
// worker: the figure is pages per second per core (Tesseract runs
// single-threaded). make bench reports it.
func BenchmarkOCRPage(b *testing.B) {
	e := engine(b)
	fonts, err := ocrtest.LoadFonts()
	if err != nil {
		b.Fatal(err)
	}
	pdf := scanPDF(b, []*image.Gray{fonts.TextPage(ocrtest.BirthDeclarationTitle, ocrtest.BirthDeclaration)}, ocrtest.Scan{DPI: 200, Skew: 0.5})
	e.Workers = 1
	b.ResetTimer()
	for b.Loop() {
		p, err := e.Page(context.Background(), pdf, 1, ocr.Options{})
		if err != nil || len(p.Words) < 100 {
			b.Fatalf("%v %d words", err, len(p.Words))
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s/core")
}
