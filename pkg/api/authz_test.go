package api_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/local/sqlite"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/port/records"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

// printed is the Documents port for this test: authorization is under test, not rendering.
type printed struct{}

func (printed) Separator(code, name string) ([]byte, error) {
	return []byte("%PDF-1.7 separator " + code), nil
}
func (printed) Receipt(_ context.Context, d *dossier.Dossier, _ procedure.Procedure) ([]byte, error) {
	return []byte("%PDF-1.7 receipt " + d.Code), nil
}

type fixture struct {
	srv    *httptest.Server
	tokens map[string]string
	id     string // a dossier of the owner, agency 000.21.29.H29, status RECEIVED
	code   string
	doc    string // a document in the owner's vault
	share  string // a share token of doc

	vault    *vault.Service
	dossiers *dossier.Service
	table    records.Table
	search   *sqlite.SearchIndex
	bucket   *blob.Bucket
	queue    queue.Queue
	// blobs serves the bucket's signed URLs (newLinkedFixture only).
	blobs *httptest.Server
}

const (
	ownerID = "001203012345"
	agency  = "000.21.29.H29"
)

func newFixture(t *testing.T, mut ...func(c *api.Config)) *fixture {
	t.Helper()
	return buildFixture(t, false, mut...)
}

// newLinkedFixture is newFixture with files handed out, and results
// uploaded, by the local bucket's signed URLs, served by f.blobs.
func newLinkedFixture(t *testing.T, mut ...func(c *api.Config)) *fixture {
	t.Helper()
	return buildFixture(t, true, mut...)
}

func buildFixture(t *testing.T, linked bool, mut ...func(c *api.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	db := localtest.DB(t)
	b := localtest.Bucket(t)
	var links blobs.Presigner
	var blobSrv *httptest.Server
	var landed func(ctx context.Context, key string) error
	if linked {
		blobSrv = httptest.NewUnstartedServer(nil)
		base, _ := url.Parse("http://" + blobSrv.Listener.Addr().String() + "/blobs")
		var signer *blobs.LocalSigner
		var err error
		if b, signer, err = blobs.OpenLocalSigned(t.TempDir(), base, bytes.Repeat([]byte("k"), blobs.MinSecret)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		// A result PUT by its signed URL is announced as S3 announces it.
		blobSrv.Config.Handler = signer.Handler(b, blobs.ServeOptions{Landed: func(ctx context.Context, key string) error {
			if dossier.IsResultUploadKey(key) {
				return landed(ctx, key)
			}
			return nil
		}})
		blobSrv.Start()
		t.Cleanup(blobSrv.Close)
		links = signer
	}
	log := slog.New(slog.DiscardHandler)
	mac, _ := vault.NewFileMAC([]byte("an access-log key the table never holds"))
	v := vault.New(db.Table(), b, &vault.Options{Log: log, MAC: mac, Links: links})
	lim := scan.DefaultLimits()
	ds, err := dossier.NewService(dossier.Config{Records: db.Table(), Blobs: b, Queue: db.Queue(), Links: links,
		Catalog: procedure.Default(), Calendar: calendar.Default(), Vault: v, Log: log,
		Scans: dossier.ScanBytes(func(ctx context.Context, data []byte) (*scan.Result, error) { return scan.Split(ctx, data, lim) })})
	if err != nil {
		t.Fatal(err)
	}
	landed = func(ctx context.Context, key string) error { return ds.AcceptStoredResult(ctx, key, false) }
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	foreign, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss := identity.NewIssuer(key, "test", "sohoa")
	idx, err := db.Search(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Dossiers: ds, Vault: v, Catalog: procedure.Default(), Documents: printed{}, Log: log, Search: idx,
		Auth: api.BearerAuth{Verifier: identity.NewVerifier("test", "sohoa", &key.PublicKey)}}
	for _, m := range mut {
		m(&cfg)
	}
	s := api.New(cfg)
	f := &fixture{srv: httptest.NewServer(s), tokens: map[string]string{}, vault: v, dossiers: ds, table: db.Table(), search: idx,
		bucket: b, queue: db.Queue(), blobs: blobSrv}
	t.Cleanup(f.srv.Close)

	now := time.Now()
	actors := map[string]identity.Actor{
		"clerk":          {Subject: "clerk-01", Role: identity.Clerk, Name: "Trần Thị Mai", PostOffice: "Bưu cục Hoàn Kiếm"},
		"clerk-same-po":  {Subject: "clerk-02", Role: identity.Clerk, PostOffice: "Bưu cục Hoàn Kiếm"},
		"clerk-no-po":    {Subject: "clerk-03", Role: identity.Clerk},
		"officer":        {Subject: "officer-hotich", Role: identity.Officer, Agency: agency},
		"officer-other":  {Subject: "officer-gplx", Role: identity.Officer, Agency: "000.00.16.H29"},
		"owner":          {Subject: ownerID, Role: identity.Citizen},
		"citizen-other":  {Subject: "079090000001", Role: identity.Citizen},
		"auditor":        {Subject: "auditor-01", Role: identity.Auditor},
		"clerk-other-po": {Subject: "clerk-99", Role: identity.Clerk, PostOffice: "Bưu cục khác"},
	}
	for name, a := range actors {
		tok, err := iss.Issue(a, now, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[name] = tok
	}
	f.tokens["expired"], _ = iss.Issue(actors["owner"], now.Add(-3*time.Hour), time.Hour)
	f.tokens["foreign-key"], _ = identity.NewIssuer(foreign, "test", "sohoa").Issue(actors["owner"], now, time.Hour)
	f.tokens["none"] = ""

	d, err := ds.Create(ctx, actors["clerk"], dossier.CreateInput{Procedure: "1.001193",
		Citizen: dossier.Citizen{ID: ownerID, Name: "Nguyễn Văn An"}, PostOffice: "Bưu cục Hoàn Kiếm"})
	if err != nil {
		t.Fatal(err)
	}
	f.id, f.code = d.ID, d.Code
	doc, err := v.Issue(ctx, vault.NewDocument{Owner: ownerID, Kind: "GKS", Title: "Giấy khai sinh", Issuer: "UBND", Signed: true},
		[]byte("%PDF-1.7 a signed result\n%%EOF\n"))
	if err != nil {
		t.Fatal(err)
	}
	f.doc = doc.ID
	tok, _, err := v.CreateShare(ctx, actors["owner"], doc.ID, vault.ShareRequest{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	f.share = tok
	return f
}

func (f *fixture) call(t *testing.T, who, method, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if tok := f.tokens[who]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("%s %s as %s: %d without a problem document", method, path, who, resp.StatusCode)
	}
	return resp.StatusCode, b
}

// TestAuthorizationMatrix calls every dossier and vault route as every kind of
// caller. 404, not 403, wherever a 403 would tell a stranger that the thing exists.
func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t)
	who := []string{"clerk", "officer", "officer-other", "owner", "citizen-other", "auditor", "clerk-other-po", "clerk-same-po", "none", "expired", "foreign-key"}
	type row struct {
		method, path, body string
		want               []int // in the order of who
	}
	D, DOC := "/v1/dossiers/"+f.id, "/v1/vault/documents/"+f.doc
	const u = 401
	rows := []row{
		{"GET", D, "", []int{200, 200, 404, 200, 404, 200, 404, 200, u, u, u}},
		{"GET", D + "/receipt.pdf", "", []int{200, 403, 404, 200, 404, 403, 404, 200, u, u, u}},
		{"GET", D + "/scan", "", []int{404, 404, 404, 403, 404, 403, 404, 404, u, u, u}}, // no scan yet: 404 for those allowed
		{"PUT", D + "/scan", "", []int{400, 403, 404, 403, 404, 403, 404, 400, u, u, u}}, // an empty body is refused
		{"POST", D + "/decision", `{"approve":true}`, []int{403, 409, 404, 403, 404, 403, 404, 403, u, u, u}},
		{"PUT", D + "/result", "", []int{403, 409, 404, 403, 404, 403, 404, 403, u, u, u}},
		{"POST", D + "/result/upload-url", "", []int{403, 409, 404, 403, 404, 403, 404, 403, u, u, u}},
		{"POST", D + "/result/sign", `{"credentialId":"c","otp":"123456"}`, []int{503, 503, 503, 503, 503, 503, 503, 503, u, u, u}},
		{"POST", D + "/postal-return", `{"waybill":"EB123"}`, []int{409, 403, 404, 403, 404, 403, 404, 409, u, u, u}},
		{"GET", D + "/components/TKKS/content", "", []int{404, 404, 404, 404, 404, 403, 404, 404, u, u, u}},         // auditors read no papers
		{"POST", D + "/reuse-consent", `{"code":"123456"}`, []int{409, 403, 404, 403, 404, 403, 404, 409, u, u, u}}, // no reuse pending
		// The post office is the token's: a body naming another one is refused,
		// and a clerk whose token names that other office opens it.
		{"POST", "/v1/dossiers", `{"procedure":"1.001193","citizen":{"id":"001203012345","name":"An"},"postOffice":"Bưu cục khác"}`, []int{403, 403, 403, 403, 403, 403, 201, 403, u, u, u}},
		{"POST", "/v1/dossiers", `{"procedure":"1.001193","citizen":{"id":"001203012345","name":"An"}}`, []int{201, 403, 403, 403, 403, 403, 201, 201, u, u, u}},
		{"GET", "/v1/agency/dossiers", "", []int{403, 200, 200, 403, 403, 403, 403, 403, u, u, u}},
		{"GET", "/v1/vault/documents", "", []int{403, 403, 403, 200, 200, 403, 403, 403, u, u, u}},
		{"GET", DOC, "", []int{404, 404, 404, 200, 404, 404, 404, 404, u, u, u}},
		{"GET", DOC + "/content", "", []int{404, 404, 404, 200, 404, 404, 404, 404, u, u, u}},
		{"POST", DOC + "/shares", `{"ttlSeconds":600}`, []int{404, 404, 404, 201, 404, 404, 404, 404, u, u, u}},
		{"DELETE", DOC + "/shares/" + f.share, "", []int{404, 404, 404, 204, 404, 404, 404, 404, u, u, u}},
		{"GET", "/v1/vault/audit", "", []int{403, 403, 403, 200, 200, 403, 403, 403, u, u, u}},
		{"GET", "/v1/vault/audit?limit=1&cursor=2", "", []int{403, 403, 403, 200, 200, 403, 403, 403, u, u, u}}, // a page of one's own log only
		{"GET", "/v1/vault/search?q=khai+sinh", "", []int{403, 200, 200, 200, 200, 403, 403, 403, u, u, u}},
		{"GET", "/v1/track/" + f.code, "", []int{200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200}},
		{"GET", "/v1/shares/" + f.share, "", []int{410, 410, 410, 410, 410, 410, 410, 410, 410, 410, 410}}, // revoked above
		{"GET", "/v1/vault/shares", "", []int{403, 403, 403, 200, 200, 403, 403, 403, u, u, u}},
		{"GET", "/v1/vault/contact", "", []int{403, 403, 403, 200, 200, 403, 403, 403, u, u, u}},
		{"PUT", "/v1/vault/contact", `{"email":"an@vneid.example"}`, []int{403, 403, 403, 200, 200, 403, 403, 403, u, u, u}},
		{"GET", "/v1/vault/reuse-requests", "", []int{403, 403, 403, 200, 200, 403, 403, 403, u, u, u}},
		{"POST", "/v1/vault/reuse-requests/" + f.id, `{"grant":true}`, []int{403, 403, 403, 404, 404, 403, 403, 403, u, u, u}},
		// Without -dev the development routes do not exist, for anyone.
		{"GET", "/v1/dev/outbox?to=x", "", []int{404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404}},
		{"POST", "/v1/dev/tokens", `{"role":"auditor","subject":"a"}`, []int{404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404}},
		{"DELETE", DOC, "", []int{404, 404, 404, 204, 404, 404, 404, 404, u, u, u}},
		{"GET", DOC, "", []int{404, 404, 404, 404, 404, 404, 404, 404, u, u, u}}, // hidden now
	}
	// A clerk whose token names no post office opens nothing.
	if got, b := f.call(t, "clerk-no-po", "POST", "/v1/dossiers", `{"procedure":"1.001193","citizen":{"id":"001203012345","name":"An"},"postOffice":"Bưu cục Hoàn Kiếm"}`); got != 403 {
		t.Errorf("clerk without a post office: %d %s", got, b)
	}
	for _, r := range rows {
		for i, w := range who {
			t.Run(fmt.Sprintf("%s %s as %s", r.method, strings.ReplaceAll(r.path, "/", "_"), w), func(t *testing.T) {
				got, b := f.call(t, w, r.method, r.path, r.body)
				if got != r.want[i] {
					t.Errorf("= %d %s, want %d", got, b, r.want[i])
				}
			})
		}
	}
}

// TestOtherCitizensSeeNothing: another citizen's listing and audit log never
// mention the owner's document.
func TestOtherCitizensSeeNothing(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/v1/vault/documents", "/v1/vault/audit"} {
		_, b := f.call(t, "citizen-other", "GET", path, "")
		if bytes.Contains(b, []byte(f.doc)) {
			t.Errorf("%s leaks the owner's document: %s", path, b)
		}
	}
	_, b := f.call(t, "owner", "GET", "/v1/vault/documents", "")
	var l struct{ Documents []struct{ ID string } }
	if err := json.Unmarshal(b, &l); err != nil || len(l.Documents) != 1 || l.Documents[0].ID != f.doc {
		t.Errorf("owner's listing = %s", b)
	}
}
