package main

import (
	"net/http"
	"strings"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// The JWT claims GatewayAuth reads. Cognito puts user-pool groups in
// cognito:groups and custom attributes under custom:; HTTP API hands array
// claims to the function as "[a b]".
const (
	ClaimSubject    = "sub"
	ClaimRole       = "custom:role"
	ClaimGroups     = "cognito:groups"
	ClaimAgency     = "custom:agency"
	ClaimCitizenID  = "custom:citizen_id"
	ClaimPostOffice = "custom:post_office"
	ClaimName       = "name"
)

// GatewayAuth is the API's Authenticator on Lambda: API Gateway's JWT
// authorizer has already verified the token (issuer, audience, expiry,
// signature), and the claims it verified travel in the request context of
// the proxy event. It never reads the Authorization header itself: a route
// without the authorizer has no claims, and its caller is nobody.
type GatewayAuth struct{}

// Authenticate implements api.Authenticator.
func (GatewayAuth) Authenticate(r *http.Request) (identity.Actor, error) {
	rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok || rc.Authorizer == nil || rc.Authorizer.JWT == nil || len(rc.Authorizer.JWT.Claims) == 0 {
		return identity.Actor{}, errs.E(errs.Unauthorized, "send an access token: Authorization: Bearer <token>")
	}
	return ActorFromClaims(rc.Authorizer.JWT.Claims)
}

// ActorFromClaims maps verified claims to an actor. The role is the
// custom:role claim, or else the one user-pool group that names a role
// (several role groups are refused: an actor has one role). A citizen's
// subject is their 12-digit ID (custom:citizen_id); staff are known by sub.
// An officer must carry custom:agency.
func ActorFromClaims(c map[string]string) (identity.Actor, error) {
	role := identity.Role(strings.TrimSpace(c[ClaimRole]))
	if role == "" {
		for _, g := range groups(c[ClaimGroups]) {
			r := identity.Role(g)
			if !r.Valid() {
				continue
			}
			if role != "" && role != r {
				return identity.Actor{}, errs.E(errs.Forbidden, "the account is in several role groups (%s, %s); it must be in one", role, r)
			}
			role = r
		}
	}
	if !role.Valid() {
		return identity.Actor{}, errs.E(errs.Forbidden, "the token carries no Sohoa role")
	}
	a := identity.Actor{Subject: c[ClaimSubject], Role: role, Name: c[ClaimName],
		Agency: c[ClaimAgency], PostOffice: c[ClaimPostOffice]}
	switch role {
	case identity.Citizen:
		a.Subject, a.Agency = c[ClaimCitizenID], ""
	case identity.Officer:
		if a.Agency == "" {
			return identity.Actor{}, errs.E(errs.Forbidden, "an agency officer's token must name the agency (%s)", ClaimAgency)
		}
	default:
		a.Agency = ""
	}
	if a.Subject == "" {
		return identity.Actor{}, errs.E(errs.Unauthorized, "the token names no subject")
	}
	return a, nil
}

// groups parses a group-list claim: "[a b]", "a,b" or "a".
func groups(s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]")
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}
