package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// testProvider is a small OpenID Connect provider: an authorization endpoint
// that signs in one user and a token endpoint that checks the PKCE verifier
// (RFC 7636, S256), the client and the redirect URI before it answers an ID
// token carrying the nonce of the authorization request.
type testProvider struct {
	srv      *httptest.Server
	clientID string
	claims   map[string]any
	mu       sync.Mutex
	grants   map[string]grant
	// tamper changes the ID token's claims before it is sent.
	tamper func(map[string]any)
}

type grant struct {
	challenge, redirect, nonce string
}

func newTestProvider(t *testing.T, claims map[string]any) *testProvider {
	p := &testProvider{clientID: "sohoa-web", claims: claims, grants: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != p.clientID || q.Get("code_challenge_method") != "S256" ||
			q.Get("code_challenge") == "" || !strings.Contains(q.Get("scope"), "openid") {
			http.Error(w, "bad authorization request: "+r.URL.RawQuery, 400)
			return
		}
		code, _ := randomString()
		p.mu.Lock()
		p.grants[code] = grant{challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), nonce: q.Get("nonce")}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		p.mu.Lock()
		g, ok := p.grants[r.PostForm.Get("code")]
		delete(p.grants, r.PostForm.Get("code"))
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		client := r.PostForm.Get("client_id")
		if u, _, ok := r.BasicAuth(); ok {
			client = u
		}
		if !ok || r.PostForm.Get("grant_type") != "authorization_code" || client != p.clientID ||
			r.PostForm.Get("redirect_uri") != g.redirect || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		c := map[string]any{"iss": p.srv.URL, "aud": p.clientID, "exp": time.Now().Add(time.Hour).Unix(), "nonce": g.nonce}
		for k, v := range p.claims {
			c[k] = v
		}
		if p.tamper != nil {
			p.tamper(c)
		}
		payload, _ := json.Marshal(c)
		idToken := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(payload) + ".c2ln"
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// actorFromClaims maps claims as the api function's JWT authorizer mapping does.
func actorFromClaims(c map[string]string) (identity.Actor, error) {
	a := identity.Actor{Subject: c["sub"], Role: identity.Role(c["custom:role"]), Name: c["name"]}
	if a.Role == identity.Citizen {
		a.Subject = c["custom:citizen_id"]
	}
	if !a.Role.Valid() {
		return identity.Actor{}, errs.E(errs.Forbidden, "no role")
	}
	return a, nil
}

func TestOIDCCodeFlowWithPKCE(t *testing.T) {
	prov := newTestProvider(t, map[string]any{"sub": "c0ffee", "custom:role": "citizen", "custom:citizen_id": "001203012345",
		"name": "Nguyễn Văn An", "cognito:groups": []string{"citizen"}})
	o := &OIDC{AuthURL: prov.srv.URL + "/oauth2/authorize", TokenURL: prov.srv.URL + "/oauth2/token", ClientID: prov.clientID,
		Issuer: prov.srv.URL, Actor: actorFromClaims}
	h, _ := newTestPages(t, o)
	site := httptest.NewServer(h)
	defer site.Close()

	signIn := func(t *testing.T) (*http.Response, *cookiejar.Jar) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, err := c.Get(site.URL + "/signin/oidc?next=/me")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp, jar
	}
	t.Run("signs in", func(t *testing.T) {
		resp, jar := signIn(t)
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/me" {
			t.Fatalf("ended at %s with %d", resp.Request.URL, resp.StatusCode)
		}
		u, _ := url.Parse(site.URL)
		var session string
		for _, c := range jar.Cookies(u) {
			if c.Name == sessionCookie {
				session = c.Value
			}
		}
		a, err := h.c.Sessions.Check(context.Background(), session)
		if err != nil || a.Subject != "001203012345" || a.Role != identity.Citizen {
			t.Fatalf("session = %+v, %v", a, err)
		}
	})
	t.Run("a wrong nonce is refused", func(t *testing.T) {
		prov.tamper = func(c map[string]any) { c["nonce"] = "other" }
		defer func() { prov.tamper = nil }()
		if resp, _ := signIn(t); resp.StatusCode != 401 {
			t.Fatalf("status %d at %s, want 401", resp.StatusCode, resp.Request.URL)
		}
	})
	t.Run("another issuer or audience is refused", func(t *testing.T) {
		for _, f := range []func(map[string]any){
			func(c map[string]any) { c["iss"] = "https://evil.example" },
			func(c map[string]any) { c["aud"] = "someone-else" },
			func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() },
		} {
			prov.tamper = f
			if resp, _ := signIn(t); resp.StatusCode != 401 {
				t.Errorf("status %d, want 401", resp.StatusCode)
			}
		}
		prov.tamper = nil
	})
	t.Run("a callback without the flow's state is refused", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, err := c.Get(site.URL + "/signin/callback?code=x&state=y")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("the verifier must match the challenge", func(t *testing.T) {
		// An attacker who steals the code but not the browser's cookie
		// cannot redeem it: the token endpoint wants the verifier.
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, via []*http.Request) error {
			if r.URL.Path == "/signin/callback" {
				return http.ErrUseLastResponse
			}
			return nil
		}}
		resp, err := c.Get(site.URL + "/signin/oidc")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cb := resp.Header.Get("Location")
		fresh, _ := cookiejar.New(nil)
		u, _ := url.Parse(site.URL)
		for _, ck := range jar.Cookies(u) {
			if ck.Name == oidcCookie {
				// same state, forged verifier
				parts := strings.Split(ck.Value, ".")
				parts[2] = "forged-verifier-forged-verifier-forged-verifier"
				ck.Value = strings.Join(parts, ".")
				fresh.SetCookies(u, []*http.Cookie{ck})
			}
		}
		resp, err = (&http.Client{Jar: fresh}).Get(cb)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("status %d with a forged verifier, want 401", resp.StatusCode)
		}
	})
}

// TestOIDCSessionEndsWithTheIDToken: a session started by the provider lasts
// no longer than its ID token, even when the pages would allow longer.
func TestOIDCSessionEndsWithTheIDToken(t *testing.T) {
	prov := newTestProvider(t, map[string]any{"sub": "c0ffee", "custom:role": "citizen", "custom:citizen_id": "001203012345", "name": "Nguyễn Văn An"})
	start := time.Now()
	now := start
	prov.tamper = func(c map[string]any) { c["exp"] = start.Add(10 * time.Minute).Unix() }
	o := &OIDC{AuthURL: prov.srv.URL + "/oauth2/authorize", TokenURL: prov.srv.URL + "/oauth2/token", ClientID: prov.clientID,
		Issuer: prov.srv.URL, Actor: actorFromClaims}
	h, _ := newTestPagesAt(t, o, func() time.Time { return now })
	h.c.SessionTTL = 8 * time.Hour
	site := httptest.NewServer(h)
	defer site.Close()
	jar, _ := cookiejar.New(nil)
	resp, err := (&http.Client{Jar: jar}).Get(site.URL + "/signin/oidc?next=/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/me" {
		t.Fatalf("ended at %s with %d", resp.Request.URL, resp.StatusCode)
	}
	u, _ := url.Parse(site.URL)
	var session *http.Cookie
	for _, c := range jar.Cookies(u) {
		if c.Name == sessionCookie {
			session = c
		}
	}
	for _, tt := range []struct {
		after time.Duration
		open  bool
	}{{9 * time.Minute, true}, {11 * time.Minute, false}, {2 * time.Hour, false}} {
		now = start.Add(tt.after)
		resp := serve(h, "GET", "/me", "127.0.0.1", nil, session)
		if open := resp.StatusCode == http.StatusOK; open != tt.open {
			t.Errorf("/me %v after sign-in = %d, want open=%v", tt.after, resp.StatusCode, tt.open)
		}
	}
}
