package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/sohoa/sohoa/pkg/port/blobs"
)

// maxTarget bounds a redirect target taken from a request.
const maxTarget = 2048

// localTarget decides where a person may be sent: it returns s, written
// again from its parsed form, when a browser that follows it stays on this
// site, and "" otherwise. It is the one decision behind every redirect of
// the pages (after sign-in, after a form, after the provider's return).
//
// A browser is more lenient than net/url: it drops tabs and newlines
// anywhere in a URL, reads a backslash as a slash and "//host" as another
// site. So s must be an absolute path with no scheme and no authority, no
// control character raw or percent-encoded, no backslash raw or encoded, and
// must not begin with two slashes in any spelling. The sign-in page itself is
// refused, so that signing in cannot loop.
func localTarget(s string) string {
	if s == "" || len(s) > maxTarget || s[0] != '/' {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return ""
		}
	}
	// Percent-encoded, the same characters are refused too: a decoder on
	// the way (a proxy, the query of a next page) would bring them back.
	decoded, err := url.PathUnescape(s)
	if err != nil {
		return ""
	}
	for i := 0; i < len(decoded); i++ {
		if c := decoded[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return ""
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(decoded, "//") {
		return ""
	}
	if u.Path == "/signin" || strings.HasPrefix(u.Path, "/signin/") {
		return ""
	}
	out := p
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		out += "#" + u.EscapedFragment()
	}
	return out
}

// redirect answers with 303 See Other to a path of this site (post/redirect/get),
// with the query q added; a target localTarget refuses goes home instead.
func redirect(w http.ResponseWriter, r *http.Request, path string, q url.Values) {
	if len(q) > 0 {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + q.Encode()
	}
	target := localTarget(path)
	if target == "" {
		target = "/"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// redirectToProvider sends the browser to the identity provider's
// authorization endpoint: the one redirect that leaves the site, to a URL
// made from the configuration, never from the request.
func redirectToProvider(w http.ResponseWriter, r *http.Request, authURL string) {
	http.Redirect(w, r, authURL, http.StatusFound)
}

// redirectToSignin sends a person who is not signed in to the sign-in page,
// which brings them back to next if localTarget allows it.
func redirectToSignin(w http.ResponseWriter, r *http.Request, next string) {
	target := "/signin"
	if next = localTarget(next); next != "" {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// toFile sends the browser to a file by its short-lived link, made by our
// own blob store for this read (which is logged already), so that the bytes
// come from storage, never through the pages, whose answers Lambda caps at
// 6 MB. With redirectToProvider, it is the only redirect that leaves the site.
func toFile(w http.ResponseWriter, r *http.Request, l blobs.Link) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, l.URL, http.StatusSeeOther)
}
