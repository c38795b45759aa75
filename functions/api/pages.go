package main

import (
	"strings"

	"github.com/sohoa/sohoa/functions/internal/assemble"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/web"
)

// Pages builds the web pages (pkg/web) over the API's services, their
// sessions kept in the stack's table (assemble.Stores.Sessions). Without
// sessions (no session key) the public pages work and sign-in says it is not
// configured; with the OIDC variables people sign in through Cognito's hosted
// UI (authorization code with PKCE), their claims mapped as the JWT
// authorizer's, and a session lasts no longer than the ID token (one hour).
// People are the staff the pages name (the staff directory).
func Pages(cfg sohoaapi.Config, env assemble.Config, sessions *identity.Sessions, people web.People) (*web.Handler, error) {
	var s web.Sessions = web.NoSessions{}
	if sessions != nil {
		s = sessions
	}
	var oidc *web.OIDC
	if domain, iss, client := strings.TrimRight(env.OIDCDomain, "/"), env.OIDCIssuer, env.OIDCClientID; domain != "" && iss != "" && client != "" {
		oidc = &web.OIDC{Issuer: iss, AuthURL: domain + "/oauth2/authorize", TokenURL: domain + "/oauth2/token",
			ClientID: client, Actor: ActorFromClaims}
		if portal := strings.TrimRight(env.PortalURL, "/"); portal != "" {
			oidc.RedirectURL = portal + "/signin/callback" // as registered with the user pool client
		}
	}
	return web.New(web.Config{API: cfg, Sessions: s, OIDC: oidc, People: people, Log: cfg.Log})
}
