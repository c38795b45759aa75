package lambdatest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
	"github.com/sohoa/sohoa/pkg/web"
)

// heldVerifier holds each verification until released.
type heldVerifier struct{ started, release chan struct{} }

func (v heldVerifier) Verify(ctx context.Context, _ []byte) (*sohoaapi.VerifyReport, error) {
	v.started <- struct{}{}
	select {
	case <-v.release:
	case <-ctx.Done():
	}
	return &sohoaapi.VerifyReport{}, nil
}

// TestVerifyAdmissionUnderLambda drives the api function's handler as the
// Lambda runtime does (API Gateway v2 events through the proxy adapter,
// lambda.NewHandler's decoding, the harness's in-process invoker), wired as
// functions/api wires it: one Admission for the API and the pages. Behind
// API Gateway a body is never trickled — it arrives whole in the event, so
// there is no read deadline to set (the adapter's writer has none, and the
// API does not fail for it) and admission happens as soon as the handler
// runs. What the test shows is that the admission is per route and
// limited: while a verification runs, another PDF to verify is refused 429,
// from the API and from the /verify page alike, and a share link shows its
// document without a second verification.
func TestVerifyAdmissionUnderLambda(t *testing.T) {
	ctx := context.Background()
	db, bucket := localtest.DB(t), localtest.Bucket(t)
	quiet := slog.New(slog.DiscardHandler)
	catalog := procedure.Default()
	v := vault.New(db.Table(), bucket, &vault.Options{Log: quiet})
	ds, err := dossier.NewService(dossier.Config{Records: db.Table(), Blobs: bucket, Queue: db.Queue(), Catalog: catalog,
		Calendar: calendar.Default(), Vault: v, Log: quiet,
		Scans: dossier.ScanBytes(func(context.Context, []byte) (*scan.Result, error) { return nil, errors.New("no scans here") })})
	if err != nil {
		t.Fatal(err)
	}
	citizen := identity.Actor{Subject: "001203012345", Role: identity.Citizen}
	doc, err := v.Issue(ctx, vault.NewDocument{Owner: citizen.Subject, Kind: "GKS", Title: "Giấy khai sinh", Issuer: "UBND", Signed: true},
		[]byte("%PDF-1.7 a signed result\n%%EOF\n"))
	if err != nil {
		t.Fatal(err)
	}
	share, _, err := v.CreateShare(ctx, citizen, doc.ID, vault.ShareRequest{TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	hv := heldVerifier{started: make(chan struct{}, 8), release: make(chan struct{})}
	defer close(hv.release)
	cfg := sohoaapi.Config{Dossiers: ds, Vault: v, Catalog: catalog, Documents: sohoaapi.Printed{}, Log: quiet,
		Auth: rejectAll{}, Verifier: hv, Admission: sohoaapi.NewAdmission(1, 1)}
	if cfg.Pages, err = web.New(web.Config{API: cfg, Log: quiet, Sessions: web.NoSessions{}}); err != nil {
		t.Fatal(err)
	}
	fn := InProcess(lambda.NewHandler(httpadapter.NewV2(sohoaapi.New(cfg)).ProxyWithContext), 0)

	pdf := []byte("%PDF-1.7\n" + strings.Repeat(" ", 4<<10) + "\n%%EOF\n")
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("pdf", "a.pdf")
	_, _ = fw.Write(pdf)
	_ = mw.Close()

	call := func(method, path, ctype string, body []byte) events.APIGatewayV2HTTPResponse {
		t.Helper()
		ev := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "$default", RawPath: path,
			Headers: map[string]string{"host": "api.example.gov.vn"},
			Body:    base64.StdEncoding.EncodeToString(body), IsBase64Encoded: true}
		if ctype != "" {
			ev.Headers["content-type"] = ctype
		}
		ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = method, path
		payload, _ := json.Marshal(ev)
		res, err := fn.Invoke(ctx, payload)
		if err != nil || res.Error != nil {
			t.Fatalf("%s %s: %v %+v", method, path, err, res.Error)
		}
		var out events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(res.Payload, &out); err != nil {
			t.Fatal(err)
		}
		if out.IsBase64Encoded {
			b, _ := base64.StdEncoding.DecodeString(out.Body)
			out.Body = string(b)
		}
		return out
	}

	held := make(chan events.APIGatewayV2HTTPResponse, 1)
	go func() { held <- call("POST", "/v1/verify", "application/pdf", pdf) }()
	select {
	case <-hv.started:
	case <-time.After(30 * time.Second):
		t.Fatal("the first verification never started")
	}
	tests := []struct {
		name, method, path, ctype string
		body                      []byte
		status                    int
		contains                  string
	}{
		{"API", "POST", "/v1/verify", "application/pdf", pdf, http.StatusTooManyRequests, "too-many-requests"},
		{"page", "POST", "/verify", mw.FormDataContentType(), form.Bytes(), http.StatusTooManyRequests, "giây lát"},
		{"share page", "GET", "/s/" + share, "", nil, http.StatusOK, "máy chủ đang bận"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := call(tt.method, tt.path, tt.ctype, tt.body)
			if out.StatusCode != tt.status || !strings.Contains(out.Body, tt.contains) {
				t.Errorf("while a verification runs: %d, want %d with %q\n%s", out.StatusCode, tt.status, tt.contains, out.Body)
			}
		})
	}
	select {
	case <-hv.started:
		t.Error("a second verification started while the only slot was taken")
	default:
	}
	hv.release <- struct{}{}
	if out := <-held; out.StatusCode != http.StatusOK {
		t.Errorf("the admitted verification: %d %s", out.StatusCode, out.Body)
	}
	// The slot is free again: the page verifies.
	go func() { <-hv.started; hv.release <- struct{}{} }()
	if out := call("POST", "/verify", mw.FormDataContentType(), form.Bytes()); out.StatusCode != http.StatusOK {
		t.Errorf("the page once the slot is free: %d\n%s", out.StatusCode, out.Body)
	}
}

// rejectAll authenticates nobody: only public routes are under test.
type rejectAll struct{}

func (rejectAll) Authenticate(*http.Request) (identity.Actor, error) {
	return identity.Actor{}, errs.E(errs.Unauthorized, "no caller is signed in here")
}
