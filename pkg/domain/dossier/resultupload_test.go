package dossier_test

import (
	"bytes"
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/blobs"
)

// door answers CheckResult with the errors it is given, in turn, then
// takes the upload as it is.
type door struct{ errs []error }

func (d *door) CheckResult(_ context.Context, pdf []byte) ([]byte, error) {
	if len(d.errs) > 0 {
		err := d.errs[0]
		d.errs = d.errs[1:]
		return nil, err
	}
	return pdf, nil
}

// TestAcceptStoredResult: a result that lands is taken once the door can
// read it; a door that is busy leaves it awaited for another delivery, and
// on the last one refuses it asking for it again; a door's refusal is kept
// with its reason. Settled uploads leave the bucket.
func TestAcceptStoredResult(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	base, _ := url.Parse("http://127.0.0.1:1/blobs")
	_, signer, err := blobs.OpenLocalSigned(filepath.Join(t.TempDir(), "b"), base, bytes.Repeat([]byte("s"), blobs.MinSecret))
	if err != nil {
		t.Fatal(err)
	}
	busy := errs.E(errs.Unavailable, "too many PDFs are being read right now")
	dr := &door{}
	svc := e.service(t, func(c *dossier.Config) { c.Links, c.Results = signer, dr })
	d := e.create(t)
	if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	if _, err := svc.ResultUploadLink(ctx, officer, d.ID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("an upload link before APPROVED: %v", err)
	}
	if _, err := svc.Decide(ctx, officer, d.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	result := []byte("%PDF-1.7\nresult\n%%EOF\n")
	land := func() string {
		t.Helper()
		if _, err := svc.ResultUploadLink(ctx, officer, d.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := svc.Load(ctx, d.ID)
		if err := e.blobs.WriteAll(ctx, got.ResultUpload.Key, result, nil); err != nil {
			t.Fatal(err)
		}
		return got.ResultUpload.Key
	}
	state := func() *dossier.Dossier {
		got, err := svc.Load(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	stored := func(key string) bool {
		ok, err := e.blobs.Exists(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}

	// Busy, then read.
	key := land()
	if !dossier.IsResultUploadKey(key) || dossier.IsResultUploadKey(dossier.NewIntakeKey(d.ID)) {
		t.Fatalf("%s is not told apart from a scan", key)
	}
	dr.errs = []error{busy}
	if err := svc.AcceptStoredResult(ctx, key, false); err == nil {
		t.Fatal("a busy door is not reported for another delivery")
	}
	if got := state(); got.ResultUpload == nil || got.ResultUpload.Refused != "" || got.Result != nil || !stored(key) {
		t.Fatalf("after a busy door: %+v %+v", got.ResultUpload, got.Result)
	}
	if err := svc.AcceptStoredResult(ctx, key, false); err != nil {
		t.Fatal(err)
	}
	if got := state(); got.ResultUpload != nil || got.Result == nil || got.Result.UploadedBy != officer.Label() || stored(key) {
		t.Fatalf("after the door read it: %+v %+v", got.ResultUpload, got.Result)
	}
	if err := svc.AcceptStoredResult(ctx, key, false); err != nil {
		t.Fatalf("the same event again: %v", err)
	}

	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"busy on the last delivery", busy, "upload it again"},
		{"refused by the door", errs.E(errs.Unprocessable, "the PDF is encrypted"), "the PDF is encrypted"},
	} {
		key := land()
		dr.errs = []error{c.err}
		if err := svc.AcceptStoredResult(ctx, key, true); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := state()
		if got.ResultUpload == nil || !strings.Contains(got.ResultUpload.Refused, c.want) || stored(key) {
			t.Fatalf("%s: %+v, upload still stored: %v", c.name, got.ResultUpload, stored(key))
		}
	}
}
