package classify_test

import (
	"os"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/ocr"
)

// TestMain lets the OCR's child processes (this test binary re-executed)
// run for the end-to-end test.
func TestMain(m *testing.M) {
	ocr.RunChildIfRequested()
	os.Exit(m.Run())
}
