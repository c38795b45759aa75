// Package isolate is the mechanism behind every reader of untrusted bytes
// (the scan reader, the PDF door, the OCR): the work runs in a child
// process of this very program, started with an environment variable that
// names it, confined in memory, address space and stack, and killed with
// its process group (a grandchild such as Tesseract with it) when its time
// is up. A crash, a runaway allocation or a hang costs the child, never the
// service.
package isolate

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/sohoa/sohoa/pkg/race"
)

// Grace is how long the parent waits past a child's own time limit before
// it kills it: the child stops itself first and says why.
const Grace = 5 * time.Second

// Command returns the command that runs this program again as a child,
// with env added to an otherwise empty environment (see Env) (the child's RunChildIfRequested looks
// for it), killed with its process group when ctx ends; its stderr is the
// returned buffer, which keeps the first 8 KB for the error a failure
// reports.
func Command(ctx context.Context, env ...string) (*exec.Cmd, *LimitedBuffer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, fmt.Errorf("find own executable: %w", err)
	}
	cmd, stderr := CommandOf(ctx, exe, env...)
	return cmd, stderr, nil
}

// CommandOf is Command for another program (a prebuilt binary).
func CommandOf(ctx context.Context, exe string, env ...string) (*exec.Cmd, *LimitedBuffer) {
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = Env(env...)
	stderr := &LimitedBuffer{Max: 8 << 10}
	cmd.Stderr = stderr
	cmd.WaitDelay = time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd, stderr
}

// passed are the only variables of the parent a child sees: where programs
// and their libraries are (Tesseract and its language data), where temporary
// files go, the time zone, and the Go runtime's own settings. Nothing else
// crosses: no AWS_* variable (on Lambda the role's credentials), no key, no
// secret a reader of hostile bytes could leak if it were subverted.
var passed = []string{"PATH", "LD_LIBRARY_PATH", "TESSDATA_PREFIX", "TMPDIR", "TZ", "LANG", "LC_ALL",
	"GOMAXPROCS", "GOTRACEBACK", "GODEBUG", "GORACE", "GOCOVERDIR"}

// Env returns the environment of a child: the few variables of this process
// in passed, then extra ("NAME=value"), which the child needs to know what
// to do. A variable in extra wins over one of the same name passed on.
func Env(extra ...string) []string {
	env := make([]string, 0, len(passed)+len(extra))
	for _, name := range passed {
		if v, ok := os.LookupEnv(name); ok && !overridden(name, extra) {
			env = append(env, name+"="+v)
		}
	}
	return append(env, extra...)
}

func overridden(name string, extra []string) bool {
	for _, kv := range extra {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

// Confine limits the calling child process: its Go heap to heap bytes (the
// collector works harder as it nears them), its address space to as bytes
// (allocations fail instead of swapping the host; inherited by
// grandchildren), and a goroutine's stack to stack bytes (a deep recursion
// fails instead of eating memory). Zero leaves a limit as it is. The
// address-space limit is not set under the race detector, which reserves
// terabytes of address space.
func Confine(heap int64, as uint64, stack int) {
	if heap > 0 {
		debug.SetMemoryLimit(heap)
	}
	if as > 0 && !race.Enabled {
		_ = syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: as, Max: as})
	}
	if stack > 0 {
		debug.SetMaxStack(stack)
	}
}

// LimitedBuffer keeps the first Max bytes written to it (a child's stderr).
type LimitedBuffer struct {
	buf bytes.Buffer
	Max int
}

func (b *LimitedBuffer) Write(p []byte) (int, error) {
	if room := b.Max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *LimitedBuffer) String() string { return b.buf.String() }
