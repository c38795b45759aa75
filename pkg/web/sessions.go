package web

import (
	"context"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// NoSessions is for a deployment without a session key: the public pages
// work, and signing in says that it is not configured.
type NoSessions struct{}

func (NoSessions) err() error {
	return errs.E(errs.Unavailable, "Chưa cấu hình đăng nhập / Sign-in is not configured")
}

// Start implements Sessions.
func (n NoSessions) Start(context.Context, identity.Actor, time.Time) (string, error) {
	return "", n.err()
}

// Check implements Sessions.
func (n NoSessions) Check(context.Context, string) (identity.Actor, error) {
	return identity.Actor{}, n.err()
}

// End implements Sessions.
func (NoSessions) End(context.Context, string) error { return nil }

// GatewayRoutes are the API Gateway routes (method and path) the pages need
// without the JWT authorizer: pages authenticate with their own session
// cookie, and API clients keep the authorizer on /v1.
func GatewayRoutes() []string {
	return []string{"GET /", "GET /static/{file}", "ANY /signin", "GET /signin/{proxy+}", "POST /signout",
		"ANY /counter", "ANY /counter/{proxy+}", "ANY /desk", "ANY /desk/{proxy+}", "ANY /me", "ANY /me/{proxy+}",
		"ANY /stats", "ANY /stats/{proxy+}", "GET /track", "GET /track/{code}", "ANY /verify", "GET /s/{proxy+}"}
}
