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
	"path/filepath"
	"runtime/debug"
	"strconv"

	"github.com/sohoa/sohoa/pkg/format/isolate"
)

// Environment switches of the child process that SplitIsolated starts.
const (
	childEnv    = "SOHOA_SCAN_CHILD"     // "1" in the child
	childMemEnv = "SOHOA_SCAN_CHILD_MEM" // the child's memory budget in bytes
)

// childGrace is how long the parent waits past Limits.Timeout before it kills
// the child: the child enforces Timeout itself and answers with a finding;
// the kill is for a child stuck where a context cannot reach (inside pdfcpu).
const childGrace = isolate.Grace

// maxChildStack bounds a goroutine's stack in the child: a page-tree loop or
// deeply nested objects overflow it quickly instead of growing to 1 GB.
const maxChildStack = 64 << 20

// The child protocol. Request on stdin: a JSON childHeader line, then the
// scan bytes. Answer on stdout: frames of (8-byte big-endian component index,
// 8-byte length, PDF bytes), one per component as soon as it is written, then
// (endFrame, 8-byte length, gob childResponse). The page images of a
// successful split come before the final frame, one frame per image, with
// index thumbFrame | page<<1 | 1 for the large one (0 for the small), and
// travel in the final frame only as page numbers. The child thus never holds
// more than one component, and neither side copies bytes into an encoder;
// the parent streams the scan in and each component and image out (to
// memory for SplitIsolated, to a file for SplitIsolatedStream) as the
// frames arrive.
type childHeader struct {
	Lim  Limits
	Size int
}

type childResponse struct {
	Result *Result
	Err    *wireError
}

// endFrame marks the final frame of the child's answer; thumbFrame marks a
// frame of a page image.
const (
	endFrame   = ^uint64(0)
	thumbFrame = uint64(1) << 62
)

// thumbPart names one image of a page in the child's answer.
type thumbPart struct {
	page  int
	large bool
}

// keeper takes the parts of the child's answer as they arrive: a component
// PDF (index i) or a page image.
type keeper struct {
	component func(i int, r io.Reader, n int64) error
	thumb     func(t thumbPart, r io.Reader, n int64) error
}

// attachThumbParts fills the Thumbs of res (page numbers only, as the
// child sends them) with set, and leaves out a page whose images did not
// both arrive.
func attachThumbParts(res *Result, set func(t *Thumb) bool) {
	for i := range res.Components {
		c := &res.Components[i]
		kept := c.Thumbs[:0]
		for _, t := range c.Thumbs {
			if set(&t) {
				kept = append(kept, t)
			}
		}
		c.Thumbs = kept
		if len(c.Thumbs) == 0 {
			c.Thumbs = nil
		}
	}
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
	pdfs := map[int][]byte{}
	imgs := map[thumbPart][]byte{}
	read := func(r io.Reader, n int64) ([]byte, error) {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	res, err := isolated(ctx, bytes.NewReader(data), int64(len(data)), lim, keeper{
		component: func(i int, r io.Reader, n int64) (err error) {
			pdfs[i], err = read(r, n)
			return err
		},
		thumb: func(t thumbPart, r io.Reader, n int64) (err error) {
			imgs[t], err = read(r, n)
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	for i, b := range pdfs {
		res.Components[i].PDF = b
	}
	attachThumbParts(res, func(t *Thumb) bool {
		t.Small, t.Large = imgs[thumbPart{t.Page, false}], imgs[thumbPart{t.Page, true}]
		return t.Small != nil && t.Large != nil
	})
	return res, nil
}

// SplitIsolatedStream is SplitIsolated for a scan read from src, size bytes
// long (as its storage reports): the bytes go to the child as they are read,
// and each component's PDF comes back into a file in dir (Component.File,
// with Component.PDF nil), as does each page image (Thumb.SmallFile and
// LargeFile, with Small and Large nil), so the caller holds neither the
// scan nor its components nor their images. The caller owns dir and
// removes it, on failure too.
//
// A failure to read src, or src ending before size bytes, is returned
// wrapped, never as a *Error: the scan is not at fault, the job may be
// retried. So is a failure to write dir.
func SplitIsolatedStream(ctx context.Context, src io.Reader, size int64, lim Limits, dir string) (*Result, error) {
	files := map[int]string{}
	imgs := map[thumbPart]string{}
	write := func(name string, r io.Reader, n int64) error {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.CopyN(f, r, n); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	res, err := isolated(ctx, src, size, lim, keeper{
		component: func(i int, r io.Reader, n int64) error {
			files[i] = filepath.Join(dir, fmt.Sprintf("component-%04d.pdf", i))
			return write(files[i], r, n)
		},
		thumb: func(t thumbPart, r io.Reader, n int64) error {
			size := "small"
			if t.large {
				size = "large"
			}
			imgs[t] = filepath.Join(dir, fmt.Sprintf("page-%04d-%s.jpg", t.page, size))
			return write(imgs[t], r, n)
		},
	})
	if err != nil {
		return nil, err
	}
	for i, name := range files {
		res.Components[i].File = name
	}
	attachThumbParts(res, func(t *Thumb) bool {
		t.SmallFile, t.LargeFile = imgs[thumbPart{t.Page, false}], imgs[thumbPart{t.Page, true}]
		return t.SmallFile != "" && t.LargeFile != ""
	})
	return res, nil
}

// isolated runs the child on size bytes read from src and hands each
// component PDF and page image of its answer to keep, in the order the
// child wrote them.
func isolated(ctx context.Context, src io.Reader, size int64, lim Limits, keep keeper) (*Result, error) {
	if !lim.valid() || lim.MaxMemory <= 0 {
		return nil, newError(CodeInvalidLimits, 0, nil, "Cấu hình giới hạn xử lý tệp quét không hợp lệ.")
	}
	if size < 0 {
		return nil, fmt.Errorf("scan: negative size %d", size)
	}
	// Refuse what needs no parsing here, without the cost of a process: the
	// same findings, in the same order, as Split would give.
	if err := checkSize(size, lim); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(src, pdfHeaderWindow)
	head, err := br.Peek(int(min(size, pdfHeaderWindow)))
	if err != nil {
		return nil, fmt.Errorf("scan: read scan: %w", err)
	}
	if Sniff(head) == "" {
		return nil, newError(CodeUnsupported, 0, nil, msgUnsupported)
	}
	hdr, err := json.Marshal(childHeader{Lim: lim, Size: int(size)})
	if err != nil {
		return nil, fmt.Errorf("scan: encode child request: %w", err)
	}
	in := &sourceReader{r: io.LimitReader(br, size)}
	// The child enforces the budget of the pages it finds; the parent cannot
	// count them without parsing, so it kills at the budget of the most pages
	// the bytes could hold (a scanned page is rarely under 2 KB).
	kill := lim.Budget(min(lim.MaxPages, int(size/2048)+1)) + childGrace
	cctx, cancel := context.WithTimeout(ctx, kill)
	defer cancel()
	cmd, stderr, err := isolate.Command(cctx, childEnv+"=1", childMemEnv+"="+strconv.FormatInt(lim.MaxMemory, 10))
	if err != nil {
		return nil, fmt.Errorf("scan: %w", err)
	}
	// exec copies the request to the child's stdin (32 KB at a time): the
	// scan streams through and is never whole in this process.
	cmd.Stdin = io.MultiReader(bytes.NewReader(append(hdr, '\n')), in)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("scan: child stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("scan: start child: %w", err)
	}
	resp, ansErr := readChildAnswer(bufio.NewReaderSize(stdout, 64<<10), lim, keep)
	if ansErr != nil {
		cancel() // a child that answers wrong is not waited for
	}
	runErr := cmd.Wait()
	var kept keepError
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("scan: %w", ctx.Err())
	case in.err != nil:
		return nil, fmt.Errorf("scan: read scan: %w", in.err)
	case in.eof && in.n < size:
		return nil, fmt.Errorf("scan: the stored scan ended after %d of its %d bytes", in.n, size)
	case cctx.Err() != nil && errors.Is(context.Cause(cctx), context.DeadlineExceeded):
		return nil, newError(CodeTimeout, 0, fmt.Errorf("child killed after %s", kill), msgTimeout, seconds(kill-childGrace))
	case errors.As(ansErr, &kept):
		return nil, fmt.Errorf("scan: keep component: %w", kept.err)
	case runErr != nil:
		return nil, newError(CodeUnreadable, 0, fmt.Errorf("child: %w: %s", runErr, stderr.String()), msgCrashed)
	case ansErr != nil:
		return nil, newError(CodeUnreadable, 0, fmt.Errorf("child answer: %w: %s", ansErr, stderr.String()), msgCrashed)
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

// sourceReader reads the scan for the child, remembering how much it read,
// whether the source ended, and the source's own failure (which is not the
// scan's fault, unlike the child's).
type sourceReader struct {
	r   io.Reader
	n   int64
	eof bool
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	switch {
	case err == io.EOF:
		s.eof = true
	case err != nil:
		s.err = err
	}
	return n, err
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
	// Address space is more than the heap (runtime, stacks, binary): room
	// for them; the heap limit makes the collector work before this.
	var as uint64
	if mem > 0 {
		as = uint64(mem) + 1<<30
	}
	isolate.Confine(mem, as, maxChildStack)
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
	// Page images for people are rendered during the split, from its decode,
	// and sent as frames of their own before the final one.
	res, err := split(context.Background(), data, hdr.Lim, emit, true)
	if err == nil {
		for i := range res.Components {
			for k := range res.Components[i].Thumbs {
				t := &res.Components[i].Thumbs[k]
				emitImage := func(large uint64, b []byte) {
					frame(thumbFrame|uint64(t.Page)<<1|large, uint64(len(b)))
					w.Write(b)
				}
				emitImage(0, t.Small)
				emitImage(1, t.Large)
				t.Small, t.Large = nil, nil
			}
		}
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

// maxAnswerFrame bounds the child's final frame (the gob Result: pages,
// ink maps, components), and maxAnswer the component PDFs of one answer as a
// multiple of Limits.MaxBytes (a component rebuilt from page images may be
// larger than its share of the scan, never four scans).
const (
	maxAnswerFrame = 64 << 20
	maxAnswer      = 4
)

// keepError is a failure of the parent to keep a component (a full disk),
// not of the child.
type keepError struct{ err error }

func (e keepError) Error() string { return e.err.Error() }

// readChildAnswer reads the child's answer from r, handing each component
// PDF and page image to keep as it arrives, then decodes the final frame.
func readChildAnswer(r io.Reader, lim Limits, keep keeper) (childResponse, error) {
	var resp childResponse
	seen := map[uint64]bool{}
	var total, images uint64
	for {
		var f [16]byte
		if _, err := io.ReadFull(r, f[:]); err != nil {
			return resp, fmt.Errorf("short answer: %w", err)
		}
		a, n := binary.BigEndian.Uint64(f[:]), binary.BigEndian.Uint64(f[8:])
		if a == endFrame {
			if n > maxAnswerFrame {
				return resp, fmt.Errorf("final frame of %d bytes", n)
			}
			if err := gob.NewDecoder(io.LimitReader(r, int64(n))).Decode(&resp); err != nil {
				return resp, err
			}
			break
		}
		if a&thumbFrame != 0 {
			t := thumbPart{page: int((a &^ thumbFrame) >> 1), large: a&1 == 1}
			images += n
			if t.page < 1 || t.page > lim.MaxPages || seen[a] || images > uint64(max(lim.ThumbBytes, 0)) {
				return resp, fmt.Errorf("image frame %x of %d bytes outside the answer", a, n)
			}
			seen[a] = true
			body := &sourceReader{r: io.LimitReader(r, int64(n))}
			if err := keep.thumb(t, body, int64(n)); err != nil {
				if body.err != nil || (body.eof && body.n < int64(n)) {
					return resp, fmt.Errorf("image frame %x: %w", a, err)
				}
				return resp, keepError{err}
			}
			continue
		}
		total += n
		if a >= uint64(lim.MaxPages) || seen[a] || total > maxAnswer*uint64(lim.MaxBytes) {
			return resp, fmt.Errorf("component frame %d of %d bytes outside the answer", a, n)
		}
		seen[a] = true
		body := &sourceReader{r: io.LimitReader(r, int64(n))}
		if err := keep.component(int(a), body, int64(n)); err != nil {
			if body.err != nil || (body.eof && body.n < int64(n)) {
				return resp, fmt.Errorf("component frame %d: %w", a, err) // the child's answer broke off
			}
			return resp, keepError{err}
		}
	}
	if resp.Result != nil {
		for i := range seen {
			if i&thumbFrame == 0 && i >= uint64(len(resp.Result.Components)) {
				return resp, errors.New("component index outside answer")
			}
		}
	}
	return resp, nil
}
