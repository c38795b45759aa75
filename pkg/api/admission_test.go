package api_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/testkit/heavy"
	"github.com/sohoa/sohoa/pkg/web"
)

// heldVerifier holds every verification until released and counts them.
type heldVerifier struct {
	started chan struct{}
	release chan struct{}
	n       atomic.Int32
}

func newHeldVerifier() *heldVerifier {
	return &heldVerifier{started: make(chan struct{}, 64), release: make(chan struct{})}
}

func (v *heldVerifier) Verify(ctx context.Context, _ []byte) (*api.VerifyReport, error) {
	v.n.Add(1)
	v.started <- struct{}{}
	select {
	case <-v.release:
	case <-ctx.Done():
	}
	return &api.VerifyReport{}, nil
}

// withPages serves the pages over the same configuration, with one shared
// admission of two verifications at once.
func withPages(t *testing.T, v api.Verifier) func(c *api.Config) {
	return func(c *api.Config) {
		c.Verifier, c.Admission = v, api.NewAdmission(2, 2)
		pages, err := web.New(web.Config{API: *c,
			Sessions: web.NoSessions{}})
		if err != nil {
			t.Fatal(err)
		}
		c.Pages = pages
	}
}

// verifyRequest is a PDF to verify of size bytes, posted to the API or, as a
// browser's form, to the /verify page. The body is read from pdf, not copied.
func verifyRequest(t *testing.T, base string, page bool, pdf []byte) *http.Request {
	if !page {
		req, _ := http.NewRequest("POST", base+"/v1/verify", bytes.NewReader(pdf))
		req.Header.Set("Content-Type", "application/pdf")
		return req
	}
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	if _, err := mw.CreateFormFile("pdf", "a.pdf"); err != nil {
		t.Fatal(err)
	}
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	req, _ := http.NewRequest("POST", base+"/verify", io.MultiReader(bytes.NewReader(head.Bytes()), bytes.NewReader(pdf), strings.NewReader(tail)))
	req.ContentLength = int64(head.Len() + len(pdf) + len(tail))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

// TestVerificationsShareOneAdmission: eight concurrent uploads, half to the
// API, half to the /verify page, with two verifications allowed at once: two
// are verified, the six others get 429 (a problem from the API, a page from
// the pages) instead of a child and their memory each; a share link viewed
// meanwhile shows its document without starting a verification.
func TestVerificationsShareOneAdmission(t *testing.T) {
	hv := newHeldVerifier()
	f := newFixture(t, withPages(t, hv))
	released := false
	release := func() {
		if !released {
			released = true
			close(hv.release)
		}
	}
	defer release()
	size := 1 << 20
	if heavy.Enabled() {
		size = 45 << 20
	}
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{' '}, size)...)
	type answer struct {
		page   bool
		status int
		ctype  string
	}
	answers := make(chan answer, 8)
	for i := range 8 {
		page := i%2 == 1
		go func() {
			resp, err := http.DefaultClient.Do(verifyRequest(t, f.srv.URL, page, pdf))
			if err != nil {
				answers <- answer{page: page}
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			answers <- answer{page, resp.StatusCode, resp.Header.Get("Content-Type")}
		}()
	}
	for range 2 {
		select {
		case <-hv.started:
		case <-time.After(30 * time.Second):
			t.Fatal("no verification started")
		}
	}
	for range 6 {
		select {
		case a := <-answers:
			want := "application/problem+json"
			if a.page {
				want = "text/html"
			}
			if a.status != http.StatusTooManyRequests || !strings.HasPrefix(a.ctype, want) {
				t.Errorf("an upload beyond the limit (page %v): %d %s, want 429 %s", a.page, a.status, a.ctype, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("an upload beyond the limit was neither refused nor answered: %d verifications running, 2 allowed", hv.n.Load())
		}
	}
	resp, err := http.Get(f.srv.URL + "/s/" + f.share)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "máy chủ đang bận") {
		t.Errorf("share page while every slot is taken: %d\n%s", resp.StatusCode, page)
	}
	if n := hv.n.Load(); n != 2 {
		t.Errorf("%d verifications started, 2 allowed", n)
	}
	release()
	for range 2 {
		if a := <-answers; a.status != http.StatusOK {
			t.Errorf("an admitted upload (page %v): %d", a.page, a.status)
		}
	}
}

// TestSlowBodyHoldsNoVerificationSlot: a PDF to verify that trickles in
// holds no verification slot while it arrives: with one verification
// allowed, another upload is verified meanwhile.
func TestSlowBodyHoldsNoVerificationSlot(t *testing.T) {
	f := newFixture(t, func(c *api.Config) {
		c.Verifier, c.Admission = api.PadesVerifier{}, api.NewAdmission(1, 1)
	})
	// Know when the slow body is being read: by then the request holds
	// whatever it takes before reading.
	reading := make(chan struct{})
	inner := f.srv.Config.Handler
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Slow") != "" {
			r.Body = &signalOnRead{ReadCloser: r.Body, ch: reading}
		}
		inner.ServeHTTP(w, r)
	})
	pr, pw := io.Pipe()
	defer pw.Close()
	slow, _ := http.NewRequest("POST", f.srv.URL+"/v1/verify", pr)
	slow.Header.Set("X-Slow", "1")
	slow.Header.Set("Content-Type", "application/pdf")
	go func() {
		if resp, err := http.DefaultClient.Do(slow); err == nil {
			resp.Body.Close()
		}
	}()
	go func() { _, _ = pw.Write([]byte("%PDF-1.7\n")) }() // and never the rest
	select {
	case <-reading:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow body was never read")
	}
	resp := f.raw(t, "none", "POST", "/v1/verify", "application/pdf", "%PDF-1.7\n%%EOF\n")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		t.Fatalf("a slow upload holds the only verification slot: %d %s", resp.StatusCode, b)
	}
}

type signalOnRead struct {
	io.ReadCloser
	ch   chan struct{}
	once atomic.Bool
}

func (s *signalOnRead) Read(p []byte) (int, error) {
	if s.once.CompareAndSwap(false, true) {
		close(s.ch)
	}
	return s.ReadCloser.Read(p)
}
