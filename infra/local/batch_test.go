package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// TestBatchSigning: one OTP signs the results of 200 dossiers (SOHOA_BATCH_N
// of them: make bench signs 1,000) through a sign job, the CSC client and the
// local CSC service; every result lands in its citizen's vault and the OTP
// cannot sign again.
//
// Reaching APPROVED 200 times through real ingestion would decode 1,200 pages,
// so every dossier is ingested from the same real split: scan.Split runs once
// on a generated scan and its result is handed out again.
func TestBatchSigning(t *testing.T) {
	heavy(t)
	n := 200
	if v, err := strconv.Atoi(os.Getenv("SOHOA_BATCH_N")); err == nil && v > 0 && v <= 1000 {
		n = v
	}
	sample := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD"))
	split, err := scan.Split(context.Background(), sample, scan.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	st, err := Start(context.Background(), Options{Dev: true, Addr: "127.0.0.1:0", DataDir: t.TempDir(),
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Scans: dossier.ScanBytes(func(context.Context, []byte) (*scan.Result, error) { return split, nil })})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = st.Shutdown(ctx)
	})
	c := client{t: t, base: st.URL}
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	result := resultPDF(t)

	ids := make([]string, n+1) // the last one is kept to try the spent OTP on
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var d struct{ ID string }
			clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg, "postOffice": "Bưu cục Hoàn Kiếm",
				"citizen": map[string]string{"id": fmt.Sprintf("001203%06d", i), "name": "Công dân"}}, 201, &d)
			if st, b, _ := clerk.do("PUT", "/v1/dossiers/"+d.ID+"/scan", "application/pdf", []byte(fmt.Sprintf("scan %d", i))); st != 202 {
				t.Errorf("upload: %d %s", st, b)
				return
			}
			if got := clerk.waitStatus(d.ID); got.Status != "VALIDATED" {
				t.Errorf("dossier %s: %s", d.ID, got.Status)
				return
			}
			officer.json("POST", "/v1/dossiers/"+d.ID+"/decision", map[string]any{"approve": true}, 200, nil)
			if st, b, _ := officer.do("PUT", "/v1/dossiers/"+d.ID+"/result", "application/pdf", result); st != 200 {
				t.Errorf("result: %d %s", st, b)
			}
			ids[i] = d.ID
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	cred := "cred-" + officerHT
	otp := requestOTP(t, officer, cred)
	start := time.Now()
	out := signJob(t, officer, ids[:n], cred, otp)
	took := time.Since(start)
	if out.Status != "done" || len(out.Results) != n {
		t.Fatalf("%d results for %d dossiers", len(out.Results), n)
	}
	for _, r := range out.Results {
		if r.DocumentID == "" || r.Error != "" {
			t.Fatalf("dossier %s: %q", r.DossierID, r.Error)
		}
	}
	t.Logf("signed, verified and stored %d results with one OTP in %v (%.0f/s)", n, took.Round(time.Millisecond), float64(n)/took.Seconds())
	// The OTP is spent: the job that tries it again fails, saying so.
	if again := signJob(t, officer, ids[n:], cred, otp); again.Status != "failed" || again.Error == "" {
		t.Fatalf("a spent OTP: job %+v", again)
	}
	citizen := c.as(c.tokenFor("citizen", "001203000007", "", ""))
	var docs struct {
		Documents []struct {
			ID     string
			Signed bool
		}
	}
	citizen.json("GET", "/v1/vault/documents?kind="+url.QueryEscape("GKS"), nil, 200, &docs)
	if len(docs.Documents) != 1 || !docs.Documents[0].Signed {
		t.Fatalf("citizen 7's vault = %+v", docs)
	}
}

// jobAnswer is a sign job as GET /v1/agency/sign-jobs/{job} shows it.
type jobAnswer struct {
	Job, Status, Error string
	Done, Total        int
	Results            []struct{ DossierID, DocumentID, Error string }
}

// signJob starts a sign job (202) and polls it until it ends.
func signJob(t *testing.T, officer client, ids []string, cred, otp string) jobAnswer {
	t.Helper()
	var j jobAnswer
	officer.json("POST", "/v1/agency/sign-batch", map[string]any{"dossierIds": ids, "credentialId": cred, "otp": otp}, 202, &j)
	if j.Job == "" || j.Total != len(ids) {
		t.Fatalf("sign-batch answered %+v", j)
	}
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		officer.json("GET", "/v1/agency/sign-jobs/"+j.Job, nil, 200, &j)
		if j.Status == "done" || j.Status == "failed" {
			return j
		}
	}
	t.Fatalf("sign job %s still %s after 5 minutes (%d/%d)", j.Job, j.Status, j.Done, j.Total)
	return j
}
