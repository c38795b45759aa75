package ocrtest

import (
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
