package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// get calls path as who with extra headers; follow says whether redirects
// are followed (as a browser or curl -L does).
func (f *fixture) get(t *testing.T, who, method, path string, body []byte, h map[string]string, follow bool) (*http.Response, []byte) {
	t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = f.srv.URL + path
	}
	req, _ := http.NewRequest(method, u, bytes.NewReader(body))
	if tok := f.tokens[who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	c := &http.Client{}
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// accessLog counts the owner's access-log entries for which match holds.
func (f *fixture) accessLog(t *testing.T, match func(action, purpose, field string) bool) int {
	t.Helper()
	_, b := f.call(t, "owner", "GET", "/v1/vault/audit", "")
	var l struct {
		Entries []struct{ Action, Purpose, Field string }
	}
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatalf("audit: %v %s", err, b)
	}
	n := 0
	for _, e := range l.Entries {
		if match(e.Action, e.Purpose, e.Field) {
			n++
		}
	}
	return n
}

// TestVaultDownloadsByLink: with links configured a vault document, a share
// link and an earlier version are answered by a short-lived URL to the
// bytes in storage (303, or JSON on request); the read is in the access log
// once per request; bytes that no longer match their SHA-256 get no link.
func TestVaultDownloadsByLink(t *testing.T) {
	f := newLinkedFixture(t)
	want := []byte("%PDF-1.7 a signed result\n%%EOF\n")
	DOC := "/v1/vault/documents/" + f.doc + "/content"
	downloads := func() int {
		return f.accessLog(t, func(action, _, _ string) bool { return action == "download" })
	}

	res, _ := f.get(t, "owner", "GET", DOC, nil, nil, false)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, f.blobs.URL+"/blobs?") {
		t.Fatalf("GET content without following: %d Location %q, want 303 to the bucket's signed URL", res.StatusCode, loc)
	}
	if d := res.Header.Get("Digest"); d == "" {
		t.Error("the redirect carries no Digest")
	}
	// The link alone (no token) gets the bytes, as a browser would.
	res, b := f.get(t, "none", "GET", loc, nil, nil, true)
	if res.StatusCode != 200 || !bytes.Equal(b, want) || res.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), `inline; filename=GKS-`) {
		t.Fatalf("following the link: %d %q %q %q", res.StatusCode, b, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}

	n := downloads()
	res, b = f.get(t, "owner", "GET", DOC, nil, nil, true)
	if res.StatusCode != 200 || !bytes.Equal(b, want) {
		t.Fatalf("a client that follows redirects: %d %q", res.StatusCode, b)
	}
	if got := downloads() - n; got != 1 {
		t.Errorf("one download wrote %d access-log entries, want 1", got)
	}

	res, b = f.get(t, "owner", "GET", DOC, nil, map[string]string{"Accept": "application/json"}, false)
	var l struct {
		URL       string
		ExpiresAt time.Time
	}
	if err := json.Unmarshal(b, &l); res.StatusCode != 200 || err != nil || !strings.HasPrefix(l.URL, f.blobs.URL) ||
		l.ExpiresAt.Before(time.Now()) || l.ExpiresAt.After(time.Now().Add(16*time.Minute)) {
		t.Fatalf("Accept: application/json: %d %s", res.StatusCode, b)
	}

	res, b = f.get(t, "none", "GET", "/v1/shares/"+f.share, nil, nil, true)
	if res.StatusCode != 200 || !bytes.Equal(b, want) {
		t.Fatalf("share link: %d %q", res.StatusCode, b)
	}
	if res, _ := f.get(t, "owner", "GET", DOC+"?version=7", nil, nil, false); res.StatusCode != 404 {
		t.Errorf("a version that does not exist: %d, want 404", res.StatusCode)
	}

	// Bytes changed behind the vault's back: withheld, the refusal logged.
	owner := identity.Actor{Subject: ownerID, Role: identity.Citizen}
	d, err := f.vault.Get(context.Background(), owner, f.doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.bucket.WriteAll(context.Background(), d.Key, []byte("%PDF-1.7 forged\n%%EOF\n"), nil); err != nil {
		t.Fatal(err)
	}
	n = downloads()
	if res, b := f.get(t, "owner", "GET", DOC, nil, nil, false); res.StatusCode != http.StatusConflict || res.Header.Get("Location") != "" {
		t.Errorf("a document whose bytes changed: %d %s, want 409 and no link", res.StatusCode, b)
	}
	if downloads() != n || f.accessLog(t, func(a, _, _ string) bool { return a == "refused-integrity" }) != 1 {
		t.Error("the withheld download is not logged as refused")
	}
}

// validated takes the fixture's dossier to VALIDATED through the API and
// the ingest queue, and returns the scan.
func (f *fixture) validated(t *testing.T) []byte {
	t.Helper()
	pdf, err := scantest.Dossier(scantest.Spec{Seed: 3, Sheets: []scantest.Sheet{
		scantest.Separator("TKKS", "Tờ khai đăng ký khai sinh"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước công dân"), scantest.Text("CCCD mặt trước"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res, b := f.get(t, "clerk", "PUT", "/v1/dossiers/"+f.id+"/scan", pdf, map[string]string{"Content-Type": "application/pdf"}, false); res.StatusCode != 202 {
		t.Fatalf("upload scan: %d %s", res.StatusCode, b)
	}
	ctx := context.Background()
	ms, err := f.queue.Receive(ctx, dossier.TopicIngest, 1, time.Minute, time.Second)
	if err != nil || len(ms) != 1 {
		t.Fatalf("ingest job: %v %v", ms, err)
	}
	if err := f.dossiers.RunIngest(ctx, ms[0]); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.dossiers.Load(ctx, f.id); d.Status != dossier.Validated {
		t.Fatalf("dossier %s after ingestion, findings %+v", d.Status, d.Findings)
	}
	return pdf
}

// TestDossierFilesByLink: a component and an original scan are answered by
// a link; the officer's read of the component is logged once.
func TestDossierFilesByLink(t *testing.T) {
	f := newLinkedFixture(t)
	scanPDF := f.validated(t)
	components := func() int {
		return f.accessLog(t, func(_, _, field string) bool { return field == "component" })
	}
	n := components()
	path := "/v1/dossiers/" + f.id + "/components/TKKS/content"
	res, b := f.get(t, "officer", "GET", path, nil, nil, true)
	if res.StatusCode != 200 || !bytes.HasPrefix(b, []byte("%PDF-")) || res.Header.Get("Content-Type") != "application/pdf" ||
		res.Header.Get("Content-Disposition") != `inline; filename=TKKS.pdf` {
		t.Fatalf("component: %d %q %q %.20q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"), b)
	}
	if got := components() - n; got != 1 {
		t.Errorf("the officer's read wrote %d access-log entries, want 1", got)
	}
	for _, who := range []string{"officer-other", "auditor", "citizen-other"} {
		if res, _ := f.get(t, who, "GET", path, nil, nil, false); res.StatusCode < 400 || res.Header.Get("Location") != "" {
			t.Errorf("%s got %d %q", who, res.StatusCode, res.Header.Get("Location"))
		}
	}
	res, b = f.get(t, "clerk", "GET", "/v1/dossiers/"+f.id+"/scan", nil, nil, true)
	if res.StatusCode != 200 || !bytes.Equal(b, scanPDF) || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("scan: %d %q, %d bytes of %d", res.StatusCode, res.Header.Get("Content-Type"), len(b), len(scanPDF))
	}
}

// TestResultUploadByLink: an officer asks for an upload URL, PUTs the result
// there, and the dossier takes it once it lands; a file that is no PDF is
// refused with the reason on the dossier; a used URL changes nothing.
func TestResultUploadByLink(t *testing.T) {
	f := newLinkedFixture(t)
	f.validated(t)
	D := "/v1/dossiers/" + f.id
	if st, b := f.call(t, "officer", "POST", D+"/decision", `{"approve":true}`); st != 200 {
		t.Fatalf("approve: %d %s", st, b)
	}
	uploadURL := func() string {
		t.Helper()
		st, b := f.call(t, "officer", "POST", D+"/result/upload-url", "")
		var u struct{ Method, URL string }
		if err := json.Unmarshal(b, &u); st != 201 || err != nil || u.Method != "PUT" || !strings.HasPrefix(u.URL, f.blobs.URL) {
			t.Fatalf("upload-url: %d %s", st, b)
		}
		return u.URL
	}
	type view struct {
		Result *struct {
			SHA256, UploadedBy string
		}
		ResultUpload *struct{ Status, Reason string }
	}
	dossierView := func() view {
		t.Helper()
		_, b := f.call(t, "officer", "GET", D, "")
		var v view
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	put := func(u string, body []byte) {
		t.Helper()
		if res, b := f.get(t, "none", "PUT", u, body, map[string]string{"Content-Type": "application/pdf"}, false); res.StatusCode != 200 {
			t.Fatalf("PUT to the upload URL: %d %s", res.StatusCode, b)
		}
	}

	first := uploadURL()
	if v := dossierView(); v.ResultUpload == nil || v.ResultUpload.Status != "awaited" || v.Result != nil {
		t.Fatalf("after asking for a URL: %+v", v)
	}
	result := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("% kết quả\n"), 3000)...)
	result = append(result, "%%EOF\n"...)
	put(first, result)
	sum := sha256.Sum256(result)
	v := dossierView()
	if v.Result == nil || v.Result.SHA256 != hex.EncodeToString(sum[:]) || v.ResultUpload != nil || v.Result.UploadedBy == "" {
		t.Fatalf("after the upload landed: %+v", v)
	}

	second := uploadURL()
	put(second, []byte("GIF89a not a result"))
	v = dossierView()
	if v.ResultUpload == nil || v.ResultUpload.Status != "refused" || !strings.Contains(v.ResultUpload.Reason, "PDF") ||
		v.Result == nil || v.Result.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("after a refused upload: %+v", v)
	}

	put(first, []byte("%PDF-1.7 a stale upload\n%%EOF\n"))
	if w := dossierView(); w.Result.SHA256 != v.Result.SHA256 || w.ResultUpload.Status != "refused" {
		t.Fatalf("a used URL changed the dossier: %+v", w)
	}
	left := 0
	for it := f.bucket.List(nil); ; {
		o, err := it.Next(context.Background())
		if err != nil {
			break
		}
		if dossier.IsResultUploadKey(o.Key) {
			left++
		}
	}
	if left != 0 {
		t.Errorf("%d result uploads left in the bucket after they were settled", left)
	}
	// Uploaded through the API as before, the result settles the refusal.
	if res, b := f.get(t, "officer", "PUT", D+"/result", result, map[string]string{"Content-Type": "application/pdf"}, false); res.StatusCode != 200 {
		t.Fatalf("PUT result: %d %s", res.StatusCode, b)
	}
	if w := dossierView(); w.ResultUpload != nil {
		t.Errorf("the refusal outlived a result uploaded through the API: %+v", w.ResultUpload)
	}
	// Without links the route says how to upload instead.
	g := newFixture(t)
	g.validated(t)
	g.call(t, "officer", "POST", "/v1/dossiers/"+g.id+"/decision", `{"approve":true}`)
	if st, b := g.call(t, "officer", "POST", "/v1/dossiers/"+g.id+"/result/upload-url", ""); st != 503 || !strings.Contains(string(b), "PUT the result") {
		t.Errorf("upload-url without links: %d %s", st, b)
	}
}
