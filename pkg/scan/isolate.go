package scan

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"
)

// Environment switches of the child process that SplitIsolated starts.
const (
	childEnv    = "SOHOA_SCAN_CHILD"     // "1" in the child
	childMemEnv = "SOHOA_SCAN_CHILD_MEM" // the child's memory budget in bytes
)

// childGrace is how long the parent waits past Limits.Timeout before it kills
// the child: the child enforces Timeout itself and answers with a finding;
// the kill is for a child stuck where a context cannot reach (inside pdfcpu).
const childGrace = 5 * time.Second

// maxChildStack bounds a goroutine's stack in the child: a page-tree loop or
// deeply nested objects overflow it quickly instead of growing to 1 GB.
const maxChildStack = 64 << 20

type childRequest struct {
	Lim  Limits
	Data []byte
}

type childResponse struct {
	Result *Result
	Err    *wireError
}

// wireError is an *Error as the child sends it: the cause as text.
type wireError struct {
	Code, Message, Cause string
	Page                 int
}

// SplitIsolated runs Split in a child process (the current binary, re-executed
// with an environment switch) with Limits.MaxMemory as its Go memory limit and
// address-space limit, and Limits.Timeout (plus a short grace) as a hard kill.
// A crash, an out-of-memory death, a stack overflow or a timeout of the child
// is a *Error with code scan.unreadable, never the death of the caller.
//
// The program's main (or TestMain in tests) must call RunChildIfRequested
// before anything else, or the child would run the whole program again.
func SplitIsolated(ctx context.Context, data []byte, lim Limits) (*Result, error) {
	if !lim.valid() || lim.MaxMemory <= 0 {
		return nil, newError(CodeInvalidLimits, 0, nil, "Cấu hình giới hạn xử lý tệp quét không hợp lệ.")
	}
	// Refuse what needs no parsing here, without the cost of a process.
	if len(data) == 0 || int64(len(data)) > lim.MaxBytes || Sniff(data) == "" {
		return Split(ctx, data, lim)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("scan: find own executable: %w", err)
	}
	var in bytes.Buffer
	if err := gob.NewEncoder(&in).Encode(childRequest{Lim: lim, Data: data}); err != nil {
		return nil, fmt.Errorf("scan: encode child request: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, lim.Timeout+childGrace)
	defer cancel()
	cmd := exec.CommandContext(cctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"=1", childMemEnv+"="+strconv.FormatInt(lim.MaxMemory, 10))
	cmd.Stdin = &in
	var out bytes.Buffer
	stderr := &limitedBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = &out, stderr
	cmd.WaitDelay = time.Second
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("scan: %w", ctx.Err())
	}
	if cctx.Err() != nil {
		return nil, newError(CodeUnreadable, 0, fmt.Errorf("child killed after %s", lim.Timeout+childGrace), msgTimeout, lim.Timeout)
	}
	if runErr != nil {
		return nil, newError(CodeUnreadable, 0, fmt.Errorf("child: %w: %s", runErr, stderr.String()), msgCrashed)
	}
	var resp childResponse
	if err := gob.NewDecoder(&out).Decode(&resp); err != nil {
		return nil, newError(CodeUnreadable, 0, fmt.Errorf("child answer: %w: %s", err, stderr.String()), msgCrashed)
	}
	if w := resp.Err; w != nil {
		e := &Error{Code: w.Code, Message: w.Message, Page: w.Page}
		if w.Cause != "" {
			e.Err = errors.New(w.Cause)
		}
		return nil, e
	}
	if resp.Result == nil {
		return nil, newError(CodeUnreadable, 0, errors.New("child answered nothing"), msgCrashed)
	}
	return resp.Result, nil
}

// RunChildIfRequested turns the process into a SplitIsolated child when it
// was started as one: it reads the request from stdin, splits it under the
// memory limits, writes the answer to stdout and exits. Otherwise it returns
// at once. Call it first thing in main and in TestMain of any package whose
// tests reach SplitIsolated.
func RunChildIfRequested() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	os.Exit(runChild(os.Stdin, os.Stdout))
}

func runChild(stdin io.Reader, stdout io.Writer) int {
	mem, _ := strconv.ParseInt(os.Getenv(childMemEnv), 10, 64)
	if mem > 0 {
		debug.SetMemoryLimit(mem)
		if !raceEnabled { // the race detector reserves terabytes of address space
			// Address space is more than the heap: runtime, stacks, binary. Leave
			// room for them; the heap limit above makes the GC work before this.
			as := uint64(mem) + 1<<30
			_ = syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: as, Max: as})
		}
	}
	debug.SetMaxStack(maxChildStack)
	var req childRequest
	if err := gob.NewDecoder(stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "scan child: read request:", err)
		return 2
	}
	res, err := Split(context.Background(), req.Data, req.Lim)
	req.Data = nil
	var resp childResponse
	if err != nil {
		var se *Error
		if !errors.As(err, &se) {
			se = newError(CodeUnreadable, 0, err, msgUnreadable)
		}
		resp.Err = &wireError{Code: se.Code, Message: se.Message, Page: se.Page}
		if se.Err != nil {
			resp.Err.Cause = se.Err.Error()
		}
	} else {
		resp.Result = res
	}
	if err := gob.NewEncoder(stdout).Encode(resp); err != nil {
		fmt.Fprintln(os.Stderr, "scan child: write answer:", err)
		return 3
	}
	return 0
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	buf bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return b.buf.String() }
