package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/domain/identity"
)

// TestTokenCacheHonoursExpiry: a cached token is still refused once it
// expires, and a token with a bad signature is never cached as good.
func TestTokenCacheHonoursExpiry(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss := identity.NewIssuer(key, "test", "sohoa")
	now := time.Now()
	clock := now
	auth := api.BearerAuth{Verifier: identity.NewVerifier("test", "sohoa", &key.PublicKey), Now: func() time.Time { return clock },
		Cache: api.NewTokenCache(10)}
	tok, err := iss.Issue(identity.Actor{Subject: "001203012345", Role: identity.Citizen}, now, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	req := func(tok string) *http.Request {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}
	if _, err := auth.Authenticate(req(tok)); err != nil {
		t.Fatal(err)
	}
	if a, err := auth.Authenticate(req(tok)); err != nil || a.Subject != "001203012345" {
		t.Fatalf("cached: %+v %v", a, err)
	}
	bad := tok[:len(tok)-4] + "AAAA"
	for i := 0; i < 2; i++ {
		if _, err := auth.Authenticate(req(bad)); err == nil {
			t.Fatal("a forged signature was accepted")
		}
	}
	clock = now.Add(10 * time.Minute)
	if _, err := auth.Authenticate(req(tok)); err == nil {
		t.Fatal("an expired token was served from the cache")
	}
}
