package pdfdoor

import (
	"bytes"
	"context"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pades"
)

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
