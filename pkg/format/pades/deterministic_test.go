package pades_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
)

// TestPrepareIsDeterministic: prepared twice with the same options and time,
// a document gives the same digest (batch signing embeds a signature made on
// the first preparation into the second, in another process).
func TestPrepareIsDeterministic(t *testing.T) {
	e := newEnv(t)
	o := e.officer(t, "linh")
	o.Signer, o.Visible, o.Time = nil, &pades.Appearance{}, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	pdf := padestest.PDF(2, false)
	a, err := pades.Prepare(context.Background(), pdf, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Visible = &pades.Appearance{} // a fresh font parse, as in another process
	b, err := pades.Prepare(context.Background(), pdf, o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Digest(), b.Digest()) {
		t.Error("two preparations of the same document differ")
	}
}
