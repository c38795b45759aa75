package pdftool

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissingToolFailsInCI: with CI=true a missing tool fails the test that
// needs it instead of skipping it (run in a child so the failure is observed).
func TestMissingToolFailsInCI(t *testing.T) {
	if os.Getenv("PDFTOOL_CI_CHILD") == "1" {
		Path(t, "sohoa-no-such-tool")
		return
	}
	for _, ci := range []string{"true", ""} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingToolFailsInCI$", "-test.v")
		cmd.Env = append(os.Environ(), "PDFTOOL_CI_CHILD=1", "CI="+ci)
		out, err := cmd.CombinedOutput()
		failed := err != nil && strings.Contains(string(out), "--- FAIL")
		skipped := err == nil && strings.Contains(string(out), "--- SKIP")
		if ci == "true" && !failed {
			t.Errorf("CI=true: a missing tool did not fail the test:\n%s", out)
		}
		if ci == "" && !skipped {
			t.Errorf("outside CI: a missing tool did not skip the test:\n%s", out)
		}
	}
	if os.Getenv("CI") != "true" && Available("sohoa-no-such-tool") {
		t.Error("Available reports a missing tool outside CI")
	}
}
