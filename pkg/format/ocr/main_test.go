package ocr_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/testkit/heavy"
)

func TestMain(m *testing.M) {
	ocr.RunChildIfRequested()
	os.Exit(m.Run())
}

// engine returns an Engine, or skips t when tesseract is missing; with
// CI=true a missing tesseract fails t (a skipped proof is no proof).
func engine(t testing.TB) *ocr.Engine {
	t.Helper()
	heavy.Skip(t)
	e, err := ocr.NewEngine()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return e
}

// requireTool is engine's rule for the other tools the tests use.
func requireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed", name)
		}
		t.Skipf("%s is not installed", name)
	}
}
