package scan_test

import (
	"os"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/scan"
)

func TestMain(m *testing.M) {
	scan.RunChildIfRequested()
	os.Exit(m.Run())
}
