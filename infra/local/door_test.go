package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/scan/scantest"
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

// pdfCorpus reads the PDF corpus folder, when present (SOHOA_PDF_CORPUS,
// else corpus/pdf in the shared folder beside the module root).
func pdfCorpus(t *testing.T) map[string][]byte {
	dir := os.Getenv("SOHOA_PDF_CORPUS")
	if dir == "" {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			return nil
		}
		dir = filepath.Join(filepath.Dir(filepath.Dir(strings.TrimSpace(string(out)))), "shared", "corpus", "pdf")
	}
	fs, _ := filepath.Glob(filepath.Join(dir, "*"))
	m := map[string][]byte{}
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
// verifier and uploads them as an approved dossier's result: every answer is
// a verdict or a 4xx problem, never a 5xx, and the stack stays up. A result
// accepted at upload signs through the remote-signing path.
func TestUntrustedPDFsOneDoor(t *testing.T) {
	heavy(t)
	_, c := startStack(t, t.TempDir())
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	var created struct{ ID string }
	clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg,
		"citizen":    map[string]string{"id": citizenID, "name": "Nguyễn Văn An", "phone": "0912345678", "email": "an@example.vn"},
		"postOffice": "Bưu cục Hoàn Kiếm"}, 201, &created)
	complete := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD"))
	if stc, b, _ := clerk.do("PUT", "/v1/dossiers/"+created.ID+"/scan", "application/pdf", complete); stc != 202 {
		t.Fatalf("upload: %d %s", stc, b)
	}
	if d := clerk.waitStatus(created.ID); d.Status != "VALIDATED" {
		t.Fatalf("dossier %s: %+v", d.Status, d.Findings)
	}
	officer.json("POST", "/v1/dossiers/"+created.ID+"/decision", map[string]any{"approve": true, "note": "Đủ điều kiện"}, 200, nil)

	files := pdfCorpus(t)
	files["nested arrays 200 deep"] = hostilePDF(200)
	files["nested arrays 10000 deep"] = hostilePDF(10000)
	var accepted []string
	for name, pdf := range files {
		stc, b, h := c.do("POST", "/v1/verify", "application/pdf", pdf)
		if stc >= 500 || (stc >= 400 && !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json")) {
			t.Errorf("%s: verify = %d %s", name, stc, b)
		}
		stc, b, h = officer.do("PUT", "/v1/dossiers/"+created.ID+"/result", "application/pdf", pdf)
		switch {
		case stc == 200:
			accepted = append(accepted, name)
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
	t.Logf("accepted as results: %v", accepted)
	// The last result accepted is the one stored; it signs.
	if stc, b, _ := officer.do("PUT", "/v1/dossiers/"+created.ID+"/result", "application/pdf", files["qpdf-sample-form.pdf"]); len(files["qpdf-sample-form.pdf"]) > 0 && stc != 200 {
		t.Fatalf("the sample form is refused as a result: %d %s", stc, b)
	}
	signResult(t, nil, officer, created.ID)
}
