package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// MinSessionKey is the shortest key HMACSessions accepts: 256 bits.
const MinSessionKey = 32

// HMACSessions returns sessions whose token is the actor and its expiry,
// authenticated with HMAC-SHA256 under key: what the api function uses on
// AWS, where the key is a secret of the stack. now is the clock.
func HMACSessions(key []byte, ttl time.Duration, now func() time.Time) (Sessions, error) {
	if len(key) < MinSessionKey {
		return Sessions{}, fmt.Errorf("web: the session key must have at least %d bytes", MinSessionKey)
	}
	if now == nil {
		now = time.Now
	}
	mac := func(payload string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte("sohoa-session\n" + payload))
		return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	type claims struct {
		identity.Actor
		Exp int64 `json:"exp"`
	}
	return Sessions{
		Issue: func(a identity.Actor) (string, error) {
			if err := a.Check(); err != nil {
				return "", err
			}
			b, err := json.Marshal(claims{Actor: a, Exp: now().Add(ttl).Unix()})
			if err != nil {
				return "", fmt.Errorf("session: %w", err)
			}
			p := base64.RawURLEncoding.EncodeToString(b)
			return p + "." + mac(p), nil
		},
		Verify: func(tok string) (identity.Actor, error) {
			bad := errs.E(errs.Unauthorized, "Phiên đăng nhập không hợp lệ / The session is not valid")
			p, sig, ok := strings.Cut(tok, ".")
			if !ok || len(tok) > 4096 || !hmac.Equal([]byte(sig), []byte(mac(p))) {
				return identity.Actor{}, bad
			}
			b, err := base64.RawURLEncoding.DecodeString(p)
			if err != nil {
				return identity.Actor{}, bad
			}
			var c claims
			if err := json.Unmarshal(b, &c); err != nil || !now().Before(time.Unix(c.Exp, 0)) || c.Actor.Check() != nil {
				return identity.Actor{}, bad
			}
			return c.Actor, nil
		},
	}, nil
}

// NoSessions is for a deployment without a session key: the public pages
// work, and signing in says that it is not configured.
func NoSessions() Sessions {
	err := errs.E(errs.Unavailable, "Chưa cấu hình đăng nhập / Sign-in is not configured")
	return Sessions{
		Issue:  func(identity.Actor) (string, error) { return "", err },
		Verify: func(string) (identity.Actor, error) { return identity.Actor{}, err },
	}
}

// GatewayRoutes are the API Gateway routes (method and path) the pages need
// without the JWT authorizer: pages authenticate with their own session
// cookie, and API clients keep the authorizer on /v1.
func GatewayRoutes() []string {
	return []string{"GET /", "GET /static/{file}", "ANY /signin", "GET /signin/{proxy+}", "POST /signout",
		"ANY /counter", "ANY /counter/{proxy+}", "ANY /desk", "ANY /desk/{proxy+}", "ANY /me", "ANY /me/{proxy+}",
		"ANY /stats", "ANY /stats/{proxy+}", "GET /track", "GET /track/{code}", "ANY /verify", "GET /s/{proxy+}"}
}
