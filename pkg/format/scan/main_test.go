package scan_test

import (
	"os"
	"testing"

	"github.com/sohoa/sohoa/pkg/race"

	"github.com/sohoa/sohoa/pkg/format/scan"
)

func TestMain(m *testing.M) {
	scan.RunChildIfRequested()
	os.Exit(m.Run())
}

// testDPI is the scanning resolution of generated test dossiers. Under the
// race detector pixel loops run about 20 times slower, so race runs scan at
// 100 dpi: they look for data races, not for detection quality.
var testDPI = func() int {
	if race.Enabled {
		return 100
	}
	return 200
}()
