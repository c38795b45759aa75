package awstest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissingServerFailsInCI: with CI=true a server that is not up fails the
// integration test instead of skipping it.
func TestMissingServerFailsInCI(t *testing.T) {
	if os.Getenv("AWSTEST_CI_CHILD") == "1" {
		Endpoint(t, "SOHOA_TEST_NO_SUCH_ENDPOINT", "a server that is not up")
		return
	}
	for _, ci := range []string{"true", ""} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingServerFailsInCI$", "-test.v")
		cmd.Env = append(os.Environ(), "AWSTEST_CI_CHILD=1", "CI="+ci, "SOHOA_TEST_NO_SUCH_ENDPOINT=")
		out, err := cmd.CombinedOutput()
		if ci == "true" && (err == nil || !strings.Contains(string(out), "--- FAIL")) {
			t.Errorf("CI=true: a missing server did not fail the test:\n%s", out)
		}
		if ci == "" && (err != nil || !strings.Contains(string(out), "--- SKIP")) {
			t.Errorf("outside CI: a missing server did not skip the test:\n%s", out)
		}
	}
}
