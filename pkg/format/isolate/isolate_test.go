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
