package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// OIDC signs people in with an OpenID Connect provider — on AWS, Cognito's
// hosted UI — by the authorization code flow with PKCE (RFC 7636, S256). The
// ID token comes straight from the provider's token endpoint over TLS, so, as
// OpenID Connect Core 1.0 §3.1.3.7 (6) allows, TLS server authentication
// stands for its signature; its issuer, audience, expiry and nonce are
// checked here. The session cookie then carries Sohoa's own session token.
type OIDC struct {
	Issuer       string // the iss the ID token must carry
	AuthURL      string // authorization endpoint (Cognito: https://DOMAIN/oauth2/authorize)
	TokenURL     string // token endpoint (Cognito: https://DOMAIN/oauth2/token)
	ClientID     string
	ClientSecret string // empty for a public client
	// RedirectURL is this site's /signin/callback as registered with the
	// provider; empty: https://<the request's host>/signin/callback.
	RedirectURL string
	Scopes      []string
	// Actor maps the ID token's verified claims to an actor (on AWS the same
	// mapping as the API's JWT authorizer claims).
	Actor func(claims map[string]string) (identity.Actor, error)
	// HTTPClient talks to the token endpoint (default: 10-second timeout).
	HTTPClient *http.Client
}

const oidcCookie = "sohoa_oidc"

func (o *OIDC) config(r *http.Request) *oauth2.Config {
	redirect := o.RedirectURL
	if redirect == "" {
		scheme := "https"
		if loopback(r) && r.TLS == nil {
			scheme = "http"
		}
		redirect = scheme + "://" + r.Host + "/signin/callback"
	}
	scopes := o.Scopes
	if len(scopes) == 0 {
		scopes = []string{"openid", "email", "profile"}
	}
	return &oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: redirect, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: o.AuthURL, TokenURL: o.TokenURL}}
}

func randomString() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// oidcStart sends the browser to the provider with a fresh state, nonce and
// PKCE verifier, kept in a short-lived HttpOnly cookie.
func (h *Handler) oidcStart(w http.ResponseWriter, r *http.Request, p *page) error {
	o := h.c.OIDC
	if o == nil {
		return errs.E(errs.NotFound, "Không có trang này / No such page")
	}
	state, err := randomString()
	if err != nil {
		return err
	}
	nonce, err := randomString()
	if err != nil {
		return err
	}
	verifier := oauth2.GenerateVerifier()
	next := localTarget(r.URL.Query().Get("next"))
	h.setCookie(w, r, oidcCookie, strings.Join([]string{state, nonce, verifier, base64.RawURLEncoding.EncodeToString([]byte(next))}, "."), 10*time.Minute)
	u := o.config(r).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce))
	redirectToProvider(w, r, u)
	return nil
}

// oidcCallback exchanges the code (with the PKCE verifier) for tokens, checks
// the ID token and starts a session.
func (h *Handler) oidcCallback(w http.ResponseWriter, r *http.Request, p *page) error {
	o := h.c.OIDC
	if o == nil {
		return errs.E(errs.NotFound, "Không có trang này / No such page")
	}
	deny := func(why string) error {
		return errs.E(errs.Unauthorized, "Đăng nhập không thành công (%s); hãy thử lại / Sign-in failed (%s); try again", why, why)
	}
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		return deny("no state")
	}
	h.setCookie(w, r, oidcCookie, "", -1)
	parts := strings.Split(c.Value, ".")
	q := r.URL.Query()
	if len(parts) != 4 || q.Get("state") == "" || q.Get("state") != parts[0] {
		return deny("state")
	}
	if e := q.Get("error"); e != "" {
		return deny(e)
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, client)
	tok, err := o.config(r).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(parts[2]))
	if err != nil {
		h.c.Log.Warn("oidc code exchange failed", "err", err)
		return deny("code")
	}
	raw, _ := tok.Extra("id_token").(string)
	claims, err := idTokenClaims(raw, o.Issuer, o.ClientID, parts[1], h.c.Now())
	if err != nil {
		h.c.Log.Warn("oidc id token refused", "err", err)
		return deny("id_token")
	}
	a, err := o.Actor(claims)
	if err != nil {
		return err
	}
	// The session ends no later than the ID token: the provider's word on
	// how long this sign-in holds (idTokenClaims checked that exp is there).
	exp, _ := strconv.ParseInt(claims["exp"], 10, 64)
	next, _ := base64.RawURLEncoding.DecodeString(parts[3])
	return h.startSession(w, r, a, string(next), time.Unix(exp, 0))
}

// idTokenClaims decodes an ID token received from the token endpoint and
// checks iss, aud, exp and nonce. Claims come back as strings; arrays as
// "[a b]" (the form API Gateway hands to the function).
func idTokenClaims(raw, issuer, clientID, nonce string, now time.Time) (map[string]string, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("id token: not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("id token: payload: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("id token: payload: %w", err)
	}
	out := map[string]string{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case float64:
			out[k] = fmt.Sprintf("%.0f", v)
		case bool:
			out[k] = fmt.Sprint(v)
		case []any:
			var ss []string
			for _, e := range v {
				ss = append(ss, fmt.Sprint(e))
			}
			out[k] = "[" + strings.Join(ss, " ") + "]"
		}
	}
	if out["iss"] != issuer {
		return nil, fmt.Errorf("id token: issuer %q, want %q", out["iss"], issuer)
	}
	aud := out["aud"]
	if aud != clientID && !strings.Contains(" "+strings.Trim(aud, "[]")+" ", " "+clientID+" ") {
		return nil, fmt.Errorf("id token: audience %q is not %q", aud, clientID)
	}
	exp, ok := m["exp"].(float64)
	if !ok || now.After(time.Unix(int64(exp), 0)) {
		return nil, fmt.Errorf("id token: expired or no exp")
	}
	if out["nonce"] != nonce {
		return nil, fmt.Errorf("id token: nonce does not match")
	}
	return out, nil
}
