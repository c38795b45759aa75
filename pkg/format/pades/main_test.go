package pades_test

import (
	"os"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/pdfdoor"
)

func TestMain(m *testing.M) {
	pdfdoor.RunChildIfRequested() // the corpus test reads files through the isolated door first
	os.Exit(m.Run())
}
