package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/testkit/pdfcorpus"
)

// TestUntrustedPDFsOneDoor posts hostile and real-world PDFs to the public
// verifier and uploads each as the result of its own approved dossier: every
// answer is a verdict or a 4xx problem, never a 5xx, and the stack stays up.
// Then one OTP signs every result the upload accepted, through the CSC path:
// each signs, and the public verifier finds our signature valid.
//
// Every dossier is ingested from the same real split (as TestBatchSigning200
// does): the files under test are the results, not the scans.
func TestUntrustedPDFsOneDoor(t *testing.T) {
	heavy(t)
	st := inProcess(t, Options{Dev: true, Scans: presplit(t)})
	c := client{t: t, base: st.URL, operator: st.DevOperatorKey}
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	citizen := c.as(c.tokenFor("citizen", citizenID, "", "Nguyễn Văn An"))

	files := map[string][]byte{}
	for _, f := range pdfcorpus.Optional(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(f)] = b
	}
	files["nested arrays 200 deep"] = scantest.NestedArrays(200)
	files["nested arrays 10000 deep"] = scantest.NestedArrays(10000)
	files["good one-page result"] = resultPDF(t)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	accepted := map[string]string{} // dossier ID → file
	var ids []string
	for _, name := range names {
		pdf := files[name]
		stc, b, h := c.do("POST", "/v1/verify", "application/pdf", pdf)
		if stc >= 500 || (stc >= 400 && !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json")) {
			t.Errorf("%s: verify = %d %s", name, stc, b)
		}
		d := struct{ ID string }{approvedDossier(t, clerk, officer)}
		stc, b, h = officer.do("PUT", "/v1/dossiers/"+d.ID+"/result", "application/pdf", pdf)
		switch {
		case stc == 200:
			accepted[d.ID] = name
			ids = append(ids, d.ID)
		case stc >= 500 || stc < 400 || !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json"):
			t.Errorf("%s: result upload = %d %s", name, stc, b)
		default:
			t.Logf("%s: refused %d %s", name, stc, b)
		}
		if stc, _, _ := c.do("GET", "/healthz", "", nil); stc != 200 {
			t.Fatalf("after %s the stack is down: healthz %d", name, stc)
		}
	}
	for _, n := range []string{"nested arrays 200 deep", "nested arrays 10000 deep"} {
		for _, a := range accepted {
			if a == n {
				t.Errorf("%s was accepted as a result", n)
			}
		}
	}
	if len(ids) == 0 {
		t.Fatal("no result was accepted")
	}

	// One OTP signs every accepted result.
	cred := "cred-" + officerHT
	out := signJob(t, officer, ids, cred, requestOTP(t, officer, cred))
	if out.Status != "done" || len(out.Results) != len(ids) {
		t.Fatalf("sign job: %+v", out)
	}
	for _, r := range out.Results {
		name := accepted[r.DossierID]
		if r.DocumentID == "" || r.Error != "" {
			t.Errorf("%s: accepted at upload but not signed: %q", name, r.Error)
			continue
		}
		stc, signed, _ := citizen.do("GET", "/v1/vault/documents/"+r.DocumentID+"/content", "", nil)
		if stc != 200 {
			t.Fatalf("%s: download %d", name, stc)
		}
		var rep struct {
			Signatures []struct {
				Signer string
				Valid  bool
			}
		}
		stc, b, _ := c.do("POST", "/v1/verify", "application/pdf", signed)
		if err := json.Unmarshal(b, &rep); stc != 200 || err != nil || len(rep.Signatures) == 0 {
			t.Errorf("%s: verify of the signed result = %d %s", name, stc, b)
			continue
		}
		if last := rep.Signatures[len(rep.Signatures)-1]; !last.Valid || last.Signer != officerNam {
			t.Errorf("%s: our signature is not valid: %s", name, b)
		}
	}
	t.Logf("%d files, %d accepted as results and signed", len(files), len(ids))
}
