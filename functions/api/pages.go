package main

import (
	"strings"
	"time"

	"github.com/sohoa/sohoa/functions/internal/assemble"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/web"
)

// sessionTTL is how long a browser session lasts: a working day.
const sessionTTL = 8 * time.Hour

// Pages builds the web pages (pkg/web) over the API's services, their
// session cookies keyed by sessionKey (assemble.Stores.SessionKey). Without a
// session key the public pages work and sign-in says it is not configured;
// with the OIDC variables people sign in through Cognito's hosted UI
// (authorization code with PKCE), their claims mapped as the JWT authorizer's.
// People are the staff the pages name (the staff directory).
func Pages(cfg sohoaapi.Config, env assemble.Config, sessionKey []byte, people web.People) (*web.Handler, error) {
	sessions := web.NoSessions()
	if len(sessionKey) > 0 {
		s, err := web.HMACSessions(sessionKey, sessionTTL, nil)
		if err != nil {
			return nil, err
		}
		sessions = s
	}
	var oidc *web.OIDC
	if domain, iss, client := strings.TrimRight(env.OIDCDomain, "/"), env.OIDCIssuer, env.OIDCClientID; domain != "" && iss != "" && client != "" {
		oidc = &web.OIDC{Issuer: iss, AuthURL: domain + "/oauth2/authorize", TokenURL: domain + "/oauth2/token",
			ClientID: client, Actor: ActorFromClaims}
		if portal := strings.TrimRight(env.PortalURL, "/"); portal != "" {
			oidc.RedirectURL = portal + "/signin/callback" // as registered with the user pool client
		}
	}
	return web.New(web.Config{API: cfg, Sessions: sessions, OIDC: oidc, People: people, Log: cfg.Log, SessionTTL: sessionTTL})
}
