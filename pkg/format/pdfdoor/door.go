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
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"

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

// disableConfigDir keeps pdfcpu from creating ~/.config/pdfcpu (read-only on
// Lambda). pdfcpu exposes it only as a process-wide switch.
var disableConfigDir = sync.OnceFunc(api.DisableConfigDir)

// The operations of the PDF child.
const (
	opCheckResult = "check-result"
	opVerify      = "verify"
)

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
