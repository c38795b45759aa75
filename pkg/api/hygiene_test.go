package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

func (f *fixture) raw(t *testing.T, who, method, path, ctype, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if tok := f.tokens[who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestAuditorSeesNoPersonalData: an auditor gets the dossier's metadata, not
// the citizen's name or ID; an officer's read of them is in the citizen's
// access log with the dossier code as its reason.
func TestAuditorSeesNoPersonalData(t *testing.T) {
	f := newFixture(t)
	_, b := f.call(t, "auditor", "GET", "/v1/dossiers/"+f.id, "")
	if strings.Contains(string(b), ownerID) || strings.Contains(string(b), "Nguyễn Văn An") || !strings.Contains(string(b), f.code) {
		t.Fatalf("auditor's view: %s", b)
	}
	if _, b := f.call(t, "officer", "GET", "/v1/agency/dossiers?status=RECEIVED", ""); !strings.Contains(string(b), f.code) || strings.Contains(string(b), ownerID) {
		t.Fatalf("the officer's queue shows the citizen without a logged read: %s", b)
	}
	if _, b := f.call(t, "officer", "GET", "/v1/dossiers/"+f.id, ""); !strings.Contains(string(b), ownerID) {
		t.Fatalf("officer's view lacks the citizen: %s", b)
	}
	_, b = f.call(t, "owner", "GET", "/v1/vault/audit", "")
	var log struct {
		Entries  []struct{ Actor, Field, Purpose string }
		Verified bool
	}
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range log.Entries {
		if e.Actor == "agency_officer:officer-hotich" && strings.Contains(e.Field, "citizen.name") && e.Purpose == "dossier "+f.code {
			found = true
		}
		if strings.HasPrefix(e.Actor, "auditor") {
			t.Errorf("the auditor read personal data: %+v", e)
		}
	}
	if !found || !log.Verified {
		t.Fatalf("officer's read not in the citizen's log (verified=%v): %s", log.Verified, b)
	}
}

// TestInputHygiene: control and bidi characters, trailing JSON and an
// overflowing TTL are 400s; personal answers are not cacheable.
func TestInputHygiene(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, who, method, path, body string
	}{
		{"CRLF in an email", "clerk", "POST", "/v1/dossiers", `{"procedure":"1.001193","citizen":{"id":"001203012345","name":"An","email":"a@b.vn\r\nBcc: x@evil.example"}}`},
		{"NUL in a name", "clerk", "POST", "/v1/dossiers", `{"procedure":"1.001193","citizen":{"id":"001203012345","name":"An\u0000"}}`},
		{"RLO in a name", "clerk", "POST", "/v1/dossiers", `{"procedure":"1.001193","citizen":{"id":"001203012345","name":"An\u202egpj"}}`},
		{"bidi in a share recipient", "owner", "POST", "/v1/vault/documents/" + f.doc + "/shares", `{"ttlSeconds":600,"recipient":"Bank\u2066"}`},
		{"trailing JSON", "owner", "POST", "/v1/vault/documents/" + f.doc + "/shares", `{"ttlSeconds":600}{"ttlSeconds":1}`},
		{"trailing garbage", "owner", "POST", "/v1/vault/documents/" + f.doc + "/shares", `{"ttlSeconds":600}garbage`},
		{"TTL that wraps", "owner", "POST", "/v1/vault/documents/" + f.doc + "/shares", `{"ttlSeconds":9223372036854775807}`},
		{"TTL that wraps to a valid one", "owner", "POST", "/v1/vault/documents/" + f.doc + "/shares", `{"ttlSeconds":18446744074}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, b := f.call(t, tc.who, tc.method, tc.path, tc.body); got != 400 {
				t.Fatalf("= %d %s, want 400", got, b)
			}
		})
	}
	for _, path := range []string{"/v1/dossiers/" + f.id, "/v1/vault/documents", "/v1/vault/audit"} {
		who := "owner"
		resp := f.raw(t, who, "GET", path, "", "")
		resp.Body.Close()
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s: Cache-Control %q", path, cc)
		}
	}
}

// TestServedAsSniffed: a "scan" declared text/html holding a script is kept,
// but served as opaque bytes, as an attachment, under a CSP that runs nothing.
func TestServedAsSniffed(t *testing.T) {
	f := newFixture(t)
	resp := f.raw(t, "clerk", "PUT", "/v1/dossiers/"+f.id+"/scan", "text/html", "<html><script>alert(document.cookie)</script></html>")
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	for _, who := range []string{"clerk", "officer"} {
		resp := f.raw(t, who, "GET", "/v1/dossiers/"+f.id+"/scan?n=1", "", "")
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Content-Type") != "application/octet-stream" ||
			!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("as %s: %d %v", who, resp.StatusCode, h)
		}
	}
	resp = f.raw(t, "owner", "GET", "/v1/vault/documents/"+f.doc+"/content", "", "")
	resp.Body.Close()
	if h := resp.Header; h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(h.Get("Content-Disposition"), "inline") ||
		!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("vault PDF: %v", h)
	}
}

// blockingVerifier holds every verification until released: a slow verify.
type blockingVerifier struct {
	started chan struct{}
	release chan struct{}
}

func (b blockingVerifier) Verify(ctx context.Context, _ []byte) (*api.VerifyReport, error) {
	b.started <- struct{}{}
	<-b.release
	return &api.VerifyReport{}, nil
}

// TestBurstsGet429: unauthenticated routes run a bounded number of requests
// at once; more are refused with 429 instead of held in memory.
func TestBurstsGet429(t *testing.T) {
	bv := blockingVerifier{started: make(chan struct{}, 4), release: make(chan struct{})}
	f := newFixture(t, func(c *api.Config) { c.Verifier, c.MaxVerifyInFlight = bv, 2 })
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := f.raw(t, "none", "POST", "/v1/verify", "application/pdf", "%PDF-1.7")
			resp.Body.Close()
		}()
	}
	for i := 0; i < 2; i++ {
		select {
		case <-bv.started:
		case <-time.After(10 * time.Second):
			t.Fatal("verifications did not start")
		}
	}
	resp := f.raw(t, "none", "POST", "/v1/verify", "application/pdf", "%PDF-1.7")
	resp.Body.Close()
	close(bv.release)
	wg.Wait()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third concurrent verify: %d", resp.StatusCode)
	}
}

func TestRedactPath(t *testing.T) {
	for in, want := range map[string]string{
		"/v1/shares/AbC-secret_token":                     "/v1/shares/<token>",
		"/v1/vault/documents/abc/shares/AbC-secret_token": "/v1/vault/documents/abc/shares/<token>",
		"/v1/vault/shares":                                "/v1/vault/shares",
		"/v1/dossiers/x":                                  "/v1/dossiers/x",
		"/s/AbC-secret_token":                             "/s/<token>",
		"/s/AbC-secret_token/file":                        "/s/<token>/file",
		"/s/":                                             "/s/",
		"/static/s/app.css":                               "/static/s/app.css",
		"/me/doc/s":                                       "/me/doc/s",
	} {
		if got := api.RedactPath(in); got != want {
			t.Errorf("RedactPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSlowBodyIsCutOff: a JSON body that trickles in is cut off at its
// route's deadline instead of holding the connection (the scan upload keeps
// the server's longer ReadTimeout).
func TestSlowBodyIsCutOff(t *testing.T) {
	f := newFixture(t, func(c *api.Config) { c.BodyWait = time.Second })
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/vault/documents/"+f.doc+"/shares", pr)
	req.Header.Set("Authorization", "Bearer "+f.tokens["owner"])
	go func() { _, _ = pw.Write([]byte(`{"ttlSeconds":`)) }() // and never the rest
	start := time.Now()
	resp, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("a slow body held the connection %v", took)
	}
	if err == nil && resp.StatusCode < 400 {
		t.Fatalf("a slow body was accepted: %d", resp.StatusCode)
	}
}

// TestAuditAnswersItsVerdict: GET /v1/vault/audit checks the log on every
// call: an edited row turns "verified" false and names the entry (an edited
// log is never served as if it were intact).
func TestAuditAnswersItsVerdict(t *testing.T) {
	f := newFixture(t)
	var log struct {
		Verified bool
		Keyed    bool
		BrokenAt int64
		Problem  string
		Entries  []struct{ Seq int64 }
	}
	get := func() {
		t.Helper()
		_, b := f.call(t, "owner", "GET", "/v1/vault/audit", "")
		if err := json.Unmarshal(b, &log); err != nil {
			t.Fatal(err)
		}
	}
	get()
	if !log.Verified || !log.Keyed || len(log.Entries) == 0 {
		t.Fatalf("fresh log: %+v", log)
	}
	ctx := context.Background()
	it, err := f.table.Get(ctx, "AUDIT#"+ownerID, "E#000000000001")
	if err != nil {
		t.Fatal(err)
	}
	it.Data = []byte(strings.Replace(string(it.Data), "share-created", "nothing-here", 1))
	if _, err := f.table.Put(ctx, it); err != nil {
		t.Fatal(err)
	}
	get()
	if log.Verified || log.BrokenAt != 1 || log.Problem == "" {
		t.Fatalf("edited log: %+v", log)
	}
}

// TestDevRoutesGuarded: with the development routes on (the local stack's
// -dev), they answer only a loopback Host (a DNS-rebound name is refused),
// and the outbox only the dev operator's key, never a role's token.
func TestDevRoutesGuarded(t *testing.T) {
	const operator = "operator-key-0123456789"
	f := newFixture(t, func(c *api.Config) {
		c.Dev = &api.Dev{OperatorKey: operator,
			IssueToken: func(a identity.Actor) (string, error) { return "minted", nil },
			Outbox: func(context.Context, string) ([]api.OutboxMessage, error) {
				return []api.OutboxMessage{{Channel: "sms", To: "+84900000001", Body: "OTP 123456"}}, nil
			}}
	})
	port := f.srv.URL[strings.LastIndex(f.srv.URL, ":"):]
	tests := []struct {
		name, method, path, host, auth string
		want                           int
	}{
		{"outbox, operator", "GET", "/v1/dev/outbox?to=%2B84900000001", "", "Bearer " + operator, 200},
		{"outbox, operator at localhost", "GET", "/v1/dev/outbox?to=%2B84900000001", "localhost" + port, "Bearer " + operator, 200},
		{"outbox, operator at [::1]", "GET", "/v1/dev/outbox?to=%2B84900000001", "[::1]" + port, "Bearer " + operator, 200},
		{"outbox, no token", "GET", "/v1/dev/outbox?to=%2B84900000001", "", "", 401},
		{"outbox, a clerk's token", "GET", "/v1/dev/outbox?to=%2B84900000001", "", "Bearer " + f.tokens["clerk"], 401},
		{"outbox, an officer's token", "GET", "/v1/dev/outbox?to=%2B84900000001", "", "Bearer " + f.tokens["officer"], 401},
		{"outbox, another key", "GET", "/v1/dev/outbox?to=%2B84900000001", "", "Bearer operator-key-0123456780", 401},
		{"outbox, rebound name", "GET", "/v1/dev/outbox?to=%2B84900000001", "rebind.attacker.example" + port, "Bearer " + operator, 403},
		{"tokens", "POST", "/v1/dev/tokens", "", "", 201},
		{"tokens, rebound name", "POST", "/v1/dev/tokens", "rebind.attacker.example" + port, "", 403},
		{"tokens, a name resolving to loopback", "POST", "/v1/dev/tokens", "127.0.0.1.nip.io" + port, "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.method == "POST" {
				body = `{"role":"auditor","subject":"auditor-01"}`
			}
			req, _ := http.NewRequest(tt.method, f.srv.URL+tt.path, strings.NewReader(body))
			if tt.host != "" {
				req.Host = tt.host
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("%d %s, want %d", resp.StatusCode, b, tt.want)
			}
			if tt.want != 200 && strings.Contains(string(b), "123456") {
				t.Errorf("a refusal shows the code: %s", b)
			}
		})
	}
}

// TestTokensNeverLoggedOnFailure: when a route that carries a share token
// fails inside (the records are gone), the logged line masks the token.
func TestTokensNeverLoggedOnFailure(t *testing.T) {
	const token = "Sh4reT0ken-must-not-be-logged"
	var logs bytes.Buffer
	broken := localtest.DB(t)
	f := newFixture(t, func(c *api.Config) {
		c.Log = slog.New(slog.NewTextHandler(&logs, nil))
		c.Vault = vault.New(broken.Table(), localtest.Bucket(t), nil)
	})
	if err := broken.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ who, method, path string }{
		{"none", "GET", "/v1/shares/" + token},
		{"owner", "DELETE", "/v1/vault/documents/" + f.doc + "/shares/" + token},
	} {
		if got, _ := f.call(t, r.who, r.method, r.path, ""); got < 500 {
			t.Errorf("%s %s = %d, want a failure inside", r.method, r.path, got)
		}
	}
	if logs.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("the token is in the log:\n%s", logs.String())
	}
}
