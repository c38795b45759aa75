// Package heavy gates the tests that decode hundreds of scanned pages, run
// Tesseract or drive whole stacks: they run when SOHOA_HEAVY=1 (make test
// and make heavy set it), never under the race detector (pure-Go JPEG
// decoding is about 15 times slower under it), and are skipped otherwise, so
// that a plain `go test ./...` stays a quick check.
package heavy

import (
	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/race"

	"os"
	"testing"
)

// Env is the variable that turns the heavy tests on.
const Env = "SOHOA_HEAVY"

// Enabled reports whether heavy tests run in this test binary.
func Enabled() bool { return !race.Enabled && os.Getenv(Env) == "1" && !testing.Short() }

// Skip skips t unless heavy tests run.
func Skip(t testing.TB) {
	t.Helper()
	if !Enabled() {
		t.Skipf("heavy test: runs with %s=1 and without -race (make heavy)", Env)
	}
}

// NeedTesseract skips an OCR test unless heavy tests run and, outside CI,
// when Tesseract is missing; under CI=true a missing Tesseract fails the
// test (a skipped proof is no proof).
func NeedTesseract(t testing.TB) {
	t.Helper()
	Skip(t)
	if err := ocr.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}
