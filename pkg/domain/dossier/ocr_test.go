package dossier_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/search"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

// pagesReader is a hand-written Extractor for the port: it "reads" a
// component as the text "trang <code>", after failing the first fails calls.
type pagesReader struct {
	fails atomic.Int32
	calls atomic.Int32
	mu    sync.Mutex
	seen  map[string]dossier.ExtractInput // the last input of each component
}

func (p *pagesReader) Extract(_ context.Context, in dossier.ExtractInput) (*dossier.Extraction, error) {
	p.calls.Add(1)
	p.mu.Lock()
	if p.seen == nil {
		p.seen = map[string]dossier.ExtractInput{}
	}
	p.seen[in.Component] = in
	p.mu.Unlock()
	if p.fails.Add(-1) >= 0 {
		return nil, errors.New("tesseract: killed")
	}
	if in.Progress != nil {
		in.Progress(1, 2)
	}
	return &dossier.Extraction{PDF: in.PDF, Pages: 2, PagesRead: 2, Text: "Trang của " + in.Component,
		Fields: map[string]dossier.Field{"seen": {Value: in.CitizenID, Confidence: 1}}}, nil
}

func ocrEnv(t *testing.T, r dossier.Extractor) (*env, search.Index) {
	e := newEnv(t)
	idx, err := localtest.DB(t).Search(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := e.cfg
	c.Extractor, c.Search, c.OCRSyncPages = r, idx, 1
	if e.svc, err = dossier.NewService(c); err != nil {
		t.Fatal(err)
	}
	return e, idx
}

func ocrJobs(t *testing.T, e *env) []queue.Message {
	t.Helper()
	ms, err := e.q.Receive(context.Background(), dossier.TopicOCR, 10, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func component(t *testing.T, e *env, id, code string) dossier.Component {
	t.Helper()
	d, err := e.svc.Get(context.Background(), officer, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range d.Components {
		if c.Code == code {
			return c
		}
	}
	t.Fatalf("no component %s", code)
	return dossier.Component{}
}

// The CCCD is read during ingestion, the longer TKKS after VALIDATED by a
// job that is idempotent and makes the component searchable by its agency.
func TestLongComponentsAreReadAfterValidation(t *testing.T) {
	heavy(t)
	r := &pagesReader{}
	e, idx := ocrEnv(t, r)
	ctx := context.Background()
	d := e.create(t)
	if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	got, _ := e.svc.Get(ctx, officer, d.ID)
	if got.Status != dossier.Validated {
		t.Fatalf("status %s %+v", got.Status, got.Findings)
	}
	card, tk := component(t, e, d.ID, "CCCD"), component(t, e, d.ID, "TKKS")
	if card.Extracted["seen"].Value != owner.Subject || tk.Extracted != nil || tk.OCR != "ocr: 0/2 pages" {
		t.Fatalf("at VALIDATED: CCCD %+v, TKKS %+v", card, tk)
	}
	jobs := ocrJobs(t, e)
	if len(jobs) != 1 { // TKKS, longer than OCRSyncPages; the 1-page GCS was read at once
		t.Fatalf("%d OCR jobs", len(jobs))
	}
	for _, m := range jobs {
		for range 2 { // delivered twice: the second changes nothing
			if err := e.svc.RunOCR(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := r.calls.Load(); n != 1+2 {
		t.Errorf("%d reads, want 3 (CCCD and GCS during ingestion, then TKKS once)", n)
	}
	// A reader in another process is told where the stored component is,
	// and every reader how many pages to read.
	if in := r.seen["TKKS"]; in.Key != tk.Key || in.Pages != 2 || len(in.PDF) == 0 {
		t.Errorf("the job's input: key %q (want %q), %d pages", in.Key, tk.Key, in.Pages)
	}
	if in := r.seen["CCCD"]; in.Key != "" || in.Pages != card.Pages || card.Pages == 0 {
		t.Errorf("the ingestion's CCCD input: key %q, %d pages (want %d)", in.Key, in.Pages, card.Pages)
	}
	tk = component(t, e, d.ID, "TKKS")
	if tk.OCR != "ocr: 2/2 pages" || tk.Extracted["seen"].Value != owner.Subject {
		t.Errorf("after the job: %+v", tk)
	}
	hits, err := idx.Search(ctx, search.Scope{Agency: officer.Agency}, "trang cua tkks", 0)
	if err != nil || len(hits) != 1 || hits[0].Ref != d.ID+"/TKKS" {
		t.Errorf("agency search: %v %v", hits, err)
	}
}

// A reader that keeps failing is retried, then the component goes on
// without its text and the dossier gets a warning: OCR never blocks.
func TestOCRFailureIsRetriedThenAWarning(t *testing.T) {
	heavy(t)
	r := &pagesReader{}
	e, _ := ocrEnv(t, r)
	ctx := context.Background()
	d := e.create(t)
	if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	r.fails.Store(1000)
	m := ocrJobs(t, e)[0]
	m.Attempts = 1
	if err := e.svc.RunOCR(ctx, m); err == nil {
		t.Fatal("a failed read on an early attempt was not reported for retry")
	}
	m.Attempts = queue.MaxAttempts
	if err := e.svc.RunOCR(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Get(ctx, officer, d.ID)
	warned := false
	for _, f := range got.Findings {
		warned = warned || (f.Code == "ocr.failed" && f.Severity == dossier.SeverityWarning)
	}
	if !warned || got.Status != dossier.Validated {
		t.Errorf("status %s findings %+v", got.Status, got.Findings)
	}
}

// A reader that fails during the ingestion does not hold the dossier: it is
// VALIDATED with a warning that the text is read again, and the components
// that could not be read (the CCCD among them) are left to OCR jobs, which
// read them and run the card's checks then.
func TestOCRFailingDuringIngestionIsRetriedByAJob(t *testing.T) {
	heavy(t)
	r := &pagesReader{}
	r.fails.Store(2) // the CCCD's and the GCS's reads during the ingestion
	e, _ := ocrEnv(t, r)
	ctx := context.Background()
	d := e.create(t)
	if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	got, _ := e.svc.Get(ctx, officer, d.ID)
	retry := map[string]bool{}
	for _, f := range got.Findings {
		if f.Code == "ocr.retry" && f.Severity == dossier.SeverityWarning {
			retry[f.Component] = true
		}
	}
	if got.Status != dossier.Validated || !retry["CCCD"] || !retry["GCS"] {
		t.Fatalf("status %s findings %+v", got.Status, got.Findings)
	}
	if card := component(t, e, d.ID, "CCCD"); card.Certified || card.Extracted != nil {
		t.Fatalf("an unread card was certified at once: %+v", card)
	}
	jobs := ocrJobs(t, e)
	if len(jobs) != 3 { // TKKS (long), and the two that failed
		t.Fatalf("%d OCR jobs, want 3", len(jobs))
	}
	for _, m := range jobs {
		if err := e.svc.RunOCR(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, code := range []string{"CCCD", "GCS", "TKKS"} {
		c := component(t, e, d.ID, code)
		if c.Extracted["seen"].Value != owner.Subject || !strings.HasPrefix(c.OCR, "ocr: 2/") {
			t.Errorf("%s after its job: %+v", code, c)
		}
	}
}
