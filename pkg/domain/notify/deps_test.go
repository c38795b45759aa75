package notify

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoAWSInDomain keeps the domain packages of notifications and reports free
// of AWS: only the adapters notify/ses and notify/sns may import the SDK.
func TestNoAWSInDomain(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list imports with")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/sohoa/sohoa/pkg/domain/notify", "github.com/sohoa/sohoa/pkg/domain/report").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list gave %d packages; expected the standard library at least", len(deps))
	}
	for _, p := range deps {
		if strings.HasPrefix(p, "github.com/aws/") || strings.HasPrefix(p, "github.com/sohoa/sohoa/pkg/local/sqlite") || strings.HasPrefix(p, "github.com/sohoa/sohoa/pkg/aws/dynamo") {
			t.Errorf("a domain package depends on %s", p)
		}
	}
}
