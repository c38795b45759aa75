package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/testkit/pdftest"
)

// TestBigFilesByLink: the local stack hands files out, and takes results, by
// its bucket's signed URLs (under /blobs), as S3's presigned URLs on AWS: a
// 50 MB certified copy is downloaded by a client that follows the API's
// redirect (one access-log entry), and a 30 MB result PUT to the URL the
// officer is given is checked in the PDF door when it lands and becomes the
// dossier's result; a damaged one is refused with the reason on the dossier.
func TestBigFilesByLink(t *testing.T) {
	heavy(t)
	st, c := startStack(t, t.TempDir())
	ctx := context.Background()
	citizen := c.as(c.tokenFor("citizen", citizenID, "", "Nguyễn Văn An"))
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	owner := identity.Actor{Subject: citizenID, Role: identity.Citizen}
	entries := func() int {
		es, _, err := st.Vault.Audit(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}

	copy50 := pdftest.Sized(50<<20, "Ban sao chung thuc")
	doc, err := st.Vault.Issue(ctx, vault.NewDocument{Owner: citizenID, Kind: "GKS", Title: "Giấy khai sinh (bản sao chứng thực)",
		Issuer: "UBND phường Hàng Bạc", Certified: true}, copy50)
	if err != nil {
		t.Fatal(err)
	}
	before := entries()
	stc, b, h := citizen.do("GET", "/v1/vault/documents/"+doc.ID+"/content", "", nil)
	if stc != 200 || !bytes.Equal(b, copy50) || h.Get("Content-Type") != "application/pdf" {
		t.Fatalf("download: %d, %d bytes of %d, %q", stc, len(b), len(copy50), h.Get("Content-Type"))
	}
	if got := entries() - before; got != 1 {
		t.Errorf("one download wrote %d access-log entries, want 1", got)
	}
	// The API itself answered a redirect to the bucket, not the bytes.
	req, _ := http.NewRequest("GET", st.URL+"/v1/vault/documents/"+doc.ID+"/content", nil)
	req.Header.Set("Authorization", "Bearer "+citizen.token)
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), st.URL+blobsPath+"?") {
		t.Fatalf("the API answered %d Location %q, want 303 to %s", res.StatusCode, res.Header.Get("Location"), blobsPath)
	}

	var created struct{ ID string }
	clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg, "postOffice": "Bưu cục Hoàn Kiếm",
		"citizen": map[string]string{"id": citizenID, "name": "Nguyễn Văn An"}}, 201, &created)
	if stc, b, _ := clerk.do("PUT", "/v1/dossiers/"+created.ID+"/scan", "application/pdf", scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD"))); stc != 202 {
		t.Fatalf("scan: %d %s", stc, b)
	}
	if d := clerk.waitStatus(created.ID); d.Status != "VALIDATED" {
		t.Fatalf("after ingestion: %+v", d)
	}
	officer.json("POST", "/v1/dossiers/"+created.ID+"/decision", map[string]any{"approve": true}, 200, nil)

	type resultState struct {
		Result       *struct{ SHA256 string }
		ResultUpload *struct{ Status, Reason string }
	}
	land := func(body []byte) resultState {
		t.Helper()
		var up struct{ URL string }
		officer.json("POST", "/v1/dossiers/"+created.ID+"/result/upload-url", nil, 201, &up)
		req, _ := http.NewRequest("PUT", up.URL, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/pdf")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("PUT to the upload URL: %d", res.StatusCode)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for {
			var v resultState
			officer.json("GET", "/v1/dossiers/"+created.ID, nil, 200, &v)
			if v.ResultUpload == nil || v.ResultUpload.Status != "awaited" {
				return v
			}
			if time.Now().After(deadline) {
				t.Fatalf("the upload is still awaited after 2 minutes")
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	result := pdftest.Sized(30<<20, "Giay khai sinh - ket qua")
	sum := sha256.Sum256(result)
	if v := land(result); v.Result == nil || v.Result.SHA256 != hex.EncodeToString(sum[:]) || v.ResultUpload != nil {
		t.Fatalf("after a 30 MB result landed: %+v", v)
	}
	// A PDF that passes the cheap checks but that the door finds could never
	// be signed (no pages, an encryption dictionary) is refused, the reason
	// shown; the result taken before stays.
	damaged := []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R /Encrypt 2 0 R >>\n%%EOF\n")
	if v := land(damaged); v.ResultUpload == nil || v.ResultUpload.Status != "refused" || v.ResultUpload.Reason == "" ||
		v.Result == nil || v.Result.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("after a damaged result landed: %+v", v)
	} else {
		t.Logf("refusal shown to the officer: %s", v.ResultUpload.Reason)
	}
}
