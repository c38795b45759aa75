package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestLocalTarget(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"/me", "/me"},
		{"/desk/d/D-1?done=otp", "/desk/d/D-1?done=otp"},
		{"/me/doc/a%20b", "/me/doc/a%20b"},
		{"/me/doc/a b", "/me/doc/a%20b"},
		{"/track/x#top", "/track/x#top"},
		{"", ""},
		{"me", ""},
		{"//evil.example", ""},
		{"/\\evil.example", ""},
		{"/\tevil", ""},
		{"/\t/evil.example/phish", ""},
		{"/%09/evil.example/phish", ""},
		{"/%0a/evil.example", ""},
		{"/%0D%0A/evil.example", ""},
		{"/%5c/evil.example", ""},
		{"/%2F/evil.example", ""},
		{"/%2f%2fevil.example", ""},
		{"/me\r\nSet-Cookie: x=1", ""},
		{"/me?x=%00", ""},
		{"/me?x=\x7f", ""},
		{"https://evil.example", ""},
		{"javascript:alert(1)", ""},
		{"/signin", ""},
		{"/signin?next=/me", ""},
		{"/signin/oidc", ""},
		{"/me/" + strings.Repeat("a", maxTarget), ""},
		{"/%zz", ""},
	}
	for _, tt := range tests {
		if got := localTarget(tt.in); got != tt.want {
			t.Errorf("localTarget(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSignInGoesOnlyHome: the found attack, end to end: whatever next the
// sign-in form carries, the answer's Location stays on the site.
func TestSignInGoesOnlyHome(t *testing.T) {
	h, _ := newTestPages(t, nil)
	for _, next := range []string{"/\t/evil.example/phish", "/%09/evil.example/phish", "//evil.example", "/\\evil.example", "/counter/new"} {
		resp := serve(h, "POST", "/signin", "127.0.0.1", url.Values{"who": {"0"}, "next": {next}})
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !sameSite(loc) {
			t.Errorf("next %q: %d to %q", next, resp.StatusCode, loc)
		}
		if next == "/counter/new" && loc != next {
			t.Errorf("next %q: sent to %q", next, loc)
		}
	}
}

// sameSite reports whether a browser on https://sohoa.example/desk/x that
// follows Location loc stays on sohoa.example: as a browser does, tabs and
// newlines are dropped and backslashes read as slashes first.
func sameSite(loc string) bool {
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(loc)
	base, _ := url.Parse("https://sohoa.example/desk/x")
	ref, err := url.Parse(loc)
	if err != nil {
		return false
	}
	u := base.ResolveReference(ref)
	return u.Scheme == "https" && u.Host == "sohoa.example" && u.User == nil
}

// FuzzLocalTarget checks the invariant of localTarget: what it accepts, and
// the Location http.Redirect writes for it, keeps a browser on the site.
func FuzzLocalTarget(f *testing.F) {
	for _, s := range []string{"/me", "/%09/evil.example", "/\t/evil.example", "//x", "/\\x", "/a?b=c#d", "/./\\x", "/.//x", "/..//x", "/%2e%2e//x", "/%E2%80%AE", "/a/../\\x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := localTarget(s)
		if out == "" {
			return
		}
		if strings.ContainsAny(out, "\\\t\r\n") || !sameSite(out) {
			t.Fatalf("localTarget(%q) = %q leaves the site", s, out)
		}
		w := httptest.NewRecorder()
		redirect(w, httptest.NewRequest("GET", "/desk/x", nil), out, nil)
		if loc := w.Header().Get("Location"); !sameSite(loc) {
			t.Fatalf("redirect to %q wrote Location %q, which leaves the site", out, loc)
		}
	})
}

// TestRedirectsGoThroughLocalTarget: the pages answer a redirect only
// through redirect.go, so that localTarget decides every one.
func TestRedirectsGoThroughLocalTarget(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	direct := regexp.MustCompile(`http\.Redirect\(|Header\(\)\.Set\("Location"|StatusSeeOther\)|StatusFound\)`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "redirect.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if loc := direct.FindIndex(b); loc != nil {
			t.Errorf("%s redirects on its own (%q): use redirect, redirectToSignin or redirectToProvider", f, b[loc[0]:loc[1]])
		}
	}
}
