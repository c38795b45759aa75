// Package identity says who is calling: an Actor with a role, taken from a
// verified JWT (docs/api.md, "Authentication"). It issues the local stack's development tokens
// and verifies tokens with ES256 keys; on AWS the API Gateway JWT authorizer
// has already verified the identity provider's token and the claims are read
// from the request context.
package identity

import (
	"context"
)

// Role is what an actor may do.
type Role string

// The roles a token names (the role claim; docs/api.md).
const (
	Clerk   Role = "postal_clerk"
	Officer Role = "agency_officer"
	Citizen Role = "citizen"
	Auditor Role = "auditor"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case Clerk, Officer, Citizen, Auditor:
		return true
	}
	return false
}

// Actor is an authenticated caller. For a citizen, Subject is the 12-digit
// citizen ID; for an officer, Agency is the agency's electronic ID.
type Actor struct {
	Subject    string `json:"sub"`
	Role       Role   `json:"role"`
	Agency     string `json:"agency,omitempty"`
	Name       string `json:"name,omitempty"`
	PostOffice string `json:"postOffice,omitempty"`
}

// Label returns how the actor appears in histories and logs: role and subject,
// with a citizen's ID masked.
func (a Actor) Label() string {
	if a.Role == Citizen {
		return string(a.Role) + ":" + mask(a.Subject)
	}
	return string(a.Role) + ":" + a.Subject
}

func mask(s string) string {
	if len(s) <= 6 {
		return "******"
	}
	b := []byte(s)
	for i := 3; i < len(b)-3; i++ {
		b[i] = '*'
	}
	return string(b)
}

type ctxKey struct{}

// WithActor returns a context carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// FromContext returns the actor carried by ctx, if any.
func FromContext(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(ctxKey{}).(Actor)
	return a, ok
}
