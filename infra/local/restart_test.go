package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// binary builds the local stack's real binary once per test.
func binary(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sohoa-local")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// launch starts the binary and waits for /healthz.
func launch(t testing.TB, bin, addr, data string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd, _ := launchLogged(t, bin, addr, data, extra...)
	return cmd
}

// launchLogged is launch that also returns the stack's log as it grows. The
// process is killed when the test ends.
func launchLogged(t testing.TB, bin, addr, data string, extra ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd, logs := startLogged(t, bin, addr, data, nil, extra...)
	waitHealthy(t, addr, logs)
	return cmd, logs
}

// waitHealthy waits up to 30 s for the stack at addr to answer /healthz.
func waitHealthy(t testing.TB, addr string, logs *lockedBuffer) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("stack did not become healthy:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRestartAfterKill: a SIGKILL in the middle of an ingestion loses nothing;
// the restarted stack finishes the job.
func TestRestartAfterKill(t *testing.T) {
	heavy(t)
	bin, data, addr := binary(t), t.TempDir(), freeAddr(t)
	cmd := launch(t, bin, addr, data)
	c := client{t: t, base: "http://" + addr, data: data}
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	var created struct{ ID string }
	clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg,
		"citizen": map[string]string{"id": citizenID, "name": "Nguyễn Văn An"}, "postOffice": "Bưu cục Hoàn Kiếm"}, 201, &created)
	scan := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD"))
	if st, b, _ := clerk.do("PUT", "/v1/dossiers/"+created.ID+"/scan", "application/pdf", scan); st != 202 {
		t.Fatalf("upload: %d %s", st, b)
	}
	// Killed at once: the job was received (or about to be) and is not finished.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = cmd.Process.Wait()

	launch(t, bin, addr, data)
	d := clerk.waitStatus(created.ID)
	if d.Status != "VALIDATED" || len(d.Components) != 3 {
		t.Fatalf("after restart: %s %+v", d.Status, d.Findings)
	}
}

// TestSIGTERMDrains: SIGTERM stops the stack cleanly (exit status 0).
func TestSIGTERMDrains(t *testing.T) {
	heavy(t)
	bin, addr := binary(t), freeAddr(t)
	cmd := launch(t, bin, addr, t.TempDir())
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stack did not stop within 30 s of SIGTERM")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatal(fmt.Errorf("binary vanished: %w", err))
	}
}
