package scan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
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

// The child protocol. Request on stdin: a JSON childHeader line, then the
// scan bytes. Answer on stdout: frames of (8-byte big-endian component index,
// 8-byte length, PDF bytes), one per component as soon as it is written, then
// (endFrame, 8-byte length, gob childResponse). The child thus never holds
// more than one component, and neither side copies bytes into an encoder.
type childHeader struct {
	Lim  Limits
	Size int
}

type childResponse struct {
	Result *Result
	Err    *wireError
}

// endFrame marks the final frame of the child's answer.
const endFrame = ^uint64(0)

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
	hdr, err := json.Marshal(childHeader{Lim: lim, Size: len(data)})
	if err != nil {
		return nil, fmt.Errorf("scan: encode child request: %w", err)
	}
	in := io.MultiReader(bytes.NewReader(append(hdr, '\n')), bytes.NewReader(data))
	// The child enforces the budget of the pages it finds; the parent cannot
	// count them without parsing, so it kills at the budget of the most pages
	// the bytes could hold (a scanned page is rarely under 2 KB).
	kill := lim.Budget(min(lim.MaxPages, len(data)/2048+1)) + childGrace
	cctx, cancel := context.WithTimeout(ctx, kill)
	defer cancel()
	cmd := exec.CommandContext(cctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"=1", childMemEnv+"="+strconv.FormatInt(lim.MaxMemory, 10))
	cmd.Stdin = in
	var out bytes.Buffer
	out.Grow(len(data) + 1<<20) // the components are about as large as the scan
	stderr := &limitedBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = &out, stderr
	cmd.WaitDelay = time.Second
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("scan: %w", ctx.Err())
	}
	if cctx.Err() != nil {
		return nil, newError(CodeTimeout, 0, fmt.Errorf("child killed after %s", kill), msgTimeout, seconds(kill-childGrace))
	}
	if runErr != nil {
		return nil, newError(CodeUnreadable, 0, fmt.Errorf("child: %w: %s", runErr, stderr.String()), msgCrashed)
	}
	resp, err := readChildAnswer(out.Bytes())
	if err != nil {
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
	// The child is ours alone: collect garbage sooner to keep its peak near
	// the live data (the scan and its components) rather than twice that.
	debug.SetGCPercent(50)
	in := bufio.NewReader(stdin)
	line, err := in.ReadBytes('\n')
	var hdr childHeader
	if err == nil {
		err = json.Unmarshal(line, &hdr)
	}
	if err != nil || hdr.Size < 0 || int64(hdr.Size) > hdr.Lim.MaxBytes {
		fmt.Fprintln(os.Stderr, "scan child: read request:", err)
		return 2
	}
	// The scan is the live data (pdfcpu points its streams into it); ask the
	// GC to keep the heap near it rather than at GOGC's multiple, so that the
	// child peaks near 2× the scan (Circular-sized scans are tens of MB).
	if soft := int64(hdr.Size)*3/2 + 24<<20; mem <= 0 || soft < mem {
		debug.SetMemoryLimit(soft)
	}
	data := make([]byte, hdr.Size)
	if _, err := io.ReadFull(in, data); err != nil {
		fmt.Fprintln(os.Stderr, "scan child: read scan:", err)
		return 2
	}
	w := bufio.NewWriter(stdout)
	frame := func(a, b uint64) {
		var f [16]byte
		binary.BigEndian.PutUint64(f[:], a)
		binary.BigEndian.PutUint64(f[8:], b)
		w.Write(f[:])
	}
	emit := func(i int, pdf []byte) error {
		frame(uint64(i), uint64(len(pdf)))
		_, err := w.Write(pdf)
		return err
	}
	start := time.Now()
	res, err := split(context.Background(), data, hdr.Lim, emit)
	if err == nil {
		// Page images for people, within what is left of the split's budget.
		renderThumbs(start.Add(hdr.Lim.Budget(len(res.Pages))), data, res, hdr.Lim)
	}
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
		res.PeakRSS = peakRSS()
		resp.Result = res
	}
	var g bytes.Buffer
	if err := gob.NewEncoder(&g).Encode(resp); err != nil {
		fmt.Fprintln(os.Stderr, "scan child: write answer:", err)
		return 3
	}
	frame(endFrame, uint64(g.Len()))
	w.Write(g.Bytes())
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "scan child: write answer:", err)
		return 3
	}
	return 0
}

// peakRSS returns this process's peak resident memory from /proc (Linux), or 0.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			n, _ := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
			return n << 10
		}
	}
	return 0
}

// readChildAnswer parses the child's answer; component PDFs are sub-slices of out.
func readChildAnswer(out []byte) (childResponse, error) {
	var resp childResponse
	pdfs := map[uint64][]byte{}
	for {
		if len(out) < 16 {
			return resp, errors.New("short answer")
		}
		a, n := binary.BigEndian.Uint64(out), binary.BigEndian.Uint64(out[8:])
		out = out[16:]
		if n > uint64(len(out)) {
			return resp, errors.New("frame outside answer")
		}
		body := out[:n:n]
		out = out[n:]
		if a != endFrame {
			pdfs[a] = body
			continue
		}
		if err := gob.NewDecoder(bytes.NewReader(body)).Decode(&resp); err != nil {
			return resp, err
		}
		break
	}
	if resp.Result != nil {
		for i, b := range pdfs {
			if i >= uint64(len(resp.Result.Components)) {
				return resp, errors.New("component index outside answer")
			}
			resp.Result.Components[i].PDF = b
		}
	}
	return resp, nil
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
