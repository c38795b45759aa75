package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func send(t *testing.T, method, u, bearer string, form url.Values, cookies ...*http.Cookie) *http.Response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestSessionsAndDevKeys: a page session is no API token and ends at
// sign-out; what -dev handed out (tokens, sessions, the operator's key)
// stops working once the stack restarts without -dev.
func TestSessionsAndDevKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a stack twice")
	}
	data := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := Start(context.Background(), Options{Addr: "127.0.0.1:0", DataDir: data, Log: quiet, Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	c := client{t: t, base: st.URL, operator: st.DevOperatorKey}
	token := c.tokenFor("auditor", "auditor-01", "", "Phạm Thu Hà")
	signIn := func() *http.Cookie {
		resp := send(t, "POST", st.URL+"/signin", "", url.Values{"who": {"0"}})
		for _, ck := range resp.Cookies() {
			if ck.Name == "sohoa_session" && ck.Value != "" {
				return ck
			}
		}
		t.Fatalf("sign-in = %d without a session", resp.StatusCode)
		return nil
	}
	session, other := signIn(), signIn()
	checks := []struct {
		name         string
		bearer, path string
		cookie       *http.Cookie
		want         int
	}{
		{"a dev token opens the API", token, "/v1/procedures", nil, 200},
		{"a session opens the counter", "", "/counter", session, 200},
		{"a session cookie is no bearer token", session.Value, "/v1/procedures", nil, 401},
		{"the operator reads the outbox", st.DevOperatorKey, "/v1/dev/outbox?to=x", nil, 200},
		{"a role's token does not", token, "/v1/dev/outbox?to=x", nil, 401},
	}
	for _, ck := range checks {
		if resp := send(t, "GET", st.URL+ck.path, ck.bearer, nil, nonNil(ck.cookie)...); resp.StatusCode != ck.want {
			t.Errorf("with -dev, %s: %d, want %d", ck.name, resp.StatusCode, ck.want)
		}
	}
	send(t, "POST", st.URL+"/signout", "", url.Values{}, session)
	if resp := send(t, "GET", st.URL+"/counter", "", nil, session); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the signed-out cookie still opens the counter: %d", resp.StatusCode)
	}
	if resp := send(t, "GET", st.URL+"/counter", "", nil, other); resp.StatusCode != 200 {
		t.Errorf("signing out ended another session: %d", resp.StatusCode)
	}
	stop := func(st *Stack) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := st.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}
	stop(st)

	st, err = Start(context.Background(), Options{Addr: "127.0.0.1:0", DataDir: data, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer stop(st)
	if resp := send(t, "GET", st.URL+"/v1/procedures", token, nil); resp.StatusCode != 401 {
		t.Errorf("without -dev, a token minted under -dev: %d, want 401", resp.StatusCode)
	}
	if resp := send(t, "GET", st.URL+"/counter", "", nil, other); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("without -dev, a session of the development sign-in: %d, want a redirect to sign in", resp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(data, operatorKeyFile)); !os.IsNotExist(err) {
		t.Errorf("the operator's key file is still there: %v", err)
	}
}

func nonNil(c *http.Cookie) []*http.Cookie {
	if c == nil {
		return nil
	}
	return []*http.Cookie{c}
}

// TestShareTokensNotInRequestLog: the request log (-v) of every route that
// carries a share token masks it.
func TestShareTokensNotInRequestLog(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a stack")
	}
	var logs lockedBuffer
	st := inProcess(t, Options{Dev: true, Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	c := client{t: t, base: st.URL, operator: st.DevOperatorKey}
	citizen := c.tokenFor("citizen", citizenID, "", "Nguyễn Văn An")
	const token = "Sh4reT0ken-must-not-be-logged"
	for _, r := range []struct{ method, path, bearer string }{
		{"GET", "/v1/shares/" + token, ""},
		{"DELETE", "/v1/vault/documents/doc-1/shares/" + token, citizen},
		{"GET", "/s/" + token, ""},
		{"GET", "/s/" + token + "/file", ""},
	} {
		if resp := send(t, r.method, st.URL+r.path, r.bearer, nil); resp.StatusCode < 400 {
			t.Errorf("%s %s = %d for a made-up token", r.method, r.path, resp.StatusCode)
		}
	}
	out := logs.String()
	if !strings.Contains(out, "/s/<token>/file") {
		t.Fatalf("the requests are not in the log:\n%s", out)
	}
	if strings.Contains(out, token) {
		t.Errorf("a share token is in the log:\n%s", out)
	}
}

// TestOTPSendingIsLimited: an officer's codes are limited per credential:
// the API answers 429 with Retry-After as a problem, and the desk page shows
// the officer what to do.
func TestOTPSendingIsLimited(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a stack")
	}
	st, c := startStack(t, t.TempDir())
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	var creds struct{ Credentials []struct{ ID string } }
	officer.json("GET", "/v1/signing/credentials", nil, 200, &creds)
	if len(creds.Credentials) == 0 {
		t.Fatal("no credential")
	}
	cred := creds.Credentials[0].ID
	for range 5 {
		officer.json("POST", "/v1/signing/credentials/"+cred+"/otp", nil, 202, nil)
	}
	status, body, h := officer.do("POST", "/v1/signing/credentials/"+cred+"/otp", "", nil)
	if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || h.Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(string(body), "Bạn đã yêu cầu 5 mã OTP") {
		t.Fatalf("sixth code: %d %v %s", status, h, body)
	}
	// The same officer on the desk page (the roster's first officer).
	resp := send(t, "POST", st.URL+"/signin", "", url.Values{"who": {"1"}})
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "sohoa_session" {
			session = ck
		}
	}
	if session == nil {
		t.Fatalf("no session: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", st.URL+"/desk/otp", strings.NewReader(url.Values{"credential": {cred}, "back": {"/desk"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(session)
	page, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != http.StatusTooManyRequests || page.Header.Get("Retry-After") == "" || !strings.Contains(string(b), "Bạn đã yêu cầu 5 mã OTP") {
		t.Fatalf("desk page: %d %s", page.StatusCode, b)
	}
}
