package lambdatest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sohoa/sohoa/pkg/app"
	"github.com/sohoa/sohoa/pkg/aws/sqs"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/testkit/pdftest"
)

// lambdaMaxPayload is what Lambda answers and takes at most, synchronously.
const lambdaMaxPayload = 6 << 20

// TestBigFilesByLink: files far over Lambda's 6 MB travel between the
// client and S3 (MinIO) by presigned URLs the api function hands out, never
// through the function: a citizen's 50 MB certified copy is downloaded
// through the link the api function answers with (one entry in the
// citizen's access log, written before the link), and a 30 MB result is PUT
// to the URL the api function gives the officer, its S3 event taken by the
// ingest function, which checks it in the PDF door and gives it to the
// dossier.
func TestBigFilesByLink(t *testing.T) {
	need(t)
	ctx := context.Background()
	st := newStack(t)
	dossiers, vaultBkt := st.buckets(t)
	// The services over the same table and buckets, to set the scene.
	a, err := app.Build(ctx, app.Ports{Records: st.rec, Dossiers: dossiers, Vault: vaultBkt,
		Queue: sqs.New(st.sqs, map[string]sqs.Topic{dossier.TopicIngest: st.ingest}, st.rec), Intake: func(context.Context, string) error { return nil }},
		app.Options{Log: slog.New(slog.DiscardHandler),
			Scans: presplit(t)})
	if err != nil {
		t.Fatal(err)
	}
	api, err := Start(ctx, "api", h.bins["api"], st.env(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Stop)
	owner := identity.Actor{Subject: citizenID, Role: identity.Citizen}
	entries := func() int {
		t.Helper()
		es, _, err := a.Vault.Audit(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}

	t.Run("50 MB certified copy", func(t *testing.T) {
		copy50 := pdftest.Sized(50<<20, "Ban sao chung thuc GKS")
		doc, err := a.Vault.Issue(ctx, vault.NewDocument{Owner: citizenID, Kind: "GKS", Title: "Giấy khai sinh (bản sao chứng thực)",
			Issuer: "UBND phường Hàng Bạc", Certified: true}, copy50)
		if err != nil {
			t.Fatal(err)
		}
		before := entries()
		res, raw := gatewayCall(t, api, "GET", "/v1/vault/documents/"+doc.ID+"/content", citizenClaims(citizenID), nil)
		if res.StatusCode != http.StatusSeeOther || len(raw) > 64<<10 {
			t.Fatalf("api: %d, %d bytes of answer; want 303 with a small answer: %.300s", res.StatusCode, len(raw), res.Body)
		}
		if got := entries() - before; got != 1 {
			t.Errorf("the download wrote %d access-log entries before its link, want 1", got)
		}
		loc := res.Headers["Location"]
		if !strings.HasPrefix(loc, h.srv.s3) || !strings.Contains(loc, "X-Amz-Signature=") {
			t.Fatalf("Location %q is not a presigned URL of the S3 endpoint %s", loc, h.srv.s3)
		}
		got, err := http.Get(loc)
		if err != nil {
			t.Fatal(err)
		}
		defer got.Body.Close()
		sum := sha256.New()
		n, err := io.Copy(sum, got.Body)
		if err != nil || got.StatusCode != 200 || n != int64(len(copy50)) || !bytes.Equal(sum.Sum(nil), sha(copy50)) {
			t.Fatalf("the presigned GET: %d, %d bytes of %d (%v)", got.StatusCode, n, len(copy50), err)
		}
		if ct, cd := got.Header.Get("Content-Type"), got.Header.Get("Content-Disposition"); ct != "application/pdf" || cd != "inline; filename=GKS-"+doc.ID+".pdf" {
			t.Errorf("the presigned GET answered Content-Type %q, Content-Disposition %q", ct, cd)
		}
		if got := entries() - before; got != 1 {
			t.Errorf("one download: %d access-log entries, want 1", got)
		}
	})

	t.Run("30 MB result", func(t *testing.T) {
		clerk := identity.Actor{Subject: "clerk-01", Role: identity.Clerk, Name: "Trần Thị Mai", PostOffice: "Bưu cục Hoàn Kiếm"}
		officer := identity.Actor{Subject: officerID, Role: identity.Officer, Agency: agency, Name: "Nguyễn Thị Lĩnh"}
		id, err := approved(ctx, a.Dossiers, clerk, officer, citizenID)
		if err != nil {
			t.Fatal(err)
		}
		before := entries()
		res, raw := gatewayCall(t, api, "POST", "/v1/dossiers/"+id+"/result/upload-url", officerClaims(), nil)
		var up struct{ Method, URL string }
		if err := json.Unmarshal(raw, &up); res.StatusCode != http.StatusCreated || err != nil || up.Method != "PUT" {
			t.Fatalf("upload-url: %d %s", res.StatusCode, raw)
		}
		result := pdftest.Sized(30<<20, "Giay khai sinh - ket qua")
		req, _ := http.NewRequest(http.MethodPut, up.URL, bytes.NewReader(result))
		req.Header.Set("Content-Type", "application/pdf")
		put, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		put.Body.Close()
		if put.StatusCode != 200 {
			t.Fatalf("PUT to the presigned URL: %d", put.StatusCode)
		}
		d, _ := st.dossier(t, id)
		if d.ResultUpload == nil || d.Result != nil {
			t.Fatalf("before the landing: upload %+v, result %+v", d.ResultUpload, d.Result)
		}
		key := d.ResultUpload.Key
		ingest, err := Start(ctx, "ingest", h.bins["ingest"], st.env(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ingest.Stop)
		body := string(load(t, h.root+"/events/s3/intake-put.json", map[string]string{
			"DOSSIER_BUCKET": st.dossierBkt, "DOSSIER_ID": id, "INTAKE_NAME": strings.TrimPrefix(key, dossier.IntakePrefix+id+"/")}))
		msg := sqsRoundTrip(t, st, body)
		for i := range 2 { // delivered twice, taken once
			noFailures(t, "result landing", invoke(t, ingest, "S3 event", msg))
			d, _ = st.dossier(t, id)
			if d.Result == nil || d.Result.SHA256 != hexSHA(result) || d.ResultUpload != nil {
				t.Fatalf("after delivery %d: result %+v, upload %+v\n%s", i+1, d.Result, d.ResultUpload, tail(ingest.Logs()))
			}
		}
		if _, err := dossiers.Attributes(ctx, key); err == nil {
			t.Errorf("the upload %s is still in the bucket once taken", key)
		}
		// The officer's own upload reads nothing of the citizen's.
		if got := entries() - before; got != 0 {
			t.Errorf("the upload wrote %d entries in the citizen's access log, want 0", got)
		}
	})
}

// gatewayCall invokes the api function with an API Gateway (HTTP API,
// payload 2.0) request that the JWT authorizer let through with claims.
func gatewayCall(t *testing.T, f *Function, method, path string, claims map[string]string, body []byte) (events.APIGatewayV2HTTPResponse, []byte) {
	t.Helper()
	req := events.APIGatewayV2HTTPRequest{Version: "2.0", RouteKey: "ANY /{proxy+}", RawPath: path,
		Headers: map[string]string{"host": "abc123.execute-api.ap-southeast-1.amazonaws.com", "x-forwarded-proto": "https"},
		Body:    string(body)}
	req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = method, path
	req.RequestContext.Stage, req.RequestContext.RequestID = "$default", "presign-test"
	req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
	payload, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	out := invoke(t, f, method+" "+path, payload)
	if len(out) > lambdaMaxPayload {
		t.Fatalf("%s %s: the answer is %d bytes, over Lambda's %d", method, path, len(out), lambdaMaxPayload)
	}
	var res events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return res, []byte(res.Body)
}

func citizenClaims(id string) map[string]string {
	return map[string]string{"sub": "4e2f8a9b-citizen", "cognito:groups": "[citizen]", "custom:citizen_id": id}
}

func officerClaims() map[string]string {
	return map[string]string{"sub": officerID, "cognito:groups": "[agency_officer]", "custom:agency": agency, "name": "Nguyễn Thị Lĩnh"}
}

func sha(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func hexSHA(b []byte) string { return hex.EncodeToString(sha(b)) }
