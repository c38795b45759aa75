package pdfdoor

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/isolate"
	"github.com/sohoa/sohoa/pkg/format/pades"
)

// RunChildIfRequested turns the process into a CheckResult or Verify child
// when it was started as one: it reads the request from stdin, answers on
// stdout and exits. Otherwise it returns at once. Call it first thing in main
// and in TestMain of any package whose tests reach this package.
func RunChildIfRequested() {
	if op := os.Getenv(pdfChildEnv); op != "" {
		os.Exit(runPDFChildProcess(op, os.Stdin, os.Stdout))
	}
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

// runPDFChild starts the child, hands it the PDF and reads its answer.
func runPDFChild(ctx context.Context, op string, pdf []byte, roots [][]byte, lim Limits) (*pdfAnswer, error) {
	if !lim.valid() {
		return nil, errs.E(errs.Internal, "pdfdoor: invalid PDF limits %+v", lim)
	}
	if int64(len(pdf)) > lim.MaxBytes {
		return nil, errs.E(errs.TooLarge, "the PDF is %d bytes, over the limit of %d", len(pdf), lim.MaxBytes)
	}
	if !isPDF(pdf) {
		return nil, errs.E(errs.Unsupported, "tệp không phải tệp PDF / the file is not a PDF file")
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
