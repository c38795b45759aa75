package main

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
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
	st := inProcess(t, Options{Dev: true, Scans: presplit(t)})
	c := client{t: t, base: st.URL, operator: st.DevOperatorKey}
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
			// Results are checked a few at a time: a client told 429 comes
			// back after Retry-After, as a script should.
			for try := 0; ; try++ {
				st, b, h := officer.do("PUT", "/v1/dossiers/"+d.ID+"/result", "application/pdf", result)
				if st == 429 && try < 120 {
					wait, _ := strconv.Atoi(h.Get("Retry-After"))
					time.Sleep(time.Duration(max(wait, 1)) * time.Second)
					continue
				}
				if st != 200 {
					t.Errorf("result: %d %s", st, b)
				}
				break
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
	k := min(7, n-1) // one of the signed dossiers' citizens
	citizen := c.as(c.tokenFor("citizen", fmt.Sprintf("001203%06d", k), "", ""))
	var docs struct {
		Documents []struct {
			ID     string
			Signed bool
		}
	}
	citizen.json("GET", "/v1/vault/documents?kind="+url.QueryEscape("GKS"), nil, 200, &docs)
	if len(docs.Documents) != 1 || !docs.Documents[0].Signed {
		t.Fatalf("citizen %d's vault = %+v", k, docs)
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
