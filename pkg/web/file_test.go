package web

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/api"
)

// TestFilesCarryTheFilePolicy: a PDF a page serves inline (the receipt, the
// separator sheets) carries the same policy as the API's files, so a script
// in it runs nowhere.
func TestFilesCarryTheFilePolicy(t *testing.T) {
	h, _ := newTestPages(t, nil)
	ck := sessionOf(t, serve(h, "POST", "/signin", "127.0.0.1", url.Values{"who": {"0"}}))
	form := url.Values{"procedure": {"1.001193"}, "cccd": {"001203012345"}, "name": {"Nguyễn Văn An"}, "phone": {"0912345678"}, "postoffice": {"Bưu cục Hoàn Kiếm"}}
	loc := serve(h, "POST", "/counter/new", "127.0.0.1", form, ck).Header.Get("Location")
	dossierPath, _, _ := strings.Cut(loc, "?")
	for _, p := range []string{dossierPath + "/receipt", "/counter/sheets/1.001193.pdf", "/counter/sheets/1.001193.pdf?component=TKKS"} {
		resp := serve(h, "GET", p, "127.0.0.1", nil, ck)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("%s = %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if got := resp.Header.Get("Content-Security-Policy"); got != api.FileCSP {
			t.Errorf("%s: Content-Security-Policy %q, want %q", p, got, api.FileCSP)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Cache-Control"), "no-store") {
			t.Errorf("%s: headers %v", p, resp.Header)
		}
	}
}

// TestFilesGoThroughServeFile: a page handler that serves a file (a
// Content-Disposition, raw bytes, a CSV) does it through serveFile, so that
// none misses the file policy: pages rendered by render and the assets are
// the only other writers.
func TestFilesGoThroughServeFile(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	own := regexp.MustCompile(`"Content-Disposition"|\bw\.Write\(|WriteCSV\(w\b|"Content-Security-Policy"`)
	allowed := map[string]int{"file.go": 1, "page.go": 2, "assets.go": 1} // serveFile; render (policy, body); static
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(own.FindAll(b, -1)); n > allowed[f] {
			t.Errorf("%s writes a file or its headers on its own (%d places): use serveFile", f, n)
		}
	}
}
