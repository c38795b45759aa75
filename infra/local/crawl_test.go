package main

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// Rules every page and notice keeps, whoever reads it, in either language.
var (
	// roleSubject is an actor label ("postal_clerk:clerk-01") or a login ID
	// of the development staff shown to a person.
	roleSubject = regexp.MustCompile(`\b(postal_clerk|agency_officer|citizen|auditor|system):[\w*.-]+|\b(clerk-\d+|officer-[a-z]+|auditor-\d+)\b`)
	// goError is text of an error from Go itself or a library, never meant for people.
	goError = regexp.MustCompile(`%!|<nil>|\bruntime error\b|\bno such file\b|\bcontext deadline exceeded\b|\bunexpected EOF\b|\bstrconv\.|\bjson: |\bsql: |\bdial tcp\b|\binvalid character\b|\bno %PDF- header\b`)
	// englishWords and vietnameseWords are words of one language that the
	// other never writes: two in one stretch of text make a sentence.
	englishWords    = regexp.MustCompile(`(?i)\b(the|is|are|was|were|and|of|to|your|this|cannot|could|please|must|has|have|with)\b`)
	vietnameseWords = regexp.MustCompile(`(?i)(^|[^\p{L}])(của|được|không|này|hãy|vui lòng|bạn|đã|cần|với|những|các|cho)([^\p{L}]|$)`)
	hrefs           = regexp.MustCompile(`(?i)\b(?:href|action)="([^"]*)"`)
	scripts         = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)>`)
	tags            = regexp.MustCompile(`<[^>]*>`)
)

// catalogueNames removes the names of procedures, components and agencies
// from a page's text: they are Vietnamese data, said as they are in every
// language, not sentences.
var catalogueNames = func() *strings.Replacer {
	var pairs []string
	for _, p := range procedure.Default().All() {
		pairs = append(pairs, p.Name, "", p.AgencyName, "")
		for _, c := range p.Components {
			pairs = append(pairs, c.Name, "")
		}
	}
	return strings.NewReplacer(pairs...)
}()

// pageProblems lists what a page tells a person that is not for people: an
// English sentence on a Vietnamese page (or the reverse), a link to the
// machine API, a login ID, a Go error, no heading, a 404 that does not say
// "not found".
func pageProblems(lang string, status int, body string) []string {
	var out []string
	if !regexp.MustCompile(`<h1[\s>]`).MatchString(body) {
		out = append(out, "no <h1>")
	}
	for _, m := range hrefs.FindAllStringSubmatch(body, -1) {
		if strings.Contains(m[1], "/v1/") {
			out = append(out, "a link to the API: "+m[1])
		}
	}
	text := html.UnescapeString(tags.ReplaceAllString(scripts.ReplaceAllString(body, ""), "\n"))
	text = catalogueNames.Replace(text)
	for _, chunk := range strings.Split(text, "\n") {
		chunk = strings.TrimSpace(chunk)
		if chunk == "" {
			continue
		}
		if m := roleSubject.FindString(chunk); m != "" {
			out = append(out, "a login ID or role:subject "+strconv.Quote(m)+" in "+strconv.Quote(chunk))
		}
		if m := goError.FindString(chunk); m != "" {
			out = append(out, "a Go error "+strconv.Quote(m)+" in "+strconv.Quote(chunk))
		}
		if lang == "vi" && len(englishWords.FindAllString(chunk, -1)) >= 2 {
			out = append(out, "English on a Vietnamese page: "+strconv.Quote(chunk))
		}
		if lang == "en" && len(vietnameseWords.FindAllString(chunk, -1)) >= 2 {
			out = append(out, "Vietnamese on an English page: "+strconv.Quote(chunk))
		}
	}
	if status == http.StatusNotFound {
		want := map[string]string{"vi": "Không tìm thấy", "en": "ot found"}[lang]
		if !strings.Contains(text, want) {
			out = append(out, "a 404 that does not say "+strconv.Quote(want))
		}
	}
	return out
}

// TestPageProblems: the crawler's rules catch what they are for.
func TestPageProblems(t *testing.T) {
	for _, tc := range []struct {
		name, lang string
		status     int
		body       string
		bad        bool
	}{
		{"a plain page", "vi", 200, `<h1>Hồ sơ</h1><p>Đã tiếp nhận hồ sơ của bạn.</p><a href="/track/X">Tra cứu</a>`, false},
		{"no heading", "vi", 200, `<p>Đã tiếp nhận</p>`, true},
		{"an API link", "vi", 200, `<h1>Hồ sơ</h1><a href="/v1/track/X">Tra cứu</a>`, true},
		{"a role and login ID", "vi", 200, `<h1>Hồ sơ</h1><li>Hợp lệ (postal_clerk:clerk-01)</li>`, true},
		{"a Go error", "en", 200, `<h1>Error</h1><p>open x: no such file or directory</p>`, true},
		{"English on a Vietnamese page", "vi", 200, `<h1>Lỗi</h1><p>The file is not a PDF</p>`, true},
		{"Vietnamese on an English page", "en", 200, `<h1>Error</h1><p>Hồ sơ này đã được tiếp nhận</p>`, true},
		{"Vietnamese names on an English page", "en", 200, `<h1>Dossier</h1><td>Tờ khai đăng ký khai sinh</td>`, false},
		{"a 404 heading", "en", 404, `<h1>Not found</h1>`, false},
		{"a 404 that says something else", "vi", 404, `<h1>Không thực hiện được</h1>`, true},
	} {
		if got := pageProblems(tc.lang, tc.status, tc.body); (len(got) > 0) != tc.bad {
			t.Errorf("%s: problems %q", tc.name, got)
		}
	}
}

// crawler is a browser without scripts: a cookie jar, links followed.
type crawler struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newCrawler(t *testing.T, base string) *crawler {
	jar, _ := cookiejar.New(nil)
	return &crawler{t: t, base: base, c: &http.Client{Jar: jar}}
}

func (c *crawler) get(path string) (int, string, string) {
	c.t.Helper()
	resp, err := c.c.Get(c.base + path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// signIn signs in as the roster's person whose label contains name, on the
// development sign-in page.
func (c *crawler) signIn(name string) {
	c.t.Helper()
	_, _, page := c.get("/signin")
	m := regexp.MustCompile(`value="(\d+)"><label for="who-\d+">` + regexp.QuoteMeta(name)).FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no %s on the sign-in page", name)
	}
	req, _ := http.NewRequest("POST", c.base+"/signin", strings.NewReader(url.Values{"who": {m[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
}

// skipped are links the crawler does not follow: files, images, actions,
// the language switch (the crawl sets the language itself).
var skipped = regexp.MustCompile(`/file$|\.pdf|/csv|/p/\d|/static/|/signout|/signin/oidc|lang=|/status$|^/s/`)

// crawl visits the pages reachable from start in lang and reports each
// page's problems.
func (c *crawler) crawl(who, lang string, start []string) int {
	c.t.Helper()
	c.get("/?lang=" + lang) // the choice sticks in a cookie
	seen := map[string]bool{}
	queue := append([]string(nil), start...)
	for len(queue) > 0 && len(seen) < 80 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		status, ctype, body := c.get(path)
		if !strings.HasPrefix(ctype, "text/html") {
			continue
		}
		for _, p := range pageProblems(lang, status, body) {
			c.t.Errorf("%s, %s, %s (%d): %s", who, lang, path, status, p)
		}
		for _, m := range hrefs.FindAllStringSubmatch(body, -1) {
			u := html.UnescapeString(m[1])
			u = strings.TrimPrefix(u, c.base)
			if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") || skipped.MatchString(u) {
				continue
			}
			if i := strings.Index(u, "#"); i >= 0 {
				u = u[:i]
			}
			if !seen[u] && !strings.Contains(m[0], "action=") {
				queue = append(queue, u)
			}
		}
	}
	return len(seen)
}

// postFile sends a form with one file, as a browser on the page would, and
// returns the page it answers.
func (c *crawler) postFile(path, field, name string, data []byte) (int, string) {
	c.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, _ := w.CreateFormFile(field, name)
	fw.Write(data)
	w.Close()
	req, _ := http.NewRequest("POST", c.base+path, &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestCrawlTellsTheTruth walks the pages every kind of user reaches, in
// both languages, over dossiers in each state (an unusable counter upload, a
// supplement request, validated, signed), and every notice of the outbox.
func TestCrawlTellsTheTruth(t *testing.T) {
	heavy(t)
	st, c := startStack(t, t.TempDir())
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	create := func() string {
		var d struct{ ID, Code string }
		clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg,
			"citizen":    map[string]string{"id": citizenID, "name": "Nguyễn Văn An", "phone": "0912345678", "email": "an@example.vn"},
			"postOffice": "Bưu cục Hoàn Kiếm", "returnByPost": true}, 201, &d)
		return d.ID
	}
	upload := func(id string, b []byte) {
		if stc, body, _ := clerk.do("PUT", "/v1/dossiers/"+id+"/scan", "application/pdf", b); stc != 202 {
			t.Fatalf("upload: %d %s", stc, body)
		}
	}
	incomplete := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai đăng ký khai sinh"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"))
	complete := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai trang 1"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD mặt trước"))
	// One left at the counter after an upload that is no scan.
	atCounter := create()
	upload(atCounter, []byte("Xin chào, đây không phải bản quét.\n"))
	waitAttempt(t, clerk, atCounter, 1)
	// One waiting for the citizen's supplement.
	asked := create()
	upload(asked, incomplete)
	if d := clerk.waitStatus(asked); d.Status != "NEEDS_SUPPLEMENT" {
		t.Fatalf("incomplete scan: %s", d.Status)
	}
	// One signed after an unusable upload and a supplement.
	signed := create()
	upload(signed, []byte("%PDF-1.4\n%%EOF\n"))
	waitAttempt(t, clerk, signed, 1)
	upload(signed, incomplete)
	clerk.waitStatus(signed)
	upload(signed, complete)
	if d := clerk.waitStatus(signed); d.Status != "VALIDATED" {
		t.Fatalf("complete scan: %s %+v", d.Status, d.Findings)
	}
	officer.json("POST", "/v1/dossiers/"+signed+"/decision", map[string]any{"approve": true, "note": "Đủ điều kiện"}, 200, nil)
	if stc, b, _ := officer.do("PUT", "/v1/dossiers/"+signed+"/result", "application/pdf", resultPDF(t)); stc != 200 {
		t.Fatalf("result: %d %s", stc, b)
	}
	signResult(t, st, officer, signed)
	var d struct{ Code string }
	clerk.json("GET", "/v1/dossiers/"+signed, nil, 200, &d)
	prepareBatch(t, c, 1) // one approved, waiting for its signature

	public := []string{"/", "/track", "/track?code=", "/track/" + d.Code, "/track/000.21.29.H29-000000-0000", "/verify", "/signin", "/khong-co-trang-nay"}
	for _, person := range []struct{ name, start string }{
		{"", ""}, {"Trần Thị Mai", "/counter"}, {officerNam, "/desk"}, {"Nguyễn Văn An", "/me"}, {"Phạm Thu Hà", "/stats"},
	} {
		for _, lang := range []string{"vi", "en"} {
			cr := newCrawler(t, st.URL)
			start := public
			if person.name != "" {
				cr.signIn(person.name)
				start = []string{person.start, "/counter/d/" + atCounter, "/counter/d/" + asked, "/counter/d/" + signed,
					"/desk/d/" + signed, "/desk/d/" + asked}
			}
			n := cr.crawl(person.name, lang, start)
			if n < len(start) {
				t.Errorf("%s, %s: %d pages visited", person.name, lang, n)
			}
			t.Logf("%q, %s: %d pages", person.name, lang, n)
		}
	}

	// What a page says of a file it cannot take, in each language.
	for _, lang := range []string{"vi", "en"} {
		cr := newCrawler(t, st.URL)
		cr.get("/?lang=" + lang)
		status, body := cr.postFile("/verify", "pdf", "ghi-chu.pdf", []byte("not a PDF at all\n"))
		for _, p := range pageProblems(lang, status, body) {
			t.Errorf("verify a text file, %s (%d): %s", lang, status, p)
		}
	}

	// Every notice sent: pages, not machines; people by name; each language apart.
	type message struct{ Channel, To, Subject, Body string }
	var all []message
	for _, to := range []string{"an@example.vn", "0912345678", "+84912345678", "+84900000001", "linh.nt@hotich.example.gov.vn"} {
		var box struct{ Messages []message }
		officer.as(officer.op()).json("GET", "/v1/dev/outbox?to="+url.QueryEscape(to), nil, 200, &box)
		all = append(all, box.Messages...)
	}
	if len(all) < 5 {
		t.Fatalf("%d notices in the outbox", len(all))
	}
	t.Logf("%d notices", len(all))
	for _, m := range all {
		sep := "\n\n---\n\n" // an email's languages; a text message's are "vi / en"
		if m.Channel == "sms" {
			sep = " / "
		}
		vi, en, _ := strings.Cut(m.Body, sep)
		viSubject, enSubject, _ := strings.Cut(m.Subject, " / ")
		for _, p := range pageProblems("vi", 200, "<h1>"+viSubject+"</h1>\n"+html.EscapeString(withoutLinks(vi))) {
			t.Errorf("notice %q to %s (%s): %s", m.Subject, m.To, m.Channel, p)
		}
		if en != "" {
			for _, p := range pageProblems("en", 200, "<h1>"+enSubject+"</h1>\n"+html.EscapeString(withoutLinks(en))) {
				t.Errorf("notice %q to %s (%s), English: %s", m.Subject, m.To, m.Channel, p)
			}
		}
		if strings.Contains(m.Body, "/v1/") {
			t.Errorf("notice %q links to the API: %q", m.Subject, m.Body)
		}
	}
}

// withoutLinks drops the addresses from a notice's text: a path is not a sentence.
func withoutLinks(s string) string {
	return regexp.MustCompile(`https?://\S+`).ReplaceAllString(s, "")
}

// waitAttempt waits until the dossier's upload has been read and left it
// at the counter as its n-th attempt.
func waitAttempt(t *testing.T, c client, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var d struct {
			Status   string
			Attempts []struct{ At time.Time }
		}
		c.json("GET", "/v1/dossiers/"+id, nil, 200, &d)
		if d.Status != "SCANNED" {
			if len(d.Attempts) != n {
				t.Fatalf("dossier %s is %s with %d attempts, want %d", id, d.Status, len(d.Attempts), n)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("dossier %s: the upload was never read", id)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
