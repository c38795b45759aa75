// Package pdfdoor is the one door for PDFs from outside that are not scans:
// results uploaded by officers and files posted for verification. They are
// read only in a child process (the current binary re-executed, as
// scan.SplitIsolated does for scans) under Limits on bytes, objects, nesting,
// time and memory, so that a PDF that crashes, exhausts or hangs the reader
// ends that child and becomes a 4xx error for that one file, never the death
// of the server.
//
// It is separate from package scan so that binaries that read scans but no
// other PDF (and must not link the verifier) do not link it.
package pdfdoor

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/isolate"
	"github.com/sohoa/sohoa/pkg/format/pades"
)

// Environment switches of the child process.
const (
	pdfChildEnv = "SOHOA_PDF_CHILD"     // the operation the child performs ("check-result" or "verify")
	childMemEnv = "SOHOA_PDF_CHILD_MEM" // the child's memory budget in bytes
)

// childGrace is how long the parent waits past Limits.Timeout before it
// kills the child: the child enforces Timeout itself and answers; the kill
// is for a child stuck where a context cannot reach (inside pdfcpu).
const childGrace = isolate.Grace

// maxChildStack bounds a goroutine's stack in the child: deeply nested
// objects overflow it quickly instead of growing to 1 GB.
const maxChildStack = 64 << 20

// RunChildIfRequested turns the process into a CheckResult or Verify child
// when it was started as one: it reads the request from stdin, answers on
// stdout and exits. Otherwise it returns at once. Call it first thing in main
// and in TestMain of any package whose tests reach this package.
func RunChildIfRequested() {
	if op := os.Getenv(pdfChildEnv); op != "" {
		os.Exit(runPDFChildProcess(op, os.Stdin, os.Stdout))
	}
}

// disableConfigDir keeps pdfcpu from creating ~/.config/pdfcpu (read-only on
// Lambda). pdfcpu exposes it only as a process-wide switch.
var disableConfigDir = sync.OnceFunc(api.DisableConfigDir)

// readConfig returns the pdfcpu configuration for reading untrusted PDFs
// under lim.
func readConfig(lim Limits) *model.Configuration {
	disableConfigDir()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.ValidateLinks = false
	conf.Limits.MaxStreamBytes = lim.MaxBytes
	conf.Limits.MaxDecodeBytes = min(conf.Limits.MaxDecodeBytes, 256<<20)
	conf.Limits.MaxObjectCount = lim.MaxObjects
	conf.Limits.MaxXRefEntries = lim.MaxObjects
	conf.Limits.MaxRecursionDepth = lim.MaxDepth
	return conf
}

// isPDF reports whether data starts like a PDF (within the first 1024
// bytes, as readers accept).
func isPDF(data []byte) bool {
	return bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-"))
}

// The operations of the PDF child.
const (
	opCheckResult = "check-result"
	opVerify      = "verify"
)

// Limits bounds the reading of one untrusted PDF.
type Limits struct {
	MaxBytes   int64         // largest accepted file
	MaxObjects int           // most objects in its cross-reference table
	MaxDepth   int           // deepest nesting of arrays and dictionaries
	Timeout    time.Duration // wall-clock time for the whole operation
	MaxMemory  int64         // the child's memory budget (Go limit and address space)
}

// DefaultLimits returns the limits for results and verification uploads:
// 64 MiB, 500 000 objects, nesting 64 deep, 30 seconds, 1 GiB.
func DefaultLimits() Limits {
	return Limits{MaxBytes: pades.DefaultMaxSize, MaxObjects: 500_000, MaxDepth: 64, Timeout: 30 * time.Second, MaxMemory: 1 << 30}
}

func (l Limits) valid() bool {
	return l.MaxBytes > 0 && l.MaxObjects > 0 && l.MaxDepth > 0 && l.Timeout > 0 && l.MaxMemory > 0
}

// pdfRequest is the header line the parent sends before the PDF bytes.
type pdfRequest struct {
	Lim   Limits
	Size  int
	Roots [][]byte // DER trust anchors (verify)
}

// pdfAnswer is the child's answer (JSON on stdout).
type pdfAnswer struct {
	Kind     errs.Kind       `json:",omitempty"`
	Message  string          `json:",omitempty"`
	Failed   bool            `json:",omitempty"`
	Report   json.RawMessage `json:",omitempty"` // pades.Report (verify)
	Certs    [][]byte        `json:",omitempty"` // the signers' certificates, one per signature of Report
	Repaired []byte          `json:",omitempty"` // the rewritten PDF when the upload needed repair (check-result)
}

// CheckResult reads a result PDF in the child the way signing will
// read it, and signs it there for trial with a throwaway key: parsing under
// the limits, the page tree, the certification permissions, the signature
// placeholder and appearance, and the verifier's check of the trial
// signature. It returns the bytes to store: pdf itself, or — when pdf carries
// no signature and only a rewrite makes it readable (a damaged
// cross-reference table, a missing /Size) — the rewritten PDF, which is
// checked the same way. A PDF that cannot be signed is an errs.Unprocessable
// (or TooLarge, Unsupported) error whose message names what is wrong.
func CheckResult(ctx context.Context, pdf []byte, lim Limits) ([]byte, error) {
	ans, err := runPDFChild(ctx, opCheckResult, pdf, nil, lim)
	if err != nil {
		return nil, err
	}
	if ans.Repaired != nil {
		return ans.Repaired, nil
	}
	return pdf, nil
}

// Verify runs pades.Verify on pdf in the child, with roots as the
// trust anchors. An unreadable PDF is a 4xx error (errs.Unprocessable,
// TooLarge or Unsupported); so is one that crashes or exhausts the child.
func Verify(ctx context.Context, pdf []byte, roots []*x509.Certificate, lim Limits) (*pades.Report, error) {
	der := make([][]byte, len(roots))
	for i, c := range roots {
		der[i] = c.Raw
	}
	ans, err := runPDFChild(ctx, opVerify, pdf, der, lim)
	if err != nil {
		return nil, err
	}
	var rep pades.Report
	if err := json.Unmarshal(ans.Report, &rep); err != nil {
		return nil, fmt.Errorf("pdfdoor: verify child answer: %w", err)
	}
	for i := range rep.Signatures {
		if i < len(ans.Certs) && len(ans.Certs[i]) > 0 {
			if c, err := x509.ParseCertificate(ans.Certs[i]); err == nil {
				rep.Signatures[i].Certificate = c
			}
		}
	}
	return &rep, nil
}

// runPDFChild starts the child, hands it the PDF and reads its answer.
func runPDFChild(ctx context.Context, op string, pdf []byte, roots [][]byte, lim Limits) (*pdfAnswer, error) {
	if !lim.valid() {
		return nil, errs.E(errs.Internal, "pdfdoor: invalid PDF limits %+v", lim)
	}
	if int64(len(pdf)) > lim.MaxBytes {
		return nil, errs.E(errs.TooLarge, "the PDF is %d bytes, over the limit of %d", len(pdf), lim.MaxBytes)
	}
	if !isPDF(pdf) {
		return nil, errs.E(errs.Unsupported, "the file is not a PDF (no %%PDF- header)")
	}
	hdr, err := json.Marshal(pdfRequest{Lim: lim, Size: len(pdf), Roots: roots})
	if err != nil {
		return nil, fmt.Errorf("pdfdoor: encode child request: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, lim.Timeout+childGrace)
	defer cancel()
	cmd, stderr, err := isolate.Command(cctx, pdfChildEnv+"="+op, childMemEnv+"="+strconv.FormatInt(lim.MaxMemory, 10))
	if err != nil {
		return nil, fmt.Errorf("pdfdoor: %w", err)
	}
	cmd.Stdin = io.MultiReader(bytes.NewReader(append(hdr, '\n')), bytes.NewReader(pdf))
	var out bytes.Buffer
	cmd.Stdout = &out
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("pdfdoor: %w", ctx.Err())
	}
	if cctx.Err() != nil {
		return nil, errs.E(errs.Unprocessable, "reading the PDF took longer than %s and was stopped; the file may be damaged or built to exhaust readers", lim.Timeout)
	}
	if runErr != nil {
		return nil, errs.Wrap(errs.Unprocessable, fmt.Errorf("%w: %s", runErr, stderr.String()),
			"the PDF could not be read safely: the reader stopped on it (damaged structure, or more memory than %d MB)", lim.MaxMemory>>20)
	}
	var ans pdfAnswer
	if err := json.Unmarshal(out.Bytes(), &ans); err != nil {
		return nil, errs.Wrap(errs.Unprocessable, fmt.Errorf("%w: %s", err, stderr.String()), "the PDF could not be read safely: the reader gave no answer")
	}
	if ans.Failed {
		return nil, &errs.Error{Kind: ans.Kind, Message: ans.Message}
	}
	return &ans, nil
}

// runPDFChildProcess is the child's side: read the request, do op under
// the limits, write the answer, return the exit code.
func runPDFChildProcess(op string, stdin io.Reader, stdout io.Writer) int {
	mem, _ := strconv.ParseInt(os.Getenv(childMemEnv), 10, 64)
	var as uint64
	if mem > 0 {
		as = uint64(mem) + 1<<30 // room for the runtime, stacks and binary beside the heap
	}
	isolate.Confine(mem, as, maxChildStack)
	in := bufio.NewReader(stdin)
	line, err := in.ReadBytes('\n')
	var req pdfRequest
	if err == nil {
		err = json.Unmarshal(line, &req)
	}
	if err != nil || req.Size < 0 || int64(req.Size) > req.Lim.MaxBytes || !req.Lim.valid() {
		fmt.Fprintln(os.Stderr, "pdf child: read request:", err)
		return 2
	}
	pdf := make([]byte, req.Size)
	if _, err := io.ReadFull(in, pdf); err != nil {
		fmt.Fprintln(os.Stderr, "pdf child: read PDF:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), req.Lim.Timeout)
	defer cancel()
	ans := doPDFOp(ctx, op, pdf, req)
	if ans.Failed && ctx.Err() != nil {
		// Our own time limit ran out on this file: the file's doing (a 4xx),
		// not a dependency being slow.
		ans = failed(errs.E(errs.Unprocessable, "reading the PDF took longer than %s and was stopped; the file may be damaged or built to exhaust readers", req.Lim.Timeout))
	}
	b, err := json.Marshal(ans)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pdf child: encode answer:", err)
		return 3
	}
	if _, err := stdout.Write(b); err != nil {
		return 3
	}
	return 0
}

// doPDFOp runs op and turns every failure, panics included, into an answer.
func doPDFOp(ctx context.Context, op string, pdf []byte, req pdfRequest) (ans pdfAnswer) {
	defer func() {
		if r := recover(); r != nil {
			ans = failed(errs.Wrap(errs.Unprocessable, fmt.Errorf("panic: %v", r), "the PDF's structure is damaged: the reader cannot follow it"))
		}
	}()
	if err := checkPDFLimits(ctx, pdf, req.Lim); err != nil {
		return failed(err)
	}
	switch op {
	case opVerify:
		roots := x509.NewCertPool()
		for _, der := range req.Roots {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return failed(errs.Wrap(errs.Internal, err, "a trust anchor cannot be read"))
			}
			roots.AddCert(c)
		}
		rep, err := pades.Verify(ctx, pdf, pades.VerifyOptions{Roots: roots, MaxSize: req.Lim.MaxBytes, Timeout: req.Lim.Timeout})
		if err != nil {
			return failed(err)
		}
		b, err := json.Marshal(rep)
		if err != nil {
			return failed(fmt.Errorf("encode report: %w", err))
		}
		ans.Report = b
		for _, s := range rep.Signatures {
			var der []byte
			if s.Certificate != nil {
				der = s.Certificate.Raw
			}
			ans.Certs = append(ans.Certs, der)
		}
		return ans
	case opCheckResult:
		err := trialSign(ctx, pdf, req.Lim)
		if err == nil {
			var fatal error
			if err, fatal = contentProblem(ctx, pdf, req.Lim); fatal != nil {
				return failed(fatal)
			}
			if err == nil {
				err = structureProblem(pdf)
			}
			if err == nil {
				return ans
			}
		}
		if errs.KindOf(err) != errs.Unprocessable || hasSignatureBytes(pdf) {
			return failed(err)
		}
		fixed, rerr := rewrite(pdf)
		if rerr != nil {
			return failed(err)
		}
		if terr := trialSign(ctx, fixed, req.Lim); terr != nil {
			return failed(err)
		}
		if _, fatal := contentProblem(ctx, fixed, req.Lim); fatal != nil {
			return failed(fatal)
		}
		ans.Repaired = fixed
		return ans
	}
	return failed(errs.E(errs.Internal, "unknown PDF operation %q", op))
}

func failed(err error) pdfAnswer {
	k := errs.KindOf(err)
	msg := err.Error()
	var e *errs.Error
	if errors.As(err, &e) {
		msg = e.Message
	}
	return pdfAnswer{Failed: true, Kind: k, Message: msg}
}

// checkPDFLimits reads pdf once with pdfcpu under the object-count and
// nesting limits before anything else walks it.
func checkPDFLimits(ctx context.Context, pdf []byte, lim Limits) error {
	conf := readConfig(lim)
	c, err := pdfcpu.ReadWithContext(ctx, bytes.NewReader(pdf), conf)
	if err != nil {
		if ctx.Err() != nil {
			return errs.E(errs.Unprocessable, "reading the PDF took longer than %s and was stopped", lim.Timeout)
		}
		if c == nil && bytes.Contains(pdf, []byte("/Encrypt")) {
			return errs.Wrap(errs.Unprocessable, err, "the PDF is encrypted (password-protected); encrypted PDFs cannot be signed or verified")
		}
		return errs.Wrap(errs.Unprocessable, err, "the PDF cannot be read: %v", err)
	}
	if r := c.XRefTable.Root; r != nil {
		if e := c.XRefTable.Table[r.ObjectNumber.Value()]; e == nil || e.Free || e.Object == nil {
			return errs.E(errs.Unprocessable, "the PDF's catalog (object %d) cannot be read: it is damaged or nests arrays or dictionaries more than %d deep", r.ObjectNumber.Value(), lim.MaxDepth)
		}
	}
	if n := len(c.XRefTable.Table); n > lim.MaxObjects {
		return errs.E(errs.Unprocessable, "the PDF has %d objects, more than the %d accepted", n, lim.MaxObjects)
	}
	for n, e := range c.XRefTable.Table {
		if e == nil || e.Free || e.Object == nil {
			continue
		}
		if depth(e.Object, 0, lim.MaxDepth) > lim.MaxDepth {
			return errs.E(errs.Unprocessable, "object %d of the PDF nests arrays or dictionaries more than %d deep", n, lim.MaxDepth)
		}
	}
	return nil
}

// depth returns how deep o nests, stopping once past max.
func depth(o types.Object, d, max int) int {
	if d > max {
		return d
	}
	deepest := d
	switch v := o.(type) {
	case types.Array:
		for _, e := range v {
			deepest = maxInt(deepest, depth(e, d+1, max))
		}
	case types.Dict:
		for _, e := range v {
			deepest = maxInt(deepest, depth(e, d+1, max))
		}
	case types.StreamDict:
		for _, e := range v.Dict {
			deepest = maxInt(deepest, depth(e, d+1, max))
		}
	}
	return deepest
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// trialSign signs pdf with a throwaway key, without a time stamp, through
// the same code the officer's signature goes through, including the visible
// appearance and the verification of the output. The throwaway chain has the
// shape of a real one: a root, and a leaf with the signing key usages and the
// documentSigning extended key usage (RFC 9336).
func trialSign(ctx context.Context, pdf []byte, lim Limits) error {
	now := time.Now()
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("trial key: %w", err)
	}
	rootTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Sohoa kiểm tra thử (gốc)"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTpl, rootTpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		return fmt.Errorf("trial certificate: %w", err)
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return fmt.Errorf("trial certificate: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("trial key: %w", err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Sohoa kiểm tra thử"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 36}}} // id-kp-documentSigning
	der, err := x509.CreateCertificate(rand.Reader, tpl, root, &key.PublicKey, rootKey)
	if err != nil {
		return fmt.Errorf("trial certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("trial certificate: %w", err)
	}
	_, err = pades.Sign(ctx, pdf, pades.Options{Signer: key, Chain: []*x509.Certificate{cert, root}, Level: pades.LevelB,
		Name: "Sohoa", Reason: "Kiểm tra thử", Visible: &pades.Appearance{}, MaxSize: lim.MaxBytes, Time: now})
	if err != nil {
		if k := errs.KindOf(err); k == errs.Internal || k == errs.Unavailable {
			// Our signer cannot sign this file: the file's doing, say so as such.
			var e *errs.Error
			msg := err.Error()
			if errors.As(err, &e) {
				msg = e.Message
			}
			return errs.Wrap(errs.Unprocessable, err, "this PDF cannot be signed: %s", msg)
		}
		return err
	}
	return nil
}

// structureProblem finds damage that pdfcpu reads through but other readers
// (and an incremental update appended to the file) do not: a cross-reference
// chain (startxref, then each /Prev) that does not point at cross-reference
// sections or loops, and streams whose /Length does not end at endstream.
func structureProblem(pdf []byte) error {
	tail := pdf[max(0, len(pdf)-2048):]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return errs.E(errs.Unprocessable, "the PDF has no startxref")
	}
	var off int64
	if _, err := fmt.Sscan(string(tail[i+len("startxref"):]), &off); err != nil {
		return errs.E(errs.Unprocessable, "the PDF's startxref is unreadable")
	}
	seen := map[int64]bool{}
	for hops := 0; ; hops++ {
		if off <= 0 || off >= int64(len(pdf)) || hops > 1000 {
			return errs.E(errs.Unprocessable, "the PDF's cross-reference chain points outside the file")
		}
		if seen[off] {
			return errs.E(errs.Unprocessable, "the PDF's cross-reference chain loops (/Prev)")
		}
		seen[off] = true
		at := bytes.TrimLeft(pdf[off:min(int64(len(pdf)), off+64)], " \t\r\n\f\x00")
		var end int64 // where this section's trailer dictionary may start
		if bytes.HasPrefix(at, []byte("xref")) {
			j := bytes.Index(pdf[off:], []byte("trailer"))
			if j < 0 {
				return errs.E(errs.Unprocessable, "the PDF's cross-reference table has no trailer")
			}
			end = off + int64(j)
			// A trailer is a dictionary of names: << /Size … >>.
			tr := bytes.TrimLeft(pdf[end+int64(len("trailer")):min(int64(len(pdf)), end+512)], " \t\r\n\f\x00")
			tr, ok := bytes.CutPrefix(tr, []byte("<<"))
			if tr = bytes.TrimLeft(tr, " \t\r\n\f\x00"); !ok || !(bytes.HasPrefix(tr, []byte("/")) || bytes.HasPrefix(tr, []byte(">>"))) {
				return errs.E(errs.Unprocessable, "the PDF's trailer dictionary is damaged")
			}
		} else {
			var n, g int
			var kw string
			if _, err := fmt.Sscan(string(at), &n, &g, &kw); err != nil || kw != "obj" {
				return errs.E(errs.Unprocessable, "the PDF's startxref does not point at its cross-reference table (the offsets are wrong)")
			}
			end = off
		}
		// The /Prev of this section, read from its trailer (or stream dictionary).
		win := pdf[end:min(int64(len(pdf)), end+4096)]
		if k := bytes.Index(win, []byte(">>")); k >= 0 {
			win = win[:k]
		}
		p := bytes.Index(win, []byte("/Prev"))
		if p < 0 {
			return nil
		}
		if _, err := fmt.Sscan(string(win[p+len("/Prev"):]), &off); err != nil {
			return errs.E(errs.Unprocessable, "the PDF's /Prev is unreadable")
		}
	}
}

// contentProblem finds damage no rewrite repairs: a page tree that loops, a
// JPEG image whose data is not a JPEG, a stream whose /Length does not end
// at its endstream.
func contentProblem(ctx context.Context, pdf []byte, lim Limits) (repairable, fatal error) {
	conf := readConfig(lim)
	c, err := pdfcpu.ReadWithContext(ctx, bytes.NewReader(pdf), conf)
	if err != nil {
		return nil, errs.Wrap(errs.Unprocessable, err, "the PDF cannot be read: %v", err)
	}
	x := c.XRefTable
	// The page tree, node by node, each node once.
	if root, err := x.Pages(); err == nil && root != nil {
		seen := map[int]bool{}
		var walk func(r types.IndirectRef, depth int) error
		walk = func(r types.IndirectRef, depth int) error {
			if seen[r.ObjectNumber.Value()] {
				return errs.E(errs.Unprocessable, "the PDF's page tree loops (object %d appears twice)", r.ObjectNumber.Value())
			}
			if depth > lim.MaxDepth {
				return errs.E(errs.Unprocessable, "the PDF's page tree is more than %d levels deep", lim.MaxDepth)
			}
			seen[r.ObjectNumber.Value()] = true
			d, err := x.DereferenceDict(r)
			if err != nil || d == nil {
				return nil
			}
			kids, _ := x.DereferenceArray(d["Kids"])
			for _, k := range kids {
				if kr, ok := k.(types.IndirectRef); ok {
					if err := walk(kr, depth+1); err != nil {
						return err
					}
				}
			}
			return nil
		}
		if err := walk(*root, 0); err != nil {
			return nil, err
		}
	}
	for n, e := range x.Table {
		if e == nil || e.Free || e.Compressed || e.Offset == nil {
			continue
		}
		sd, ok := e.Object.(types.StreamDict)
		if !ok {
			continue
		}
		if sd.StreamLength != nil && sd.StreamOffset > 0 {
			endAt := sd.StreamOffset + *sd.StreamLength
			if endAt < 0 || endAt > int64(len(pdf)) || !bytes.HasPrefix(bytes.TrimLeft(pdf[endAt:min(int64(len(pdf)), endAt+32)], " \t\r\n\f\x00"), []byte("endstream")) {
				repairable = errs.E(errs.Unprocessable, "the /Length of stream object %d does not end at its endstream", n)
			}
		}
		if f, _ := sd.Dict["Filter"].(types.Name); f == "DCTDecode" && sd.StreamLength != nil && sd.StreamOffset > 0 {
			start := sd.StreamOffset
			if start+2 <= int64(len(pdf)) && !bytes.HasPrefix(pdf[start:], []byte("\xFF\xD8")) {
				return nil, errs.E(errs.Unprocessable, "the JPEG image in object %d is damaged (its data is not a JPEG)", n)
			}
		}
	}
	return repairable, nil
}

// hasSignatureBytes says whether pdf may carry a signature: then it is never
// rewritten (a rewrite would break it).
func hasSignatureBytes(pdf []byte) bool {
	return bytes.Contains(pdf, []byte("/ByteRange")) || bytes.Contains(pdf, []byte("/ObjStm"))
}

// rewrite reads pdf with pdfcpu and writes it anew: a clean cross-reference
// table, offsets and /Size. Only for PDFs without signatures.
func rewrite(pdf []byte) ([]byte, error) {
	conf := readConfig(Limits{MaxBytes: int64(len(pdf)) + 1, MaxObjects: 10_000_000, MaxDepth: 100})
	c, err := api.ReadContext(bytes.NewReader(pdf), conf)
	if err != nil {
		return nil, err
	}
	if err := c.EnsurePageCount(); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := api.WriteContext(c, &out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
