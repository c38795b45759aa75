package ocrtest

import (
	"image"
	"os"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/testkit/heavy"
)

// NeedTesseract skips an OCR test unless heavy tests run (SOHOA_HEAVY=1,
// without -race: make test's heavy pass) and, outside CI, when Tesseract is
// missing; under CI=true a missing Tesseract fails the test (a skipped proof
// is no proof).
func NeedTesseract(t testing.TB) {
	t.Helper()
	heavy.Skip(t)
	if err := ocr.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// DeclarationPDF is a one-page scan of a filled birth-registration
// declaration (known text) at 200 dpi, slightly skewed.
func DeclarationPDF() ([]byte, error) {
	fonts, err := LoadFonts()
	if err != nil {
		return nil, err
	}
	page := Print(fonts.TextPage(BirthDeclarationTitle, BirthDeclaration), Scan{DPI: 200, Skew: 0.3})
	return PDF([]*image.Gray{page}, Scan{DPI: 200})
}
