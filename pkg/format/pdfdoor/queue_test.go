package pdfdoor

import (
	"context"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
)

// TestPDFDoorQueues: when every slot is taken, a caller waits and gives up
// with its context (a 503: our capacity, not the caller's fault).
func TestPDFDoorQueues(t *testing.T) {
	d := New(DefaultLimits(), 1)
	d.sem <- struct{}{} // a child is running
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := d.CheckResult(ctx, []byte("%PDF-1.7\n%%EOF\n")); errs.KindOf(err) != errs.Unavailable {
		t.Errorf("full door: %v, want unavailable", err)
	}
	if _, err := d.Verify(ctx, []byte("%PDF-1.7\n%%EOF\n"), nil); errs.KindOf(err) != errs.Unavailable {
		t.Errorf("full door: %v, want unavailable", err)
	}
	<-d.sem
	if _, err := d.CheckResult(context.Background(), []byte("not a pdf")); errs.KindOf(err) != errs.Unsupported {
		t.Errorf("free door, not a PDF: %v, want unsupported", err)
	}
	if len(d.sem) != 0 {
		t.Errorf("a slot was not given back")
	}
}
