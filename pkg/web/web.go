// Package web is Sohoa's pages for people: the postal clerk's counter
// (/counter), the agency officer's desk (/desk), the citizen's vault (/me), the
// auditor's dashboard (/stats) and the public pages (/track, /verify, share
// links), rendered on the server with html/template. It is mounted on the same
// router as the HTTP API (api.Config.Pages), so the api Lambda serves both.
//
// Pages call the same domain services as the API handlers (api.Config): they
// hold no business rule of their own. Every core step works without
// JavaScript; a little script adds upload progress and live status. Text is
// Vietnamese first, English with ?lang=en (kept in a cookie).
//
// It is not the API: API clients keep using /v1 with bearer tokens.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// Sessions starts, checks and ends the sessions a browser's cookie names:
// identity.Sessions, records on the records port locally and on AWS, so
// that signing out ends a session at once.
type Sessions interface {
	Start(ctx context.Context, a identity.Actor, until time.Time) (string, error)
	Check(ctx context.Context, token string) (identity.Actor, error)
	End(ctx context.Context, token string) error
}

// Config holds what the pages need: the API's own services and how people
// sign in.
type Config struct {
	// API is the API's configuration: the pages call the same services.
	API api.Config
	// Sessions makes and checks session cookies; required.
	Sessions Sessions
	// Roster, if not empty, enables the development sign-in page where one
	// picks a person. Only the local stack with -dev sets it.
	Roster []identity.Actor
	// People names the staff on pages (history, signatures, the access
	// log); the Roster's people are added to it.
	People People
	// OIDC, if set, signs people in with an OpenID Connect provider (Cognito's
	// hosted UI): authorization code with PKCE.
	OIDC *OIDC
	// Now is the clock (default time.Now).
	Now func() time.Time
	Log *slog.Logger
	// SessionTTL is how long a session lasts at most; default DefaultSessionTTL.
	// A session started by the identity provider ends with its ID token.
	SessionTTL time.Duration
}

// DefaultSessionTTL is how long a session lasts unless configured: as long
// as the identity provider's tokens (Cognito's ID token: one hour).
const DefaultSessionTTL = time.Hour

// Handler serves the pages.
type Handler struct {
	c      Config
	mux    *http.ServeMux
	h      http.Handler
	assets *assets
	tmpl   *templates
	// people and agencies name staff and agencies (see page.Who).
	people   People
	agencies map[string]string
}

// New returns the pages' handler.
func New(c Config) (*Handler, error) {
	if c.API.Dossiers == nil || c.API.Vault == nil || c.API.Catalog == nil {
		return nil, errors.New("web: the API's Dossiers, Vault and Catalog are required")
	}
	if c.Sessions == nil {
		return nil, errors.New("web: Sessions is required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.API.Admission == nil {
		// Pages built apart from the API bound their own work; an assembly
		// gives both the same Admission.
		c.API.Admission = api.NewAdmission(c.API.MaxVerifyInFlight, c.API.MaxVerifyInFlight)
	}
	as, err := loadAssets()
	if err != nil {
		return nil, err
	}
	t, err := parseTemplates(as)
	if err != nil {
		return nil, err
	}
	h := &Handler{c: c, mux: http.NewServeMux(), assets: as, tmpl: t, people: People{}, agencies: map[string]string{}}
	for k, v := range c.People {
		h.people[k] = v
	}
	for _, a := range c.Roster {
		h.people[a.Subject] = a
	}
	for _, pr := range c.API.Catalog.All() {
		h.agencies[pr.Agency] = pr.AgencyName
	}
	h.routes()
	// Forms are protected against cross-site requests by the browser's
	// Sec-Fetch-Site / Origin headers (Go's CrossOriginProtection): no token
	// in the page is needed.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, errs.E(errs.Forbidden, "Yêu cầu đến từ một trang khác đã bị chặn / A request from another site was refused"))
	}))
	h.h = cop.Handler(h.mux)
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	h.h.ServeHTTP(w, r)
}

// Paths lists the path prefixes the pages own, for the API router.
func Paths() []string {
	return []string{"/", "/static/", "/signin", "/signout", "/counter", "/desk", "/me", "/stats", "/track", "/verify", "/s/"}
}

func (h *Handler) routes() {
	m := h.mux
	m.HandleFunc("GET /{$}", h.public(h.landing))
	m.HandleFunc("GET /static/{file}", h.static)
	m.HandleFunc("GET /signin", h.public(h.signinPage))
	m.HandleFunc("POST /signin", h.public(h.signinDev))
	m.HandleFunc("GET /signin/oidc", h.public(h.oidcStart))
	m.HandleFunc("GET /signin/callback", h.public(h.oidcCallback))
	m.HandleFunc("POST /signout", h.public(h.signout))

	clerk := func(f pageFunc) http.HandlerFunc { return h.auth(identity.Clerk, f) }
	m.HandleFunc("GET /counter", clerk(h.counter))
	m.HandleFunc("GET /counter/new", clerk(h.counterNew))
	m.HandleFunc("POST /counter/new", clerk(h.counterCreate))
	m.HandleFunc("GET /counter/sheets/{procedure}", clerk(h.counterSheets))
	m.HandleFunc("GET /counter/d/{id}", clerk(h.counterDossier))
	m.HandleFunc("GET /counter/d/{id}/status", clerk(h.counterStatus))
	m.HandleFunc("POST /counter/d/{id}/scan", clerk(h.counterScan))
	m.HandleFunc("GET /counter/d/{id}/receipt", clerk(h.counterReceipt))
	m.HandleFunc("POST /counter/d/{id}/returned", clerk(h.counterReturned))

	officer := func(f pageFunc) http.HandlerFunc { return h.auth(identity.Officer, f) }
	m.HandleFunc("GET /desk", officer(h.desk))
	m.HandleFunc("GET /desk/d/{id}", officer(h.deskDossier))
	m.HandleFunc("GET /desk/d/{id}/c/{code}", officer(h.deskComponent))
	m.HandleFunc("GET /desk/d/{id}/c/{code}/p/{page}", officer(h.deskPageImage))
	m.HandleFunc("GET /desk/d/{id}/verification", officer(h.deskVerification))
	m.HandleFunc("POST /desk/d/{id}/decision", officer(h.deskDecide))
	m.HandleFunc("POST /desk/d/{id}/result", officer(h.deskResult))
	m.HandleFunc("POST /desk/d/{id}/sign", officer(h.deskSign))
	m.HandleFunc("POST /desk/otp", officer(h.deskOTP))
	m.HandleFunc("POST /desk/sign-batch", officer(h.deskSignBatch))
	m.HandleFunc("GET /desk/jobs/{job}", officer(h.deskJob))
	m.HandleFunc("GET /desk/jobs/{job}/status", officer(h.deskJobStatus))

	citizen := func(f pageFunc) http.HandlerFunc { return h.auth(identity.Citizen, f) }
	m.HandleFunc("GET /me", citizen(h.me))
	m.HandleFunc("GET /me/doc/{doc}", citizen(h.meDocument))
	m.HandleFunc("GET /me/doc/{doc}/file", citizen(h.meDownload))
	m.HandleFunc("POST /me/doc/{doc}/share", citizen(h.meShare))
	m.HandleFunc("POST /me/doc/{doc}/revoke", citizen(h.meRevoke))
	m.HandleFunc("POST /me/doc/{doc}/hide", citizen(h.meHide))
	m.HandleFunc("GET /me/log", citizen(h.meLog))

	auditor := func(f pageFunc) http.HandlerFunc { return h.auth(identity.Auditor, f) }
	m.HandleFunc("GET /stats", auditor(h.stats))
	m.HandleFunc("GET /stats/csv", auditor(h.statsCSV))

	m.HandleFunc("GET /track", h.public(h.trackForm))
	m.HandleFunc("GET /track/{code}", h.public(h.track))
	m.HandleFunc("GET /verify", h.public(h.verifyForm))
	m.HandleFunc("POST /verify", h.public(h.verify))
	m.HandleFunc("GET /s/{token}", h.public(h.sharePage))
	m.HandleFunc("GET /s/{token}/file", h.public(h.shareFile))
	m.HandleFunc("/", h.public(func(w http.ResponseWriter, r *http.Request, p *page) error {
		return errs.E(errs.NotFound, "Không có trang này / No such page")
	}))
}

// pageFunc handles a page request; p carries the language and the session.
type pageFunc func(w http.ResponseWriter, r *http.Request, p *page) error

// public serves a page that needs no sign-in (the session is read if any).
func (h *Handler) public(f pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := h.newPage(w, r)
		if err := f(w, r, p); err != nil {
			h.fail(w, r, err)
		}
	}
}

// auth serves a page for one role: others are sent to sign in.
func (h *Handler) auth(role identity.Role, f pageFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := h.newPage(w, r)
		if p.Actor == nil {
			if r.Method == http.MethodGet {
				next := r.URL.EscapedPath()
				if r.URL.RawQuery != "" {
					next += "?" + r.URL.RawQuery
				}
				redirectToSignin(w, r, next)
				return
			}
			h.fail(w, r, errs.E(errs.Unauthorized, "Phiên đăng nhập đã hết; hãy đăng nhập lại / Your session ended; sign in again"))
			return
		}
		if p.Actor.Role != role {
			h.fail(w, r, errs.E(errs.Forbidden, "Trang này dành cho %s / This page is for %s", roleName("vi", role), roleName("en", role)))
			return
		}
		r = r.WithContext(identity.WithActor(r.Context(), *p.Actor))
		if err := f(w, r, p); err != nil {
			h.fail(w, r, err)
		}
	}
}

// loopback reports whether the request came to a loopback host, where
// cookies may go without Secure (plain HTTP on the local stack).
func loopback(r *http.Request) bool { return api.LoopbackHost(r.Host) }

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: !loopback(r),
		SameSite: http.SameSiteLaxMode}
	if maxAge < 0 {
		c.MaxAge = -1
	} else if maxAge > 0 {
		c.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, c)
}
