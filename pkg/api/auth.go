package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// BearerAuth authenticates requests by an ES256 JWT in the Authorization header.
type BearerAuth struct {
	Verifier *identity.Verifier
	Now      func() time.Time
	// Cache, if set, remembers tokens whose signature was verified, so that a
	// client's burst of requests costs one ECDSA verification, not one each.
	Cache *TokenCache
}

// Authenticate implements Authenticator.
func (b BearerAuth) Authenticate(r *http.Request) (identity.Actor, error) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return identity.Actor{}, errs.E(errs.Unauthorized, "send an access token: Authorization: Bearer <token>")
	}
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	tok = strings.TrimSpace(tok)
	t := now()
	if a, ok := b.Cache.get(tok, t); ok {
		return a, nil
	}
	a, err := b.Verifier.Verify(tok, t)
	if err != nil {
		return a, err
	}
	b.Cache.put(tok, a, t)
	return a, nil
}

// TokenCache holds recently verified tokens (by their SHA-256, never the
// token itself) for at most a minute and never past their expiry.
type TokenCache struct {
	mu  sync.Mutex
	max int
	m   map[[32]byte]cached
}

type cached struct {
	a     identity.Actor
	until time.Time
}

// tokenCacheTTL bounds how long a verified token is trusted without
// checking its signature again.
const tokenCacheTTL = time.Minute

// NewTokenCache returns a cache of at most max tokens.
func NewTokenCache(max int) *TokenCache {
	return &TokenCache{max: max, m: map[[32]byte]cached{}}
}

func (c *TokenCache) get(tok string, now time.Time) (identity.Actor, bool) {
	if c == nil {
		return identity.Actor{}, false
	}
	k := sha256.Sum256([]byte(tok))
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || !now.Before(e.until) {
		delete(c.m, k)
		return identity.Actor{}, false
	}
	return e.a, true
}

func (c *TokenCache) put(tok string, a identity.Actor, now time.Time) {
	if c == nil {
		return
	}
	until := now.Add(tokenCacheTTL)
	// The token was verified: its payload is ours to read for its expiry.
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(raw, &claims) != nil || claims.Exp == 0 {
		return
	}
	if exp := time.Unix(claims.Exp, 0); exp.Before(until) {
		until = exp
	}
	k := sha256.Sum256([]byte(tok))
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m) // a burst of distinct tokens: start over rather than grow
	}
	c.m[k] = cached{a: a, until: until}
}
