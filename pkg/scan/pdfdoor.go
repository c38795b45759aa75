package scan

import (
	"context"
	"crypto/x509"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/pades"
)

// PDFDoor runs CheckResultIsolated and VerifyIsolated with one set of limits
// and at most a fixed number of children at a time, so that many uploads at
// once (POST /v1/verify needs no account) queue instead of starting a child
// each, with its memory budget, on the same machine. It is safe for
// concurrent use.
type PDFDoor struct {
	lim PDFLimits
	sem chan struct{}
}

// NewPDFDoor returns a door that runs at most concurrent children (at least
// one) under lim.
func NewPDFDoor(lim PDFLimits, concurrent int) *PDFDoor {
	return &PDFDoor{lim: lim, sem: make(chan struct{}, max(1, concurrent))}
}

// enter waits for a free slot until ctx ends.
func (d *PDFDoor) enter(ctx context.Context) error {
	select {
	case d.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errs.Wrap(errs.Unavailable, ctx.Err(), "too many PDFs are being read right now; try again shortly")
	}
}

func (d *PDFDoor) leave() { <-d.sem }

// CheckResult is CheckResultIsolated under the door's limits.
func (d *PDFDoor) CheckResult(ctx context.Context, pdf []byte) ([]byte, error) {
	if err := d.enter(ctx); err != nil {
		return nil, err
	}
	defer d.leave()
	return CheckResultIsolated(ctx, pdf, d.lim)
}

// Verify is VerifyIsolated under the door's limits.
func (d *PDFDoor) Verify(ctx context.Context, pdf []byte, roots []*x509.Certificate) (*pades.Report, error) {
	if err := d.enter(ctx); err != nil {
		return nil, err
	}
	defer d.leave()
	return VerifyIsolated(ctx, pdf, roots, d.lim)
}
