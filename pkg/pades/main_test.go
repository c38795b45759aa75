package pades_test

import (
	"os"
	"testing"

	"github.com/sohoa/sohoa/pkg/scan"
)

func TestMain(m *testing.M) {
	scan.RunChildIfRequested() // the corpus test reads files through the isolated door first
	os.Exit(m.Run())
}
