package isolate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLimitedBuffer(t *testing.T) {
	tests := []struct {
		writes []string
		max    int
		want   string
	}{
		{[]string{"abc"}, 8, "abc"},
		{[]string{"abcdef", "ghijkl"}, 8, "abcdefgh"},
		{[]string{"abc"}, 0, ""},
	}
	for _, tt := range tests {
		b := &LimitedBuffer{Max: tt.max}
		for _, w := range tt.writes {
			if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
				t.Fatalf("Write(%q) = %d, %v: a full stderr must not fail the child", w, n, err)
			}
		}
		if b.String() != tt.want {
			t.Errorf("%v into %d: %q, want %q", tt.writes, tt.max, b.String(), tt.want)
		}
	}
}

// A child whose time is up is killed with its whole process group: a
// grandchild that holds the output pipe open does not keep the parent
// waiting.
func TestCommandKillsTheProcessGroup(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no sh, and CI=true: the process-group check cannot run")
		}
		t.Skip("no sh")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	cmd, stderr := CommandOf(ctx, sh)
	cmd.Args = append(cmd.Args, "-c", "sleep 30 & echo $! >&2; sleep 30")
	var out strings.Builder
	cmd.Stdout = &out
	start := time.Now()
	err = cmd.Run()
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the child and its grandchild ran %v past their time", took)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("a killed child ends with an exit error, got %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(stderr.String()))
	if err != nil {
		t.Fatalf("the grandchild's pid on stderr: %q", stderr.String())
	}
	// Killed: gone, or a zombie waiting to be reaped by whoever adopted it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return
		}
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
			return
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the grandchild %d outlived its child: %s", pid, stat)
		}
	}
}

// printEnvChild is set in a child this test starts: it prints its
// environment and exits.
const printEnvChild = "SOHOA_ISOLATE_TEST_PRINT_ENV"

func TestMain(m *testing.M) {
	if os.Getenv(printEnvChild) == "1" {
		for _, kv := range os.Environ() {
			fmt.Println(kv)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A child sees none of the parent's credentials or secrets: only the few
// variables it needs and what it was started with.
func TestChildEnvironmentIsEmptyButForWhatItNeeds(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	t.Setenv("AWS_SESSION_TOKEN", "session-token-of-the-role")
	t.Setenv("SOHOA_SESSION_KEY", "a-secret-of-the-service")
	t.Setenv("TESSDATA_PREFIX", "/opt/share/tessdata")
	tests := []struct {
		name  string
		start func(ctx context.Context, env ...string) (*exec.Cmd, error)
	}{
		{"this program again (Command)", func(ctx context.Context, env ...string) (*exec.Cmd, error) {
			cmd, _, err := Command(ctx, env...)
			return cmd, err
		}},
		{"another program (CommandOf)", func(ctx context.Context, env ...string) (*exec.Cmd, error) {
			exe, err := os.Executable()
			if err != nil {
				return nil, err
			}
			cmd, _ := CommandOf(ctx, exe, env...)
			return cmd, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd, err := tt.start(ctx, printEnvChild+"=1", "CHILD_OP=check")
			if err != nil {
				t.Fatal(err)
			}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("child: %v", err)
			}
			env := map[string]string{}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				k, v, _ := strings.Cut(line, "=")
				env[k] = v
			}
			for k := range env {
				if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "SOHOA_SESSION") {
					t.Errorf("the child sees %s", k)
				}
			}
			for _, v := range env {
				if strings.Contains(v, "EXAMPLEKEY") || strings.Contains(v, "a-secret-of-the-service") {
					t.Errorf("a secret of the parent reached the child: %q", v)
				}
			}
			if env["CHILD_OP"] != "check" || env["TESSDATA_PREFIX"] != "/opt/share/tessdata" {
				t.Errorf("the child lacks what it was given or needs: %v", env)
			}
		})
	}
}
