package main

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// TestDeskPageResultGoesThroughTheDoor uploads results through the desk
// page, as an officer's browser does: a PDF the isolated door cannot read (a
// page tree nested 100,000 deep, a file with no pages) is refused on the spot
// with a Vietnamese message and nothing is stored, exactly as PUT …/result
// refuses it; a good one is stored.
func TestDeskPageResultGoesThroughTheDoor(t *testing.T) {
	heavy(t)
	st := inProcess(t, Options{Dev: true, Scans: presplit(t)})
	c := client{t: t, base: st.URL, operator: st.DevOperatorKey}
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	session := pageSession(t, st.URL, officerNam)
	tests := []struct {
		name   string
		pdf    []byte
		stored bool
	}{
		{"nested 100000 deep", scantest.NestedArrays(100000), false},
		{"no pages", []byte("%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" +
			"trailer<</Root 1 0 R/Size 3>>\n%%EOF\n"), false},
		{"good", resultPDF(t), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := struct{ ID string }{approvedDossier(t, clerk, officer)}

			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			fw, _ := mw.CreateFormFile("result", "ket-qua.pdf")
			_, _ = fw.Write(tt.pdf)
			_ = mw.Close()
			req, _ := http.NewRequest("POST", st.URL+"/desk/d/"+d.ID+"/result", &body)
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			req.AddCookie(&http.Cookie{Name: "sohoa_session", Value: session})
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var got struct{ Result *struct{ Sha256 string } }
			officer.json("GET", "/v1/dossiers/"+d.ID, nil, 200, &got)
			if tt.stored {
				if resp.StatusCode != http.StatusSeeOther || got.Result == nil {
					t.Fatalf("a good result: %d, stored %v\n%s", resp.StatusCode, got.Result != nil, page)
				}
				return
			}
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("the desk page answered %d, want 422 on the spot\n%s", resp.StatusCode, page)
			}
			if !strings.Contains(string(page), "Tệp kết quả bị từ chối") {
				t.Errorf("no Vietnamese reason on the page:\n%s", page)
			}
			if got.Result != nil {
				t.Errorf("a result the door refuses was stored: %+v", got.Result)
			}
		})
	}
}

// approvedDossier opens a dossier at the counter, ingests its scan (a stack
// started with presplit) and approves it: ready for its result.
func approvedDossier(t *testing.T, clerk, officer client) string {
	t.Helper()
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
	return d.ID
}

// pageSession signs in on the development sign-in page as the roster's
// person named name, as a browser does, and returns the session cookie's
// value (sessions are records the stack keeps: none can be made by hand).
func pageSession(t *testing.T, base, name string) string {
	t.Helper()
	resp, err := http.Get(base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`value="(\d+)"><label for="who-\d+">` + regexp.QuoteMeta(name)).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no %s on the sign-in page", name)
	}
	req, _ := http.NewRequest("POST", base+"/signin", strings.NewReader(url.Values{"who": {string(m[1])}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "sohoa_session" && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("signing in as %s gave no session (%d)", name, resp.StatusCode)
	return ""
}
