package pdfdoor

import (
	"context"
	"crypto/x509"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pades"
)

// Door runs CheckResult and Verify with one set of limits
// and at most a fixed number of children at a time, so that many uploads at
// once (POST /v1/verify needs no account) queue instead of starting a child
// each, with its memory budget, on the same machine. It is safe for
// concurrent use.
type Door struct {
	lim Limits
	sem chan struct{}
}

// New returns a door that runs at most concurrent children (at least
// one) under lim.
func New(lim Limits, concurrent int) *Door {
	return &Door{lim: lim, sem: make(chan struct{}, max(1, concurrent))}
}

// enter waits for a free slot until ctx ends.
func (d *Door) enter(ctx context.Context) error {
	select {
	case d.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errs.Wrap(errs.Unavailable, ctx.Err(), "too many PDFs are being read right now; try again shortly")
	}
}

func (d *Door) leave() { <-d.sem }

// CheckResult is CheckResult under the door's limits.
func (d *Door) CheckResult(ctx context.Context, pdf []byte) ([]byte, error) {
	if err := d.enter(ctx); err != nil {
		return nil, err
	}
	defer d.leave()
	return CheckResult(ctx, pdf, d.lim)
}

// Verify is Verify under the door's limits.
func (d *Door) Verify(ctx context.Context, pdf []byte, roots []*x509.Certificate) (*pades.Report, error) {
	if err := d.enter(ctx); err != nil {
		return nil, err
	}
	defer d.leave()
	return Verify(ctx, pdf, roots, d.lim)
}
