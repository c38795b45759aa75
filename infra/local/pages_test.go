package main

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// TestPagesJourneys takes each of the four users through their work in
// Chromium, through the pages only: the clerk receives a dossier, the officer
// decides and signs, the citizen downloads, shares and reads the access log,
// the auditor reads the dashboard; the public pages on the way.
func TestPagesJourneys(t *testing.T) {
	heavy(t)
	st, c := startStack(t, t.TempDir())
	b, stop := newBrowser(t, st.URL)
	defer stop()
	defer b.report()
	const citizenName = "Nguyễn Văn An"
	b.secret = []string{citizenID, citizenName, "0912345678"}
	write := fileWriter(t)
	incomplete := write("scan-thieu.pdf", scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai đăng ký khai sinh"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh")))
	complete := write("scan-du.pdf", scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai trang 1"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD mặt trước")))
	result := write("ket-qua.pdf", resultPDF(t))

	// Two more approved dossiers with results, for the batch signature,
	// prepared over the API.
	ids := prepareBatch(t, c, 2)

	// Landing, public pages, the language switch.
	b.open("landing", "/")
	if h := b.text("h1"); h != "Bạn là ai?" {
		t.Errorf("landing h1 = %q", h)
	}
	b.follow("landing-en", `a[href="/?lang=en"]`)
	if h := b.text("h1"); h != "Who are you?" {
		t.Errorf("English landing h1 = %q", h)
	}
	b.follow("landing-vi", `a[href="/?lang=vi"]`)

	// The clerk.
	b.signIn("counter", "Trần Thị Mai")
	if !strings.HasSuffix(b.location(), "/counter") {
		t.Fatalf("clerk lands on %s", b.location())
	}
	b.typeIn("#q", "khai sinh")
	b.submit("counter-search", `form[role=search] button`)
	b.follow("counter-new", `a[href="/counter/new?procedure=`+birthReg+`"]`)
	// A wrong citizen ID: the reason, at the top and beside the field.
	b.typeIn("#cccd", "00120301234")
	b.waitText("#cccd-live", "12 chữ số", 10*time.Second)
	b.typeIn("#name", citizenName)
	b.typeIn("#phone", "0912345678")
	b.typeIn("#email", "an@example.vn")
	b.click("#returnbypost")
	b.submit("counter-new-error", `form[action="/counter/new"] button`)
	if s := b.text(".error-summary"); !strings.Contains(s, "12 chữ số") {
		t.Errorf("error summary = %q", s)
	}
	if s := b.text("#cccd-error"); !strings.Contains(s, "12 chữ số") {
		t.Errorf("field error = %q", s)
	}
	b.typeIn("#cccd", citizenID)
	b.waitText("#cccd-live", "hợp lệ", 10*time.Second)
	b.submit("counter-dossier", `form[action="/counter/new"] button`)
	code := strings.TrimSpace(strings.TrimPrefix(b.text("h1"), "Hồ sơ"))
	if !strings.HasPrefix(code, agencyHT+"-") {
		t.Fatalf("dossier page h1 = %q", code)
	}
	dossierPath := strings.TrimPrefix(b.location(), st.URL)
	dossierPath = dossierPath[:strings.Index(dossierPath, "?")]
	// All separator sheets in one PDF.
	sheets := b.fetch(b.attr(`a[href$=".pdf"][href^="/counter/sheets/"]`, "href"))
	if sheets.Status != 200 || sheets.Head != "%PDF-" || !strings.HasPrefix(sheets.Type, "application/pdf") {
		t.Errorf("separator sheets: %+v", sheets)
	}
	// The incomplete scan: NEEDS_SUPPLEMENT, with what to do.
	b.upload("#scan", incomplete)
	b.press(`form[data-upload] button`) // the page follows the check live
	b.waitText("#status", "Cần bổ sung", 90*time.Second)
	b.check("counter-needs-supplement")
	if s := b.text(".findings"); !strings.Contains(s, "Thiếu thành phần") || !strings.Contains(s, "tờ phân cách CCCD") {
		t.Errorf("findings = %q", s)
	}
	// The complete scan: VALIDATED.
	b.upload("#scan", complete)
	b.press(`form[data-upload] button`)
	b.waitText("#status", "Hợp lệ", 90*time.Second)
	b.check("counter-validated")
	receipt := b.fetch(dossierPath + "/receipt")
	if receipt.Status != 200 || receipt.Head != "%PDF-" {
		t.Errorf("receipt: %+v", receipt)
	}
	// Today's dossiers of the post office: this one and the two prepared
	// for the batch, with their status.
	b.open("counter-today", "/counter")
	if s := b.text("#today + table"); !strings.Contains(s, code) || !strings.Contains(s, "Hợp lệ") || !strings.Contains(s, "Đăng ký khai sinh") {
		t.Errorf("today's dossiers of the post office: %q", s)
	}
	if n := eval[int](b, `document.querySelectorAll("#today + table tbody tr").length`); n != 1+len(ids) {
		t.Errorf("today's list has %d dossiers, want %d", n, 1+len(ids))
	}
	b.signOut()

	// Anyone: the receipt's QR code opens the tracking page.
	b.open("track", "/track/"+url.PathEscape(code))
	if s := b.text("main"); !strings.Contains(s, "Hợp lệ") || strings.Contains(s, citizenName) {
		t.Errorf("tracking page: %q", s)
	}

	// The officer: approve, upload, sign with the code from the SMS outbox.
	b.signIn("desk", "Nguyễn Thị Lĩnh")
	b.follow("desk-dossier", `a[href="`+strings.Replace(dossierPath, "/counter/", "/desk/", 1)+`"]`)
	// Each scanned page as a thumbnail (rendered in the scan reader's
	// child), opening large.
	thumbs := eval[int](b, `document.querySelectorAll("ul.thumbs img[loading=lazy][alt]:not([alt=''])").length`)
	if thumbs != 3 {
		t.Errorf("%d thumbnails with alt text, want 3 (one page in each of TKKS, GCS, CCCD)", thumbs)
	}
	eval[chromedp.Void](b, `document.querySelector("ul.thumbs").scrollIntoView()`)
	loaded := `[...document.querySelectorAll("ul.thumbs img")].every(i => i.complete && i.naturalWidth > 0 && i.naturalWidth <= 200)`
	for deadline := time.Now().Add(10 * time.Second); !eval[bool](b, loaded); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the thumbnails did not load as images at most 200 px wide")
		}
	}
	large := b.attr("ul.thumbs a", "href")
	if f := b.fetch(large); f.Status != 200 || f.Type != "image/jpeg" || f.Size < 20<<10 {
		t.Errorf("large page image %s: %+v", large, f)
	}
	b.do("open the large page image", chromedp.Navigate(st.URL+large))
	if w := eval[int](b, `document.images.length ? document.images[0].naturalWidth : 0`); w < 800 || w > 4000 {
		t.Errorf("the large page image is %d px wide, want 800 (rendered) to the page as scanned", w)
	}
	if b.shots != "" {
		ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err == nil {
			_ = os.WriteFile(filepath.Join(b.shots, "desk-page-large.png"), png, 0o644)
		}
	}
	b.do("back to the dossier", chromedp.NavigateBack())
	b.click("#decision-approve")
	b.typeIn("#note", "Đủ điều kiện")
	b.submit("desk-approved", `form[action$="/decision"] button`)
	b.upload("#result", result)
	b.submit("desk-result", `form[action$="/result"] button`)
	b.submit("desk-otp-sent", `form[action="/desk/otp"] button`)
	b.typeIn("#otp", "000000")
	b.submit("desk-wrong-otp", `form[action$="/sign"] button`)
	if s := b.text("#otp-error"); !strings.Contains(s, "sai") {
		t.Errorf("wrong OTP error = %q", s)
	}
	b.submit("desk-otp-again", `form[action="/desk/otp"] button`)
	b.typeIn("#otp", lastOTP(t, c))
	b.submit("desk-signed", `form[action$="/sign"] button`)
	if s := b.text(".notice"); !strings.Contains(s, "Đã ký số") {
		t.Fatalf("after signing: %q", s)
	}
	b.follow("desk-verification", `a[href$="/verification"]`)
	if s := b.text("main"); !strings.Contains(s, "Mọi chữ ký đều hợp lệ") {
		t.Errorf("the officer's signature report: %q", s)
	}
	// Batch: two results, one code.
	b.open("desk-approved-queue", "/desk?status=APPROVED")
	b.submit("desk-batch-otp", `form[action="/desk/otp"] button`)
	for _, id := range ids {
		if b.attr(`input[name=dossier][value="`+id+`"]`, "id") == "" {
			t.Fatalf("dossier %s is not offered for batch signing", id)
		}
		b.click(`input[name=dossier][value="` + id + `"]`)
	}
	b.typeIn("#batch-otp", lastOTP(t, c))
	// The batch runs as a sign job; its page follows it live to the end.
	b.press(`form[action="/desk/sign-batch"] button`)
	if !strings.Contains(b.location(), "/desk/jobs/") {
		t.Fatalf("after the batch submission: %s", b.location())
	}
	b.waitText("[role=status]", "Đã xong", 90*time.Second)
	b.check("desk-batch-job")
	if s := b.text("[role=status]"); !strings.Contains(s, "đã ký 2/2") {
		t.Errorf("batch signing: %q", s)
	}
	if n := eval[int](b, `[...document.querySelectorAll("main table tbody tr")].filter(r => r.textContent.includes("Đã ký")).length`); n != len(ids) {
		t.Errorf("%d dossiers shown signed on the job page, want %d: %q", n, len(ids), b.text("main table"))
	}
	b.signOut()

	// The citizen: download, share, revoke, the access log.
	b.signIn("me", citizenName)
	if s := b.text("main"); !strings.Contains(s, "Giấy khai sinh") || !strings.Contains(s, code) || !strings.Contains(s, "Đã có kết quả") {
		t.Errorf("vault page (documents, and the dossier with its status): %q", s)
	}
	b.follow("me-doc", `a[href^="/me/doc/"]`)
	docID := strings.TrimPrefix(strings.TrimPrefix(b.location(), st.URL), "/me/doc/")
	doc := b.fetch(b.attr(`a[href$="/file"]`, "href"))
	if doc.Status != 200 || doc.Head != "%PDF-" {
		t.Errorf("download: %+v", doc)
	}
	b.click("#ttl-86400")
	b.typeIn("#recipient", "Ngân hàng ABC")
	b.submit("me-shared", `form[action$="/share"] button`)
	link := b.attr("#share-link", "href")
	if !strings.HasPrefix(link, st.URL+"/s/") {
		t.Fatalf("share link = %q", link)
	}
	recipient, closeRecipient := b.fresh("recipient-")
	recipient.secret = nil
	recipient.open("share", strings.TrimPrefix(link, st.URL))
	if s := recipient.text("main"); !strings.Contains(s, "hợp lệ") {
		t.Errorf("share page: %q", s)
	}
	if f := recipient.fetch(recipient.attr(`a[href$="/file"]`, "href")); f.Status != 200 || f.Head != "%PDF-" {
		t.Errorf("shared download: %+v", f)
	}
	b.submit("me-revoked", `form[action$="/revoke"] button`)
	recipient.open("share-revoked", strings.TrimPrefix(link, st.URL))
	if s := recipient.text("main"); !strings.Contains(s, "thu hồi") {
		t.Errorf("revoked share page: %q", s)
	}
	// A second link, revoked from the list of live links on the vault page.
	b.click("#ttl-3600")
	b.typeIn("#recipient", "Sở Tư pháp")
	b.submit("me-shared-again", `form[action$="/share"] button`)
	second := b.attr("#share-link", "href")
	b.open("me-live-shares", "/me")
	if s := b.text("main"); !strings.Contains(s, "Sở Tư pháp") || strings.Contains(s, "Ngân hàng ABC") {
		t.Errorf("live share links: %q", s)
	}
	b.submit("me-revoked-from-list", `form[action$="/revoke"] button`)
	recipient.open("share-revoked-2", strings.TrimPrefix(second, st.URL))
	if s := recipient.text("main"); !strings.Contains(s, "thu hồi") {
		t.Errorf("second share after revocation from the list: %q", s)
	}
	closeRecipient()
	b.open("me-log", "/me/log")
	if s := b.text("main"); !strings.Contains(s, "Người nhận liên kết chia sẻ (Ngân hàng ABC) đã tải") || !strings.Contains(s, "nguyên vẹn") ||
		!strings.Contains(s, officerNam+", ") || !strings.Contains(s, "đã xem Giấy khai sinh") || strings.Contains(s, officerHT) || !strings.Contains(s, "trong hồ sơ "+code) {
		t.Errorf("access log: %q", s)
	}
	b.signOut()

	// The clerk hands the paper result over by post.
	b.signIn("counter-return", "Trần Thị Mai")
	b.typeIn("#code", code)
	b.submit("counter-result", `form.panel button`)
	b.typeIn("#waybill", "EMS123456789VN")
	b.submit("counter-returned", `form[action$="/returned"] button`)
	if s := b.text("#status"); !strings.Contains(s, "bưu điện") {
		t.Errorf("after the return by post: %q", s)
	}
	b.signOut()

	// Anyone verifies the signed result.
	citizen := c.as(c.tokenFor("citizen", citizenID, "", citizenName))
	stc, signedPDF, _ := citizen.do("GET", "/v1/vault/documents/"+docID+"/content", "", nil)
	if stc != 200 {
		t.Fatalf("document %s: %d", docID, stc)
	}
	signed := write("da-ky.pdf", signedPDF)
	b.open("verify", "/verify")
	b.upload("#pdf", signed)
	b.submit("verify-report", `form[action="/verify"] button`)
	if s := b.text("main"); !strings.Contains(s, "Mọi chữ ký đều hợp lệ") {
		t.Errorf("verify page: %q", s)
	}

	// The auditor.
	b.signIn("stats", "Phạm Thu Hà")
	deadline := time.Now().Add(30 * time.Second)
	for eval[int](b, `document.querySelectorAll("main table tbody tr").length`) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the dashboard never counted the dossier: %q", b.text("main"))
		}
		time.Sleep(500 * time.Millisecond)
		b.open("stats", "/stats")
	}
	if b.attr("svg.chart", "role") != "img" {
		t.Error("no chart on the dashboard")
	}
	csv := b.fetch(b.attr(`a[href^="/stats/csv"]`, "href"))
	if csv.Status != 200 || !strings.HasPrefix(csv.Type, "text/csv") || !strings.Contains(csv.Text, agencyHT) {
		t.Errorf("CSV: %+v", csv)
	}
	// In English, and the choice sticks.
	b.follow("stats-en", `a[href="/stats?lang=en"]`)
	b.open("track-en", "/track/"+url.PathEscape(code))
	if h := b.text("h1"); h != "Track a dossier" || !strings.Contains(b.text("main"), "Result returned by post") {
		t.Errorf("English tracking page: %q / %q", h, b.text("main"))
	}
}

// prepareBatch makes n dossiers of another citizen APPROVED with a result
// uploaded, over the API, and returns their IDs.
func prepareBatch(t *testing.T, c client, n int) []string {
	t.Helper()
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	scan := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD"))
	var ids []string
	for range n {
		var created struct{ ID string }
		clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg,
			"citizen": map[string]string{"id": "079090000001", "name": "Lê Văn Bình"}, "postOffice": "Bưu cục Hoàn Kiếm"}, 201, &created)
		if stc, b, _ := clerk.do("PUT", "/v1/dossiers/"+created.ID+"/scan", "application/pdf", scan); stc != 202 {
			t.Fatalf("batch upload: %d %s", stc, b)
		}
		ids = append(ids, created.ID)
	}
	for _, id := range ids {
		if d := clerk.waitStatus(id); d.Status != "VALIDATED" {
			t.Fatalf("batch dossier %s: %s %+v", id, d.Status, d.Findings)
		}
		officer.json("POST", "/v1/dossiers/"+id+"/decision", map[string]any{"approve": true, "note": "Đủ điều kiện"}, 200, nil)
		if stc, b, _ := officer.do("PUT", "/v1/dossiers/"+id+"/result", "application/pdf", resultPDF(t)); stc != 200 {
			t.Fatalf("batch result: %d %s", stc, b)
		}
	}
	return ids
}

// lastOTP reads the newest one-time code texted to the officer.
func lastOTP(t *testing.T, c client) string {
	t.Helper()
	var box struct {
		Messages []struct{ Channel, Subject, Body string }
	}
	// The outbox holds officers' codes: it answers only the dev operator.
	c.as(c.op()).json("GET", "/v1/dev/outbox?to="+url.QueryEscape(officerPhone), nil, 200, &box)
	for i := len(box.Messages) - 1; i >= 0; i-- {
		// Only the code's own message: a notification texted later names a
		// dossier code, whose date reads as six digits too.
		if m := box.Messages[i]; m.Channel == "sms" && m.Subject == "OTP" {
			if code := otpIn(m.Body); code != "" {
				return code
			}
		}
	}
	t.Fatalf("no OTP SMS in the outbox: %+v", box)
	return ""
}

// TestPagesWithoutJavaScript receives a dossier at the counter with the
// browser's scripts off: plain forms, a plain upload, a refresh link.
func TestPagesWithoutJavaScript(t *testing.T) {
	heavy(t)
	st, c := startStack(t, t.TempDir())
	ids := prepareBatch(t, c, 1)
	b, stop := newBrowser(t, st.URL)
	defer stop()
	defer b.report()
	b.prefix, b.noScript = "nojs-", true
	if _, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	scan := filepath.Join(t.TempDir(), "scan.pdf")
	if err := os.WriteFile(scan, scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD")), 0o644); err != nil {
		t.Fatal(err)
	}
	b.signIn("counter", "Trần Thị Mai")
	b.open("counter-new", "/counter/new?procedure="+birthReg)
	b.typeIn("#cccd", citizenID)
	b.typeIn("#name", "Nguyễn Văn An")
	b.submit("counter-dossier", `form[action="/counter/new"] button`)
	if js := eval[bool](b, `document.getElementById("cccd-live") !== null && document.getElementById("cccd-live").textContent !== ""`); js {
		t.Error("the page's script ran although scripts are off")
	}
	path := strings.TrimPrefix(b.location(), st.URL)
	path = path[:strings.Index(path, "?")]
	b.upload("#scan", scan)
	b.submit("counter-uploaded", `form[action$="/scan"] button`)
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(b.text("#status"), "Hợp lệ") {
		if time.Now().After(deadline) {
			t.Fatalf("still %q after 90 s", b.text("#status"))
		}
		time.Sleep(300 * time.Millisecond)
		b.do("refresh", chromedp.Navigate(st.URL+path))
	}
	b.check("counter-validated")
	b.signOut()

	// The officer's batch: its sign job's page reloads itself to the end.
	b.signIn("desk", "Nguyễn Thị Lĩnh")
	b.open("desk-approved", "/desk?status=APPROVED")
	b.submit("desk-otp-sent", `form[action="/desk/otp"] button`)
	b.click(`input[name=dossier][value="` + ids[0] + `"]`)
	b.typeIn("#batch-otp", lastOTP(t, c))
	b.submit("desk-batch-job", `form[action="/desk/sign-batch"] button`)
	b.waitText("[role=status]", "Đã xong", 90*time.Second)
	b.check("desk-batch-done")
	if s := b.text("[role=status]"); !strings.Contains(s, "đã ký 1/1") {
		t.Errorf("batch signing without script: %q", s)
	}
}
