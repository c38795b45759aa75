package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

var (
	clerk     = identity.Actor{Subject: "clerk-01", Role: identity.Clerk, Name: "Trần Thị Mai", PostOffice: "Bưu cục Hoàn Kiếm"}
	citizenAn = identity.Actor{Subject: "001203012345", Role: identity.Citizen, Name: "Nguyễn Văn An"}
)

// newTestPages builds the pages over real services on SQLite and files. Scans
// are not read in these tests.
func newTestPages(t testing.TB, oidc *OIDC) (*Handler, *dossier.Service) {
	return newTestPagesAt(t, oidc, time.Now)
}

// newTestPagesAt is newTestPages whose pages and sessions read the clock now.
func newTestPagesAt(t testing.TB, oidc *OIDC, now func() time.Time) (*Handler, *dossier.Service) {
	t.Helper()
	db, bucket := localtest.DB(t), localtest.Bucket(t)
	catalog := procedure.Default()
	v := vault.New(db.Table(), bucket, nil)
	ds, err := dossier.NewService(dossier.Config{Records: db.Table(), Blobs: bucket, Queue: db.Queue(), Catalog: catalog,
		Calendar: calendar.Default(), Vault: v,
		Scans: dossier.ScanBytes(func(context.Context, []byte) (*scan.Result, error) { return nil, errors.New("scans are not read here") })})
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := identity.NewSessions(db.Table(), []byte(strings.Repeat("s", identity.MinSessionKey)), now)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{API: api.Config{Dossiers: ds, Vault: v, Catalog: catalog, Documents: api.Printed{}},
		Roster: []identity.Actor{clerk, citizenAn}, OIDC: oidc, Log: slog.New(slog.DiscardHandler),
		Sessions: sessions, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return h, ds
}

func serve(h http.Handler, method, target, host string, form url.Values, cookies ...*http.Cookie) *http.Response {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	r.Host = host
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func sessionOf(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("no session cookie; status %d", resp.StatusCode)
	return nil
}

func bodyOf(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestSessionCookieFlags(t *testing.T) {
	h, _ := newTestPages(t, &OIDC{AuthURL: "https://idp.example/oauth2/authorize", TokenURL: "https://idp.example/oauth2/token", ClientID: "c"})
	tests := []struct {
		host       string
		wantSecure bool
	}{
		{"127.0.0.1:8080", false},
		{"localhost:8080", false},
		{"[::1]:8080", false},
		{"sohoa.example.gov.vn", true},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			resp := serve(h, "GET", "/signin/oidc", tt.host, nil)
			var c *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == oidcCookie {
					c = ck
				}
			}
			if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != tt.wantSecure || c.Path != "/" {
				t.Errorf("cookie = %+v", c)
			}
			// The development sign-in answers loopback names only: a
			// name rebound to 127.0.0.1 signs in as nobody.
			resp = serve(h, "POST", "/signin", tt.host, url.Values{"who": {"0"}})
			if tt.wantSecure {
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("development sign-in at %s = %d, want 403", tt.host, resp.StatusCode)
				}
				return
			}
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/counter" {
				t.Fatalf("sign-in = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if c := sessionOf(t, resp); !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.Path != "/" {
				t.Errorf("session cookie = %+v", c)
			}
		})
	}
}

func TestCrossSiteFormsAreRefused(t *testing.T) {
	h, _ := newTestPages(t, nil)
	for _, site := range []string{"cross-site", "same-site"} {
		r := httptest.NewRequest("POST", "/signin", strings.NewReader("who=0"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", site)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || len(w.Result().Cookies()) != 0 {
			t.Errorf("%s sign-in POST = %d with cookies %v, want 403 and none", site, w.Code, w.Result().Cookies())
		}
	}
	// Without Sec-Fetch-Site, an Origin that is not the host is refused too.
	r := httptest.NewRequest("POST", "http://127.0.0.1:8080/signin", strings.NewReader("who=0"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://evil.example")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Errorf("cross-origin POST = %d, want 403", w.Code)
	}
}

func TestAssetsAreFingerprintedAndImmutable(t *testing.T) {
	h, _ := newTestPages(t, nil)
	resp := serve(h, "GET", "/", "127.0.0.1", nil)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	page := bodyOf(resp)
	urls := regexp.MustCompile(`/static/app\.[0-9a-f]{10}\.(css|js)`).FindAllString(page, -1)
	if len(urls) != 2 {
		t.Fatalf("asset URLs in the page: %v", urls)
	}
	for _, u := range urls {
		resp := serve(h, "GET", u, "127.0.0.1", nil)
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d %q", u, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
	if resp := serve(h, "GET", "/static/app.0000000000.css", "127.0.0.1", nil); resp.StatusCode != 404 {
		t.Errorf("a stale asset URL = %d, want 404", resp.StatusCode)
	}
}

func TestPagesKeepToTheirRole(t *testing.T) {
	h, _ := newTestPages(t, nil)
	if resp := serve(h, "GET", "/me", "127.0.0.1", nil); resp.StatusCode != 303 || resp.Header.Get("Location") != "/signin?next=%2Fme" {
		t.Errorf("/me signed out = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cit := sessionOf(t, serve(h, "POST", "/signin", "127.0.0.1", url.Values{"who": {"1"}, "next": {"//evil.example/x"}}))
	for _, p := range []string{"/counter", "/desk", "/stats"} {
		if resp := serve(h, "GET", p, "127.0.0.1", nil, cit); resp.StatusCode != 403 {
			t.Errorf("citizen GET %s = %d, want 403", p, resp.StatusCode)
		}
	}
	if resp := serve(h, "GET", "/me", "127.0.0.1", nil, cit); resp.StatusCode != 200 {
		t.Errorf("citizen GET /me = %d", resp.StatusCode)
	}
	if resp := serve(h, "GET", "/counter/new?procedure=1.001193", "127.0.0.1", nil); resp.Header.Get("Location") != "/signin?next=%2Fcounter%2Fnew%3Fprocedure%3D1.001193" {
		t.Errorf("sign-in keeps the query: %q", resp.Header.Get("Location"))
	}
	// A forged cookie is nobody.
	if resp := serve(h, "GET", "/me", "127.0.0.1", nil, &http.Cookie{Name: sessionCookie, Value: "x.y.z"}); resp.StatusCode != 303 {
		t.Errorf("forged session = %d, want a redirect to sign in", resp.StatusCode)
	}
}

// TestCounterCreateAndTrack: a wrong citizen ID is summarised at the top and
// beside its field; a right one opens the dossier, whose public tracking page
// shows no personal data, in Vietnamese or English.
func TestCounterCreateAndTrack(t *testing.T) {
	h, _ := newTestPages(t, nil)
	ck := sessionOf(t, serve(h, "POST", "/signin", "127.0.0.1", url.Values{"who": {"0"}}))
	form := url.Values{"procedure": {"1.001193"}, "cccd": {"99920301234x"}, "name": {"Nguyễn Văn An"}, "phone": {"0912345678"}, "postoffice": {"Bưu cục Hoàn Kiếm"}}
	resp := serve(h, "POST", "/counter/new", "127.0.0.1", form, ck)
	page := bodyOf(resp)
	if resp.StatusCode != 400 || !strings.Contains(page, `<a href="#cccd">`) || !strings.Contains(page, `id="cccd-error"`) {
		t.Fatalf("bad ID = %d:\n%s", resp.StatusCode, page)
	}
	form.Set("cccd", "001203012345")
	resp = serve(h, "POST", "/counter/new", "127.0.0.1", form, ck)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(loc, "/counter/d/") {
		t.Fatalf("create = %d to %q: %s", resp.StatusCode, loc, bodyOf(resp))
	}
	page = bodyOf(serve(h, "GET", loc, "127.0.0.1", nil, ck))
	code := regexp.MustCompile(`000\.21\.29\.H29-\d{6}-\d{4}`).FindString(page)
	if code == "" {
		t.Fatalf("no dossier code on the dossier page:\n%s", page)
	}
	for _, lang := range []string{"vi", "en"} {
		page = bodyOf(serve(h, "GET", "/track/"+code+"?lang="+lang, "127.0.0.1", nil))
		for _, pd := range []string{"001203012345", "Nguyễn Văn An", "0912345678"} {
			if strings.Contains(page, pd) {
				t.Errorf("tracking page (%s) shows %q", lang, pd)
			}
		}
		want := map[string]string{"vi": "Đã tiếp nhận", "en": "Received"}[lang]
		if !strings.Contains(page, want) || !strings.Contains(page, `<html lang="`+lang+`">`) {
			t.Errorf("tracking page (%s) lacks %q", lang, want)
		}
	}
	// Back from a direct upload to S3 (?uploaded=1), the page watches the
	// dossier instead of offering the upload again.
	page = bodyOf(serve(h, "GET", strings.TrimSuffix(loc, "?created=1")+"?uploaded=1", "127.0.0.1", nil, ck))
	if !strings.Contains(page, `data-live="`) || strings.Contains(page, `name="scan"`) {
		t.Errorf("after a direct upload the page offers the upload again or does not watch:\n%s", page)
	}
	// The clerk reopens the dossier by the code on the receipt.
	if resp := serve(h, "GET", "/counter?code="+code, "127.0.0.1", nil, ck); resp.StatusCode != 303 || resp.Header.Get("Location") != strings.TrimSuffix(loc, "?created=1") {
		t.Errorf("open by code = %d to %q, want %q", resp.StatusCode, resp.Header.Get("Location"), loc)
	}
	if resp := serve(h, "GET", "/counter?code=000.21.29.H29-261130-9999", "127.0.0.1", nil, ck); resp.StatusCode != 404 || !strings.Contains(bodyOf(resp), `id="code-error"`) {
		t.Errorf("open by an unknown code = %d", resp.StatusCode)
	}
	// The check-as-typed answer gives the reason.
	resp = serve(h, "POST", "/counter/new?check=id", "127.0.0.1", url.Values{"cccd": {"00120301234"}}, ck)
	if b := bodyOf(resp); !strings.Contains(b, "12 chữ số") || !strings.Contains(b, `"ok":false`) {
		t.Errorf("ID check = %s", b)
	}
}

func BenchmarkRenderPages(b *testing.B) {
	h, ds := newTestPages(b, nil)
	d, err := ds.Create(context.Background(), clerk, dossier.CreateInput{Procedure: "1.001193",
		Citizen: dossier.Citizen{ID: "001203012345", Name: "Nguyễn Văn An"}, PostOffice: "Bưu cục Hoàn Kiếm"})
	if err != nil {
		b.Fatal(err)
	}
	ck := &http.Cookie{Name: sessionCookie}
	tok, _ := h.c.Sessions.Start(context.Background(), clerk, time.Now().Add(time.Hour))
	ck.Value = tok
	for _, p := range []string{"/", "/track/" + d.Code, "/counter", "/counter/d/" + d.ID} {
		b.Run(strings.ReplaceAll(p, "/", "_"), func(b *testing.B) {
			for b.Loop() {
				if resp := serve(h, "GET", p, "127.0.0.1", nil, ck); resp.StatusCode != 200 {
					b.Fatalf("%s = %d", p, resp.StatusCode)
				}
			}
		})
	}
}

func TestDueMark(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	h := &Handler{c: Config{Now: func() time.Time { return now }}}
	tests := []struct {
		status dossier.Status
		due    time.Time
		want   string
	}{
		{dossier.Validated, now.Add(-time.Minute), "overdue"},
		{dossier.Approved, now.Add(47 * time.Hour), "soon"},
		{dossier.Validated, now.Add(72 * time.Hour), ""},
		{dossier.ResultIssued, now.Add(-time.Hour), ""}, // done: no longer judged
		{dossier.Rejected, now.Add(-time.Hour), ""},
	}
	for _, tt := range tests {
		if got := h.dueMark(&dossier.Dossier{Status: tt.status, DueAt: tt.due}); got != tt.want {
			t.Errorf("%s due %v: %q, want %q", tt.status, tt.due.Sub(now), got, tt.want)
		}
	}
	// Overdue is said in words as well as in colour.
	var buf strings.Builder
	tm, _ := newTestPages(t, nil)
	p := &page{Lang: "vi", Path: "/desk", Title: "x", Data: deskData{Status: dossier.Validated, Tabs: deskTabs,
		Rows: []queueRow{{D: &dossier.Dossier{ID: "a", Code: "000.21.29.H29-261130-0001", DueAt: now}, Due: "overdue"}}}}
	if err := tm.tmpl.execute(&buf, "desk", p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<span class="tag due-overdue">Quá hạn</span>`) {
		t.Errorf("the queue does not say overdue in words:\n%s", buf.String())
	}
}

func TestAccessLogSentences(t *testing.T) {
	at := time.Date(2026, 11, 30, 2, 12, 0, 0, time.UTC) // 09:12 in Vietnam
	tests := []struct {
		lang string
		e    vault.Entry
		want string
	}{
		{"vi", vault.Entry{Actor: "agency_officer:officer-lltp", Role: "agency_officer", Action: "read", Purpose: "dossier 000.00.15.H29-261130-0001", At: at},
			"Trần Văn Hùng, Sở Tư pháp đã xem Căn cước công dân lúc 09:12 ngày 30/11/2026 trong hồ sơ 000.00.15.H29-261130-0001."},
		{"vi", vault.Entry{Actor: "agency_officer:officer-unknown", Role: "agency_officer", Action: "read", At: at},
			"Cán bộ cơ quan đã xem Căn cước công dân lúc 09:12 ngày 30/11/2026."},
		{"vi", vault.Entry{Actor: "share:ab12cd34 (Ngân hàng ABC)", Role: "share", Action: "download", At: at},
			"Người nhận liên kết chia sẻ (Ngân hàng ABC) đã tải Căn cước công dân lúc 09:12 ngày 30/11/2026."},
		{"vi", vault.Entry{Actor: "citizen:001******345", Role: "citizen", Action: "share-created", Purpose: "share ab12cd34 to Ngân hàng ABC for vay vốn", At: at},
			"Bạn đã tạo liên kết chia sẻ Căn cước công dân cho Ngân hàng ABC lúc 09:12 ngày 30/11/2026."},
		{"en", vault.Entry{Actor: "agency_officer:officer-lltp", Role: "agency_officer", Action: "read", Purpose: "dossier 000.00.15.H29-261130-0001", At: at},
			"Trần Văn Hùng, Sở Tư pháp viewed Căn cước công dân at 09:12 on 30/11/2026 in dossier 000.00.15.H29-261130-0001."},
	}
	// People are named by name and unit from the staff list, never by login ID.
	people := People{"officer-lltp": {Subject: "officer-lltp", Role: identity.Officer, Name: "Trần Văn Hùng", Agency: "000.00.15.H29"}}
	agencies := map[string]string{"000.00.15.H29": "Sở Tư pháp"}
	for _, tt := range tests {
		if got := sentence(&page{Lang: tt.lang, people: people, agencies: agencies}, tt.e, "Căn cước công dân"); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.lang, got, tt.want)
		}
	}
}

// BenchmarkNew measures what the pages add to a Lambda's init: parsing the
// templates and fingerprinting the assets.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		as, err := loadAssets()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := parseTemplates(as); err != nil {
			b.Fatal(err)
		}
	}
}

// A running sign job's page follows the job: live with the script, by
// reloading itself without it; a finished job's page stays still.
func TestSignJobPageFollowsTheJob(t *testing.T) {
	tm, _ := newTestPages(t, nil)
	tests := []struct {
		name    string
		status  string
		running bool
	}{
		{"queued", dossier.JobQueued, true},
		{"signing", dossier.JobSigning, true},
		{"done", dossier.JobDone, false},
		{"failed", dossier.JobFailed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &dossier.SignJob{ID: "abc", Status: tt.status, Total: 2, Done: 1, DossierIDs: []string{"d1", "d2"},
				Results: []dossier.BatchOutcome{{DossierID: "d1", DocumentID: "doc"}}}
			p := &page{Lang: "vi", Path: "/desk/jobs/abc", Title: "x", Data: jobData{J: j, Running: tt.running, Live: jobLive(j)}}
			if tt.running {
				p.Refresh = 3
			}
			var buf strings.Builder
			if err := tm.tmpl.execute(&buf, "desk-job", p); err != nil {
				t.Fatal(err)
			}
			html := buf.String()
			refresh := strings.Contains(html, `<noscript><meta http-equiv="refresh" content="3"></noscript>`)
			live := strings.Contains(html, `data-live="/desk/jobs/abc/status" data-status="`+tt.status+`/1"`)
			if refresh != tt.running || live != tt.running {
				t.Errorf("refresh without script %v, live %v; want both %v:\n%s", refresh, live, tt.running, html)
			}
		})
	}
}

// TestSessionsEnd: sign-out ends the session on the server (a copy of the
// cookie opens nothing), and a session ends after its length.
func TestSessionsEnd(t *testing.T) {
	start := time.Now()
	now := start
	h, _ := newTestPagesAt(t, nil, func() time.Time { return now })
	signIn := func() *http.Cookie {
		now = start
		return sessionOf(t, serve(h, "POST", "/signin", "127.0.0.1", url.Values{"who": {"0"}}))
	}
	tests := []struct {
		name string
		then func(c *http.Cookie)
		open bool
	}{
		{"signed in", func(*http.Cookie) {}, true},
		{"signed out", func(c *http.Cookie) {
			if resp := serve(h, "POST", "/signout", "127.0.0.1", url.Values{}, c); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-out = %d", resp.StatusCode)
			}
		}, false},
		{"within its hour", func(*http.Cookie) { now = start.Add(59 * time.Minute) }, true},
		{"after its hour", func(*http.Cookie) { now = start.Add(DefaultSessionTTL) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := signIn()
			if c.MaxAge <= 0 || c.MaxAge > int(DefaultSessionTTL.Seconds()) {
				t.Errorf("cookie lasts %d s", c.MaxAge)
			}
			tt.then(c)
			resp := serve(h, "GET", "/counter", "127.0.0.1", nil, c)
			if open := resp.StatusCode == http.StatusOK; open != tt.open {
				t.Errorf("/counter = %d (%s), want open=%v", resp.StatusCode, resp.Header.Get("Location"), tt.open)
			}
		})
	}
}

// TestShareTokensNeverLogged: the share page and its file carry a token in
// the path; when they fail inside (the records are gone), the logged line
// masks it.
func TestShareTokensNeverLogged(t *testing.T) {
	const token = "Sh4reT0ken-must-not-be-logged"
	h, _ := newTestPages(t, nil)
	var logs bytes.Buffer
	h.c.Log = slog.New(slog.NewTextHandler(&logs, nil))
	broken := localtest.DB(t)
	h.c.API.Vault = vault.New(broken.Table(), localtest.Bucket(t), nil)
	if err := broken.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/s/" + token, "/s/" + token + "/file"} {
		if resp := serve(h, "GET", p, "127.0.0.1", nil); resp.StatusCode < 500 {
			t.Errorf("%s = %d, want a failure inside", p, resp.StatusCode)
		}
	}
	if logs.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("the token is in the log:\n%s", logs.String())
	}
}

// TestWho: people are named by name and unit, or by what they are; never by
// a login ID or role:subject.
func TestWho(t *testing.T) {
	p := &page{Lang: "vi", agencies: map[string]string{"000.21.29.H29": "UBND phường Hoàn Kiếm"}, people: People{
		"clerk-01":       {Subject: "clerk-01", Role: identity.Clerk, Name: "Trần Thị Mai", PostOffice: "Bưu cục Hoàn Kiếm"},
		"officer-hotich": {Subject: "officer-hotich", Role: identity.Officer, Name: "Nguyễn Thị Lĩnh", Agency: "000.21.29.H29"},
	}}
	for _, tt := range []struct{ label, want string }{
		{"postal_clerk:clerk-01", "Trần Thị Mai, Bưu cục Hoàn Kiếm"},
		{"agency_officer:officer-hotich", "Nguyễn Thị Lĩnh, UBND phường Hoàn Kiếm"},
		{"agency_officer:officer-x", "Cán bộ cơ quan"},
		{"postal_clerk:clerk-99", "Nhân viên bưu điện"},
		{"system:ingest", "Hệ thống Sohoa (tự động)"},
		{"system:reuse-consent", "Hệ thống Sohoa (tự động)"},
		{"citizen:001******345", "Công dân"},
		{"intake", "Bưu cục (tải lên từ máy quét)"},
		{"someone", "Người dùng hệ thống"},
	} {
		got := p.Who(tt.label)
		if got != tt.want {
			t.Errorf("Who(%q) = %q, want %q", tt.label, got, tt.want)
		}
		if _, subject, ok := strings.Cut(tt.label, ":"); ok && (strings.Contains(got, ":") || strings.Contains(got, subject)) {
			t.Errorf("Who(%q) = %q shows a login ID", tt.label, got)
		}
	}
}

// TestForgivingSearch: people type without diacritics, in lower case, with
// spaces; an empty form says what to type; a page that is not there says so.
func TestForgivingSearch(t *testing.T) {
	h, ds := newTestPages(t, nil)
	ck := sessionOf(t, serve(h, "POST", "/signin", "127.0.0.1", url.Values{"who": {"0"}}))
	for _, q := range []string{"dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "khai  sinh dang", "Đăng ký khai sinh"} {
		page := bodyOf(serve(h, "GET", "/counter?q="+url.QueryEscape(q), "127.0.0.1", nil, ck))
		if !strings.Contains(page, `href="/counter/new?procedure=1.001193`) {
			t.Errorf("procedure search %q does not find birth registration", q)
		}
	}
	if page := bodyOf(serve(h, "GET", "/counter?q="+url.QueryEscape("khai sinh xyzzy"), "127.0.0.1", nil, ck)); strings.Contains(page, `href="/counter/new?procedure=1.001193`) {
		t.Error("a word the procedure lacks still finds it")
	}
	d, err := ds.Create(context.Background(), clerk, dossier.CreateInput{Procedure: "1.001193",
		Citizen: dossier.Citizen{ID: "001203012345", Name: "Nguyễn Văn An"}, PostOffice: "Bưu cục Hoàn Kiếm"})
	if err != nil {
		t.Fatal(err)
	}
	typed := " " + strings.ToLower(strings.ReplaceAll(d.Code, "-", " - ")) + " "
	resp := serve(h, "GET", "/track?code="+url.QueryEscape(typed), "127.0.0.1", nil)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/track/"+d.Code {
		t.Fatalf("tracking %q = %d to %q", typed, resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := serve(h, "GET", "/track/"+url.PathEscape(strings.ToLower(d.Code)), "127.0.0.1", nil); resp.StatusCode != 303 || resp.Header.Get("Location") != "/track/"+d.Code {
		t.Errorf("a lower-case tracking link = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := serve(h, "GET", "/counter?code="+url.QueryEscape(typed), "127.0.0.1", nil, ck); resp.StatusCode != 303 {
		t.Errorf("the counter's code lookup of %q = %d", typed, resp.StatusCode)
	}
	// A citizen ID grouped by spaces, as printed on the card.
	resp = serve(h, "POST", "/counter/new?check=id", "127.0.0.1", url.Values{"cccd": {"001 203 012 345"}}, ck)
	if b := bodyOf(resp); !strings.Contains(b, `"ok":true`) {
		t.Errorf("an ID with spaces: %s", b)
	}
	for lang, want := range map[string]string{"vi": "Nhập mã hồ sơ", "en": "Type the dossier code"} {
		resp := serve(h, "GET", "/track?code=&lang="+lang, "127.0.0.1", nil)
		if page := bodyOf(resp); resp.StatusCode != 400 || !strings.Contains(page, want) || !strings.Contains(page, `id="code-error"`) {
			t.Errorf("an empty tracking form (%s) = %d without %q", lang, resp.StatusCode, want)
		}
	}
	for lang, want := range map[string]string{"vi": "<h1>Không tìm thấy</h1>", "en": "<h1>Not found</h1>"} {
		resp := serve(h, "GET", "/no/such/page?lang="+lang, "127.0.0.1", nil)
		if page := bodyOf(resp); resp.StatusCode != 404 || !strings.Contains(page, want) {
			t.Errorf("a missing page (%s) = %d without %q:\n%s", lang, resp.StatusCode, want, page)
		}
	}
}

// TestFindingsSayWhoMustAct: a valid dossier's warnings are notes for the
// officer, never tasks; tasks are shown only while the dossier is at the
// counter, with what to do; what no longer applies is resolved history.
func TestFindingsSayWhoMustAct(t *testing.T) {
	pr, err := procedure.Default().Get("1.001193")
	if err != nil {
		t.Fatal(err)
	}
	mrz := dossier.NewFinding(dossier.FindingMRZUnreadable).Of("CCCD")
	noPages := dossier.NewFinding("scan.no-pages")
	missing := dossier.NewFinding(dossier.FindingMissing, "Giấy chứng sinh", "GCS").Of("GCS")
	done := missing
	done.ResolvedAt = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name                   string
		status                 dossier.Status
		fs                     []dossier.Finding
		tasks, notes, resolved int
	}{
		{"valid with a warning", dossier.Validated, []dossier.Finding{mrz}, 0, 1, 0},
		{"signed with a warning", dossier.ResultIssued, []dossier.Finding{mrz, done}, 0, 1, 1},
		{"an unusable upload at the counter", dossier.Received, []dossier.Finding{noPages, mrz}, 1, 1, 0},
		{"a supplement request", dossier.NeedsSupplement, []dossier.Finding{missing}, 1, 0, 0},
	} {
		for _, lang := range []string{"vi", "en"} {
			v := findings(&page{Lang: lang}, pr, &dossier.Dossier{Status: tc.status, Findings: tc.fs})
			if len(v.Tasks) != tc.tasks || len(v.Notes) != tc.notes || len(v.Resolved) != tc.resolved {
				t.Errorf("%s (%s): %d tasks, %d notes, %d resolved; want %d, %d, %d", tc.name, lang,
					len(v.Tasks), len(v.Notes), len(v.Resolved), tc.tasks, tc.notes, tc.resolved)
			}
			for _, f := range v.Tasks {
				if f.Todo == "" || f.Text == "" {
					t.Errorf("%s (%s): a task without what to do: %+v", tc.name, lang, f)
				}
				if lang == "en" && f.Text != f.MessageEN {
					t.Errorf("%s: Vietnamese on the English page: %q", tc.name, f.Text)
				}
			}
		}
	}
}

// TestErrorsInThePagesLanguage: a deeper layer's message shows only in the
// page's language; one written in the other language only (or a Go error)
// becomes its kind's plain text.
func TestErrorsInThePagesLanguage(t *testing.T) {
	for _, tc := range []struct {
		lang string
		kind errs.Kind
		msg  string
		want string
	}{
		{"vi", errs.Invalid, "tệp quét rỗng / the scan is empty", "Tệp quét rỗng"},
		{"en", errs.Invalid, "tệp quét rỗng / the scan is empty", "The scan is empty"},
		{"vi", errs.Unsupported, "The file is not a PDF (no %PDF- header)", "Tệp không thuộc loại được nhận. Hãy chọn tệp PDF."},
		{"vi", errs.Conflict, "Dossier X is RESULT_ISSUED; only an APPROVED dossier's result is signed", "Hồ sơ đang ở trạng thái không cho phép việc này. Hãy tải lại trang."},
		{"en", errs.Forbidden, "Mã xác thực sai", "You may not do this."},
		{"vi", errs.Invalid, "", "Thông tin gửi lên không hợp lệ. Hãy kiểm tra và thử lại."},
		{"en", errs.TooMany, "", "Too many requests just now. Try again in a moment."},
		{"vi", errs.Unprocessable, "invalid xref", "Không đọc được tệp này. Hãy xuất lại tệp PDF rồi tải lên lại."},
	} {
		if got := (&page{Lang: tc.lang}).errText(tc.kind, tc.msg); got != tc.want {
			t.Errorf("%s %q: %q, want %q", tc.lang, tc.msg, got, tc.want)
		}
	}
}
