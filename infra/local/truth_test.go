package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// TestClerksMistakesStayAtTheCounter: at the counter the clerk uploads a
// text file named .pdf and a PDF without pages, then the real scan. Each
// wrong upload is refused with its reason and listed as an upload that could
// not be used; the dossier stays «Đã tiếp nhận» and the citizen is told
// nothing about a supplement; the real scan makes it «Hợp lệ» and nothing is
// left to do.
func TestClerksMistakesStayAtTheCounter(t *testing.T) {
	heavy(t)
	st, c := startStack(t, t.TempDir())
	b, stop := newBrowser(t, st.URL)
	defer stop()
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	var d struct{ ID, Code string }
	clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg, "postOffice": "Bưu cục Hoàn Kiếm",
		"citizen": map[string]string{"id": citizenID, "name": "Nguyễn Văn An", "phone": "0912345678"}}, 201, &d)
	write := fileWriter(t)
	wrong := []struct{ file, reason string }{
		{write("ghi-chu.pdf", []byte("Ghi chú của nhân viên, không phải bản quét.\n")), "không phải bản quét"},
		{write("rong.pdf", []byte("%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")), "không có trang"},
	}
	good := write("scan-du.pdf", scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai trang 1"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD mặt trước")))

	b.signIn("counter", "Trần Thị Mai")
	b.open("counter-dossier", "/counter/d/"+d.ID)
	for i, w := range wrong {
		b.upload("#scan", w.file)
		b.press(`form[data-upload] button`)
		b.waitText("#attempt-list", w.reason, 90*time.Second)
		b.check("counter-attempt-" + string(rune('1'+i)))
		if n := eval[int](b, `document.querySelectorAll("#attempt-list li").length`); n != i+1 {
			t.Errorf("upload %d: %d uploads listed as unusable", i+1, n)
		}
		if s := b.text("#status"); !strings.Contains(s, "Đã tiếp nhận") {
			t.Errorf("upload %d: the dossier says %q, want it still received", i+1, s)
		}
		if s := b.text(".findings"); !strings.Contains(s, w.reason) {
			t.Errorf("upload %d: what needs doing = %q, want the reason %q", i+1, s, w.reason)
		}
	}
	b.upload("#scan", good)
	b.press(`form[data-upload] button`)
	b.waitText("#status", "Hợp lệ", 90*time.Second)
	b.check("counter-validated-after-attempts")
	if s := b.text("main"); strings.Contains(s, "Cần xử lý") || !strings.Contains(s, "Lần tải lên không dùng được") {
		t.Errorf("after the real scan: %q", s)
	}
	// The officers' notice of the valid dossier comes after every earlier
	// event: by then the citizen would have been told of a supplement.
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	deadline := time.Now().Add(30 * time.Second)
	for !outboxHas(t, officer, "+84900000001", d.Code) {
		if time.Now().After(deadline) {
			t.Fatal("the officers were never told of the valid dossier")
		}
		time.Sleep(200 * time.Millisecond)
	}
	var box struct {
		Messages []struct{ Subject, Body string }
	}
	officer.as(officer.op()).json("GET", "/v1/dev/outbox?to=0912345678", nil, 200, &box)
	if len(box.Messages) == 0 {
		t.Error("the citizen got no receipt notice")
	}
	for _, m := range box.Messages {
		if strings.Contains(m.Subject+m.Body, "bổ sung") || strings.Contains(m.Body, "bo sung") {
			t.Errorf("the citizen was told of a supplement for the clerk's uploads: %q", m.Subject+" "+m.Body)
		}
	}
}

// outboxHas reports whether a message to the address names the dossier code.
func outboxHas(t *testing.T, c client, to, code string) bool {
	t.Helper()
	var box struct{ Messages []struct{ Body string } }
	c.as(c.op()).json("GET", "/v1/dev/outbox?to="+strings.ReplaceAll(to, "+", "%2B"), nil, 200, &box)
	for _, m := range box.Messages {
		if strings.Contains(m.Body, code) {
			return true
		}
	}
	return false
}

// fileWriter returns a function that writes a file for the browser to
// upload, in a folder of the test's, and returns its path.
func fileWriter(t *testing.T) func(name string, data []byte) string {
	dir := t.TempDir()
	return func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
}
