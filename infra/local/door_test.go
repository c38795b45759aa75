package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// hostilePDF returns a one-page PDF whose catalog holds an array nested n
// deep (733 bytes for n = 200).
func hostilePDF(n int) []byte {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R /X " + strings.Repeat("[", n) + strings.Repeat("]", n) + " >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"}
	var b strings.Builder
	b.WriteString("%PDF-1.7\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return []byte(b.String())
}

// pdfCorpus reads the PDF corpus folder (SOHOA_PDF_CORPUS, which make sets
// when the corpus is checked out beside the repository), if any.
func pdfCorpus(t *testing.T) map[string][]byte {
	m := map[string][]byte{}
	dir := os.Getenv("SOHOA_PDF_CORPUS")
	if dir == "" {
		return m
	}
	fs, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range fs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(f)] = b
	}
	return m
}

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
	citizen := c.as(c.tokenFor("citizen", citizenID, "", "Nguyễn Văn An"))

	files := pdfCorpus(t)
	files["nested arrays 200 deep"] = hostilePDF(200)
	files["nested arrays 10000 deep"] = hostilePDF(10000)
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
		var d struct{ ID string }
		clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg, "postOffice": "Bưu cục Hoàn Kiếm",
			"citizen": map[string]string{"id": citizenID, "name": "Nguyễn Văn An"}}, 201, &d)
		if stc, b, _ := clerk.do("PUT", "/v1/dossiers/"+d.ID+"/scan", "application/pdf", []byte("scan")); stc != 202 {
			t.Fatalf("upload: %d %s", stc, b)
		}
		if got := clerk.waitStatus(d.ID); got.Status != "VALIDATED" {
			t.Fatalf("dossier %s: %s", d.ID, got.Status)
		}
		officer.json("POST", "/v1/dossiers/"+d.ID+"/decision", map[string]any{"approve": true}, 200, nil)
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
