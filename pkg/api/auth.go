package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/identity"
)

// BearerAuth authenticates requests by an ES256 JWT in the Authorization header.
type BearerAuth struct {
	Verifier *identity.Verifier
	Now      func() time.Time
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
	return b.Verifier.Verify(strings.TrimSpace(tok), now())
}
