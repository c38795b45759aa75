package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/pdfdoor"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	heavytest "github.com/sohoa/sohoa/pkg/testkit/heavy"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

func TestMain(m *testing.M) {
	scan.RunChildIfRequested()
	pdfdoor.RunChildIfRequested()
	ocr.RunChildIfRequested()
	os.Exit(m.Run())
}

// heavy skips a test that decodes many scanned pages (or builds the binary)
// unless heavy tests are on (make test runs them in its race-free pass).
func heavy(t *testing.T) {
	t.Helper()
	heavytest.Skip(t)
}

// client drives the stack over HTTP as a script would.
type client struct {
	t     *testing.T
	base  string
	token string
	// operator is the dev operator's key, which opens the outbox; data is
	// the data folder of a stack started as a process, where the key is
	// written at start (op reads it from there when operator is empty).
	operator string
	data     string
}

// op returns the dev operator's key: the client's, or the one the stack
// wrote into its data folder.
func (c client) op() string {
	c.t.Helper()
	if c.operator != "" || c.data == "" {
		return c.operator
	}
	b, err := os.ReadFile(filepath.Join(c.data, operatorKeyFile))
	if err != nil {
		c.t.Fatalf("the dev operator's key: %v", err)
	}
	return strings.TrimSpace(string(b))
}

func (c client) do(method, path, ctype string, body []byte) (int, []byte, http.Header) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// json sends v as JSON and decodes the answer into out, failing unless the status is want.
func (c client) json(method, path string, v any, want int, out any) {
	c.t.Helper()
	var body []byte
	if v != nil {
		body, _ = json.Marshal(v)
	}
	st, b, h := c.do(method, path, "application/json", body)
	if st != want {
		c.t.Fatalf("%s %s = %d %s, want %d", method, path, st, b, want)
	}
	if st >= 400 && !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") {
		c.t.Fatalf("%s %s: error without a problem document: %s", method, path, h.Get("Content-Type"))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

func (c client) as(token string) client { c.token = token; return c }

func (c client) tokenFor(role, subject, agency, name string) string {
	var out struct{ Token string }
	req := map[string]string{"role": role, "subject": subject, "agency": agency, "name": name}
	if role == "postal_clerk" {
		req["postOffice"] = "Bưu cục Hoàn Kiếm"
	}
	c.as("").json("POST", "/v1/dev/tokens", req, 201, &out)
	return out.Token
}

type dossierJSON struct {
	ID         string `json:"id"`
	Code       string `json:"code"`
	Status     string `json:"status"`
	DueAt      time.Time
	Components []struct {
		Code, Source, SHA256, DocumentID string
		Pages                            int
		Certified                        bool
	}
	Findings []struct{ Component, Severity, Code, Audience, Message string }
	History  []struct{ Status string }
	Scans    int
	Attempts []struct{ At time.Time }
}

// waitStatus polls the dossier until its newest scan has been read
// (ingestion runs in the background): it left SCANNED, or is back at the
// counter with that upload as an attempt.
func (c client) waitStatus(id string) dossierJSON {
	c.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var d dossierJSON
		c.json("GET", "/v1/dossiers/"+id, nil, 200, &d)
		if d.Status != "SCANNED" && (d.Status != "RECEIVED" || (d.Scans > 0 && len(d.Attempts) == d.Scans)) {
			return d
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("dossier %s still %s after 90 s", id, d.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func startStack(t *testing.T, dir string) (*Stack, client) {
	t.Helper()
	st := inProcess(t, Options{Dev: true, DataDir: dir})
	return st, client{t: t, base: st.URL, operator: st.DevOperatorKey}
}

// presplit splits one real three-component scan once and hands that result
// to every ingestion (Options.Scans): for tests about what follows, where
// reaching APPROVED hundreds of times through real decoding would only cost
// time.
func presplit(t testing.TB) dossier.ScanReader {
	t.Helper()
	sample, err := scantest.Dossier(scantest.Spec{Seed: 3, Sheets: []scantest.Sheet{
		scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD")}})
	if err != nil {
		t.Fatal(err)
	}
	split, err := scan.Split(context.Background(), sample, scan.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return dossier.ScanBytes(func(context.Context, []byte) (*scan.Result, error) { return split, nil })
}

// inProcess starts a local stack in this process for a test: on a free loopback port, its data
// in a temporary folder and its log discarded (SOHOA_TEST_LOG=1 shows it)
// unless o says otherwise. It is drained and shut down when the test ends.
func inProcess(t testing.TB, o Options) *Stack {
	t.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Log == nil {
		var logTo io.Writer = io.Discard
		if os.Getenv("SOHOA_TEST_LOG") != "" {
			logTo = os.Stderr
		}
		o.Log = slog.New(slog.NewTextHandler(logTo, nil))
	}
	st, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := st.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return st
}

func scanPDF(t *testing.T, sheets ...scantest.Sheet) []byte {
	t.Helper()
	b, err := scantest.Dossier(scantest.Spec{Sheets: sheets, Seed: uint64(len(sheets))})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	birthReg   = "1.001193"
	agencyHT   = "000.21.29.H29"
	citizenID  = "001203012345"
	officerHT  = "officer-hotich"
	officerNam = "Nguyễn Thị Lĩnh"
)

// TestDossierEndToEnd follows one dossier from the counter to the citizen's
// vault over real HTTP: the path of docs/walkthrough.md.
func TestDossierEndToEnd(t *testing.T) {
	heavy(t)
	st, c := startStack(t, t.TempDir())
	var health map[string]string
	c.json("GET", "/healthz", nil, 200, &health)

	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	citizen := c.as(c.tokenFor("citizen", citizenID, "", "Nguyễn Văn An"))
	other := c.as(c.tokenFor("citizen", "079090000001", "", "Lê Văn B"))

	// The clerk prints a separator sheet per component.
	for _, code := range []string{"TKKS", "GCS", "CCCD"} {
		stc, b, h := clerk.do("GET", "/v1/separators/"+code+".pdf", "", nil)
		if stc != 200 || h.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatalf("separator %s: %d %s", code, stc, h.Get("Content-Type"))
		}
	}
	var created struct {
		ID, Code, Status string
		Upload           struct{ Method, URL string }
	}
	clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg,
		"citizen":    map[string]string{"id": citizenID, "name": "Nguyễn Văn An", "phone": "0912345678", "email": "an@example.vn"},
		"postOffice": "Bưu cục Hoàn Kiếm", "returnByPost": true}, 201, &created)
	if created.Status != "RECEIVED" || created.Upload.Method != "PUT" || !strings.HasSuffix(created.Upload.URL, "/v1/dossiers/"+created.ID+"/scan") {
		t.Fatalf("created = %+v", created)
	}

	// First scan: the CCCD is left out.
	missing := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai đăng ký khai sinh"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"))
	if stc, b, _ := clerk.do("PUT", "/v1/dossiers/"+created.ID+"/scan", "application/pdf", missing); stc != 202 {
		t.Fatalf("upload: %d %s", stc, b)
	}
	d := clerk.waitStatus(created.ID)
	if d.Status != "NEEDS_SUPPLEMENT" || len(d.Findings) == 0 || d.Findings[0].Component != "CCCD" || d.Findings[0].Code != "component.reuse-pending" {
		t.Fatalf("after incomplete scan: %+v", d)
	}
	if !strings.Contains(d.Findings[0].Message, "Thiếu thành phần") {
		t.Errorf("finding is not plain Vietnamese: %q", d.Findings[0].Message)
	}

	// The complete scan validates.
	complete := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai trang 1"), scantest.Text("Tờ khai trang 2"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD mặt trước"), scantest.Text("CCCD mặt sau"))
	if stc, b, _ := clerk.do("PUT", "/v1/dossiers/"+created.ID+"/scan", "application/pdf", complete); stc != 202 {
		t.Fatalf("re-upload: %d %s", stc, b)
	}
	d = clerk.waitStatus(created.ID)
	pages := map[string]int{}
	for _, comp := range d.Components {
		pages[comp.Code] = comp.Pages
		if !comp.Certified {
			t.Errorf("component %s is not certified", comp.Code)
		}
	}
	if d.Status != "VALIDATED" || pages["TKKS"] != 2 || pages["GCS"] != 1 || pages["CCCD"] != 2 {
		t.Fatalf("after complete scan: %s %v %+v", d.Status, pages, d.Findings)
	}
	// Past ingestion, another scan is refused.
	if stc, _, _ := clerk.do("PUT", "/v1/dossiers/"+created.ID+"/scan", "application/pdf", complete); stc != 409 {
		t.Errorf("upload to VALIDATED = %d, want 409", stc)
	}
	if stc, b, _ := clerk.do("GET", "/v1/dossiers/"+created.ID+"/receipt.pdf", "", nil); stc != 200 || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("receipt: %d", stc)
	}
	// Each certified copy carries the conversion mark on page 1 and a seal
	// that pdfsig accepts.
	for _, code := range []string{"TKKS", "GCS", "CCCD"} {
		stc, comp, _ := clerk.do("GET", "/v1/dossiers/"+created.ID+"/components/"+code+"/content", "", nil)
		if stc != 200 {
			t.Fatalf("component %s: %d", code, stc)
		}
		pdfsigValid(t, st, comp)
		if text := pdfText(t, comp, 1); text != "" && !strings.Contains(text, "chuyển đổi từ bản giấy") {
			t.Errorf("component %s: page 1 has no conversion mark:\n%s", code, text)
		}
	}

	// The officer finds it in the queue, approves, uploads and signs the result.
	var q struct{ Dossiers []dossierJSON }
	officer.json("GET", "/v1/agency/dossiers?status=VALIDATED", nil, 200, &q)
	if len(q.Dossiers) != 1 || q.Dossiers[0].ID != created.ID {
		t.Fatalf("agency queue = %+v", q)
	}
	officer.json("POST", "/v1/dossiers/"+created.ID+"/decision", map[string]any{"approve": true, "note": "Đủ điều kiện"}, 200, nil)
	result := resultPDF(t)
	if stc, b, _ := officer.do("PUT", "/v1/dossiers/"+created.ID+"/result", "application/pdf", result); stc != 200 {
		t.Fatalf("result upload: %d %s", stc, b)
	}
	// The citizen's vault reaches them at the contact they set themselves:
	// the result's notice goes there, not to what was typed at the counter.
	citizen.json("PUT", "/v1/vault/contact", map[string]string{"email": "an@example.vn"}, 200, nil)
	docID := signResult(t, st, officer, created.ID)

	// The citizen finds the signed result in the vault; nobody else can.
	var docs struct {
		Documents []struct {
			ID, Kind, SHA256 string
			Signed           bool
		}
	}
	citizen.json("GET", "/v1/vault/documents", nil, 200, &docs)
	var found bool
	kinds := map[string]bool{}
	for _, doc := range docs.Documents {
		found = found || (doc.ID == docID && doc.Signed)
		kinds[doc.Kind] = true
	}
	// The certified copies of the validated scan are in the vault too, for
	// reuse; nothing from the incomplete first scan was issued twice.
	if len(docs.Documents) != 4 || !kinds["TKKS"] || !kinds["GCS"] || !kinds["CCCD"] || !kinds["GKS"] {
		t.Errorf("vault = %+v, want the result and the three certified components", docs.Documents)
	}
	if !found {
		t.Fatalf("signed result %s not in the vault: %+v", docID, docs)
	}
	stc, signed, h := citizen.do("GET", "/v1/vault/documents/"+docID+"/content", "", nil)
	if stc != 200 || h.Get("Content-Type") != "application/pdf" {
		t.Fatalf("download: %d", stc)
	}
	other.json("GET", "/v1/vault/documents/"+docID, nil, 404, nil)
	if stc, _, _ := other.do("GET", "/v1/vault/documents/"+docID+"/content", "", nil); stc != 404 {
		t.Errorf("another citizen's download = %d, want 404", stc)
	}
	var rep struct {
		Valid      bool
		Signatures []struct {
			Signer                      string
			Valid, Trusted, Timestamped bool
		}
	}
	c.json("POST", "/v1/verify", nil, 415, nil) // not a PDF: a problem naming what is wrong
	stc, b, _ := c.do("POST", "/v1/verify", "application/pdf", signed)
	if err := json.Unmarshal(b, &rep); stc != 200 || err != nil || !rep.Valid {
		t.Fatalf("verify: %d %s", stc, b)
	}
	rep.Signatures = nil
	pdfsigValid(t, st, signed)
	// One byte changed inside the signed range: the signature is invalid.
	tampered := bytes.Clone(signed)
	tampered[len(tampered)/4] ^= 0x01
	stc, b, _ = c.do("POST", "/v1/verify", "application/pdf", tampered)
	if err := json.Unmarshal(b, &rep); stc != 200 || err != nil || rep.Valid || len(rep.Signatures) == 0 || rep.Signatures[0].Valid {
		t.Errorf("verify of a tampered PDF: %d %s", stc, b)
	}

	var tr map[string]any
	c.json("GET", "/v1/track/"+created.Code, nil, 200, &tr)
	tb, _ := json.Marshal(tr)
	for _, pd := range []string{citizenID, "Nguyễn Văn An", "0912345678", "an@example.vn"} {
		if bytes.Contains(tb, []byte(pd)) {
			t.Errorf("tracking leaks %q: %s", pd, tb)
		}
	}
	if tr["status"] != "RESULT_ISSUED" {
		t.Errorf("tracking status = %v", tr["status"])
	}

	// Every status change reached the citizen by email, SMS and in-app, once.
	want := map[string]bool{"RECEIVED": true, "NEEDS_SUPPLEMENT": true, "RESULT_ISSUED": true}
	var box struct {
		Messages []struct{ Channel, To, Subject, Body string }
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		officer.as(officer.op()).json("GET", "/v1/dev/outbox?to=an%40example.vn", nil, 200, &box)
		if len(box.Messages) >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	subjects := map[string]int{}
	for _, m := range box.Messages {
		subjects[m.Subject]++
		if m.Channel != "email" || strings.Contains(m.Body, citizenID) {
			t.Errorf("citizen email %+v: wrong channel or carries the citizen ID", m)
		}
	}
	if len(box.Messages) != len(want) || len(subjects) != len(want) {
		t.Errorf("citizen emails = %v, want one per status of %v", subjects, want)
	}
	var inbox struct{ Notifications []struct{ Subject string } }
	citizen.json("GET", "/v1/notifications", nil, 200, &inbox)
	if len(inbox.Notifications) != len(want) {
		t.Errorf("citizen in-app notifications = %+v", inbox)
	}

	// The auditor's statistics count the dossier.
	auditor := c.as(c.tokenFor("auditor", "auditor-01", "", ""))
	day := time.Now().In(time.FixedZone("ICT", 7*3600))
	period := "?from=" + day.AddDate(0, 0, -1).Format("2006-01-02") + "&to=" + day.AddDate(0, 0, 1).Format("2006-01-02")
	var sla struct {
		Agencies []struct {
			Agency             string
			Received, Resolved int
		}
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		auditor.json("GET", "/v1/reports/sla"+period, nil, 200, &sla)
		if len(sla.Agencies) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if len(sla.Agencies) != 1 || sla.Agencies[0].Agency != agencyHT || sla.Agencies[0].Received != 1 || sla.Agencies[0].Resolved != 1 {
		t.Errorf("SLA report = %+v", sla)
	}
	if stc, b, h := auditor.do("GET", "/v1/reports/sla"+period, "", nil); stc != 200 || h.Get("Content-Type") == "text/csv" || len(b) == 0 {
		t.Errorf("SLA JSON: %d %s", stc, h.Get("Content-Type"))
	}
	req, _ := http.NewRequest("GET", c.base+"/v1/reports/sla"+period, nil)
	req.Header.Set("Authorization", "Bearer "+auditor.token)
	req.Header.Set("Accept", "text/csv")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("SLA CSV: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// pdfText extracts the text of one page with poppler's pdftotext, or "" if
// it is not installed (the rest of the test goes on).
func pdfText(t *testing.T, pdf []byte, page int) string {
	t.Helper()
	if !pdftool.Available("pdftotext") {
		t.Log("pdftotext not installed (make tools installs it): text check skipped")
		return ""
	}
	return pdftool.Text(t, pdf, page)
}

// resultPDF makes a one-page result document as an agency would upload it.
func resultPDF(t *testing.T) []byte {
	t.Helper()
	return scanPDF(t, scantest.Text("GIẤY KHAI SINH — Nguyễn Văn Bình"))
}

// pdfsigValid checks a signed PDF with poppler's pdfsig, trusting only the
// dev root, and with qpdf; without the tools it logs and the test goes on.
func pdfsigValid(t *testing.T, st *Stack, pdf []byte) {
	t.Helper()
	if !pdftool.Available("pdfsig") || !pdftool.Available("certutil") {
		t.Log("pdfsig or certutil not installed (make tools installs them): independent check skipped")
		return
	}
	out := pdftool.Pdfsig(t, pdftool.NSS(t, st.PKI.RootPEM()), pdf)
	for _, want := range []string{"Signature is Valid", "Certificate is Trusted", "ETSI.CAdES.detached"} {
		if !strings.Contains(out, want) {
			t.Errorf("pdfsig does not say %q:\n%s", want, out)
		}
	}
	pdftool.QpdfCheck(t, pdf)
}

// signResult signs a dossier's result as an officer does: pick the credential,
// ask for an OTP (it arrives by SMS: the local outbox), sign with it.
func signResult(t *testing.T, st *Stack, officer client, id string) string {
	t.Helper()
	var creds struct {
		Credentials []struct{ ID, Subject, Certificate string }
	}
	officer.json("GET", "/v1/signing/credentials", nil, 200, &creds)
	if len(creds.Credentials) == 0 || !strings.Contains(creds.Credentials[0].Certificate, "BEGIN CERTIFICATE") {
		t.Fatalf("credentials = %+v", creds)
	}
	cred := creds.Credentials[0].ID
	otp := requestOTP(t, officer, cred)
	// A wrong OTP is 403 and signs nothing.
	officer.json("POST", "/v1/dossiers/"+id+"/result/sign", map[string]string{"credentialId": cred, "otp": "000000" + "x"}, 403, nil)
	var signed struct{ DocumentID string }
	officer.json("POST", "/v1/dossiers/"+id+"/result/sign", map[string]string{"credentialId": cred, "otp": otp}, 200, &signed)
	if signed.DocumentID == "" {
		t.Fatal("no document ID")
	}
	return signed.DocumentID
}

// requestOTP asks for a one-time code and reads it from the SMS outbox.
func requestOTP(t *testing.T, officer client, cred string) string {
	t.Helper()
	officer.json("POST", "/v1/signing/credentials/"+cred+"/otp", nil, 202, nil)
	var box struct {
		Messages []struct{ Channel, To, Body string }
	}
	officer.as(officer.op()).json("GET", "/v1/dev/outbox?to="+url.QueryEscape(officerPhone), nil, 200, &box)
	for i := len(box.Messages) - 1; i >= 0; i-- {
		m := box.Messages[i]
		if m.Channel == "sms" {
			if code := otpIn(m.Body); code != "" {
				return code
			}
		}
	}
	t.Fatalf("no OTP SMS for %s in the outbox: %+v", officerPhone, box)
	return ""
}

// otpIn returns the first run of 6 digits in s.
func otpIn(s string) string {
	run := 0
	for i, r := range s {
		if r >= '0' && r <= '9' {
			run++
			if run == 6 && (i+1 == len(s) || s[i+1] < '0' || s[i+1] > '9') {
				return s[i-5 : i+1]
			}
			continue
		}
		run = 0
	}
	return ""
}

const officerPhone = "+84900000001"
