// Package api is Sohoa's HTTP API (the contract: openapi.json, docs/api.md): the same handler serves the local
// stack and, through the Lambda proxy, API Gateway. It decodes requests,
// authenticates the caller, calls the domain services and encodes answers;
// domain errors become RFC 9457 problems in exactly one place (writeError).
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/report"
	"github.com/sohoa/sohoa/pkg/domain/search"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/metrics"
)

// Authenticator says who sent a request: errs.Unauthorized if nobody valid.
type Authenticator interface {
	Authenticate(r *http.Request) (identity.Actor, error)
}

// Signing is what the API needs of the signing service beyond the dossier
// service: an officer's credentials and OTP delivery.
type Signing interface {
	Credentials(ctx context.Context, a identity.Actor) ([]Credential, error)
	SendOTP(ctx context.Context, a identity.Actor, credentialID string) error
}

// Credential is a signing credential as the API shows it (openapi.json "Credential").
type Credential struct {
	ID          string `json:"id"`
	Subject     string `json:"subject"`
	Certificate string `json:"certificate"` // PEM chain, signer to root
}

// Verifier verifies the signatures of a PDF.
type Verifier interface {
	Verify(ctx context.Context, pdf []byte) (*VerifyReport, error)
}

// ResultChecker reads an uploaded result before it is stored and answers
// the bytes to store (the upload, or a safe repair of it), or a 4xx error
// naming why it could never be signed.
type ResultChecker interface {
	CheckResult(ctx context.Context, pdf []byte) ([]byte, error)
}

// VerifyReport is the answer of POST /v1/verify.
type VerifyReport struct {
	Valid      bool              `json:"valid"`
	Signatures []SignatureReport `json:"signatures"`
	// Problems that concern the whole file (also listed on each signature).
	Problems []string `json:"problems,omitempty"`
}

// SignatureReport is one signature's verdict.
type SignatureReport struct {
	Signer      string    `json:"signer"`
	SignedAt    time.Time `json:"signedAt"`
	Intact      bool      `json:"intact"`
	Trusted     bool      `json:"trusted"`
	Timestamped bool      `json:"timestamped"`
	Valid       bool      `json:"valid"`
	SubFilter   string    `json:"subFilter,omitempty"`
	Problems    []string  `json:"problems,omitempty"`
	// Field is the signature field's name, Level the PAdES level reached.
	Field string `json:"field,omitempty"`
	Level string `json:"level,omitempty"`
	// Revocation of the signer's certificate: "good", "revoked", "unknown" or "none".
	Revocation string `json:"revocation,omitempty"`
	// Modifications names what later revisions changed that this signature
	// does not allow.
	Modifications []string `json:"modifications,omitempty"`
}

// Documents renders the printable PDFs: separator sheets and receipts.
type Documents interface {
	Separator(code, name string) ([]byte, error)
	Receipt(ctx context.Context, d *dossier.Dossier, p procedure.Procedure) ([]byte, error)
}

// Notifications lists a user's in-app notifications.
type Notifications interface {
	List(ctx context.Context, subject string) ([]notify.Notification, error)
}

// Reports computes the statistics an agency is judged by.
type Reports interface {
	For(ctx context.Context, a identity.Actor, from, to string) ([]report.AgencyStats, error)
}

// Dev holds the local stack's development routes; nil on Lambda. They
// answer only a request addressed to a loopback name (LoopbackHost), so a
// page of another site whose name an attacker points at 127.0.0.1 (DNS
// rebinding) reaches none of them.
type Dev struct {
	IssueToken func(a identity.Actor) (string, error)
	Outbox     func(ctx context.Context, to string) ([]OutboxMessage, error)
	// OperatorKey is the dev operator's key: the outbox (officers' one-time
	// codes) answers only Authorization: Bearer <OperatorKey>, never a
	// token of a role. Empty: the outbox answers nobody.
	OperatorKey string
}

// OutboxMessage is an email or SMS the local stack would have sent.
type OutboxMessage struct {
	Channel string    `json:"channel"`
	To      string    `json:"to"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	At      time.Time `json:"at"`
}

// Config holds the API's dependencies. Dossiers, Vault, Catalog, Auth and
// Documents are required; the others disable their routes (503) when nil.
type Config struct {
	Dossiers  *dossier.Service
	Vault     *vault.Service
	Catalog   *procedure.Catalog
	Auth      Authenticator
	Documents Documents
	Signing   Signing
	Verifier  Verifier
	// Results checks uploaded results (PUT /v1/dossiers/{id}/result) before
	// they are stored; nil stores them after the dossier's own cheap checks.
	Results ResultChecker
	Inbox   Notifications
	Reports Reports
	// Search finds documents by their words (optional).
	Search search.Index
	Dev    *Dev
	// Ready reports whether every part of the stack is ready (GET /healthz).
	Ready func(ctx context.Context) error
	// UploadURL, if set, gives the URL a new dossier's scan is PUT to (on AWS a
	// presigned S3 URL under the intake prefix, so scans bypass API Gateway's
	// 6 MB limit). Nil: the API's own PUT /v1/dossiers/{id}/scan, with a token.
	UploadURL func(ctx context.Context, d *dossier.Dossier) (url string, expires time.Time, err error)
	// BaseURL is the public URL of the API, for links in answers (upload, shares).
	BaseURL string
	Log     *slog.Logger
	// Metrics counts the verdicts of /v1/verify; nil: none.
	Metrics metrics.Sink
	// MaxVerifyBytes bounds a PDF posted to /v1/verify; default 50 MiB.
	MaxVerifyBytes int64
	// MaxResultBytes bounds an uploaded result read for Results; default 64 MiB.
	MaxResultBytes int64
	// MaxVerifyInFlight bounds the verifications running at once (each holds
	// up to MaxVerifyBytes) when Admission is not given; more get 429.
	// Default 2.
	MaxVerifyInFlight int
	// Admission bounds the expensive work (verifications, result checks)
	// wherever it is reached; the assembly gives the API and the pages the
	// same one. Nil: New makes one from MaxVerifyInFlight.
	Admission *Admission
	// MaxPublicInFlight bounds the other unauthenticated requests (tracking,
	// share links) running at once; more get 429. Default 32.
	MaxPublicInFlight int
	// BodyWait is how long a small (JSON, form) body may take to arrive;
	// default 30 s.
	BodyWait time.Duration
	// VerifyBodyWait is how long a PDF to verify (up to MaxVerifyBytes) may
	// take to arrive, on POST /v1/verify and the /verify page; default two
	// minutes.
	VerifyBodyWait time.Duration
	// Pages, if set, serves every path outside /v1 and /healthz: the web
	// pages for people (pkg/web) on the same router.
	Pages http.Handler
}

// Server is the HTTP API.
type Server struct {
	c      Config
	mux    *http.ServeMux
	routes []Route
	// Unauthenticated routes take a slot or get 429: a burst costs a
	// refusal, not memory. (Verification has its own: Config.Admission.)
	publicSlots chan struct{}
}

// Route is one registered route, listed for the OpenAPI consistency test.
type Route struct {
	Method, Pattern string
	// Public routes need no token.
	Public bool
}

// New returns the API handler.
func New(c Config) *Server {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.Nop{}
	}
	if c.MaxVerifyBytes == 0 {
		c.MaxVerifyBytes = 50 << 20
	}
	if c.MaxResultBytes == 0 {
		c.MaxResultBytes = 64 << 20
	}
	if c.MaxVerifyInFlight <= 0 {
		c.MaxVerifyInFlight = 2
	}
	if c.MaxPublicInFlight <= 0 {
		c.MaxPublicInFlight = 32
	}
	if c.BodyWait <= 0 {
		c.BodyWait = 30 * time.Second
	}
	if c.VerifyBodyWait <= 0 {
		c.VerifyBodyWait = 2 * time.Minute
	}
	if c.Admission == nil {
		c.Admission = NewAdmission(c.MaxVerifyInFlight, c.MaxVerifyInFlight)
	}
	s := &Server{c: c, mux: http.NewServeMux(), publicSlots: make(chan struct{}, c.MaxPublicInFlight)}
	s.register()
	return s
}

// Routes lists the registered routes.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// A body has a time to arrive sized for what the route takes, on the API
	// and the pages alike: scans and results (hundreds of MB) keep the
	// server's ReadTimeout; a PDF to verify gets VerifyBodyWait; everything
	// else (JSON, forms, no body) BodyWait. A slow-body connection is cut
	// off rather than held. Every writer wrapping w unwraps to the
	// connection's, so the deadline is set whatever wraps it; a writer that
	// has none is the Lambda adapter's (API Gateway buffers the body).
	if d := bodyDeadline(r, s.c.BodyWait, s.c.VerifyBodyWait); d > 0 {
		if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(d)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			s.c.Log.Warn("the body deadline could not be set", "err", err)
		}
	}
	s.mux.ServeHTTP(w, r)
}

func bodyDeadline(r *http.Request, small, pdf time.Duration) time.Duration {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPut && (strings.HasSuffix(p, "/scan") || strings.HasSuffix(p, "/result")),
		r.Method == http.MethodPost && (strings.HasPrefix(p, "/counter/d/") && strings.HasSuffix(p, "/scan") ||
			strings.HasPrefix(p, "/desk/d/") && strings.HasSuffix(p, "/result")):
		return 0
	case p == "/v1/verify" || p == "/verify":
		return pdf
	}
	return small
}

type authed func(w http.ResponseWriter, r *http.Request, a identity.Actor) error
type public func(w http.ResponseWriter, r *http.Request) error

// handle registers a route that needs a valid token.
func (s *Server) handle(method, pattern string, h authed) {
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern})
	s.mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, r *http.Request) {
		r = aboutDossier(r, pattern)
		a, err := s.c.Auth.Authenticate(r)
		if err != nil {
			writeError(w, r, s.c.Log, err)
			return
		}
		r = r.WithContext(identity.WithActor(r.Context(), a))
		// Answers to a signed-in caller carry personal data: never cached.
		w.Header().Set("Cache-Control", "no-store")
		if err := h(w, r, a); err != nil {
			writeError(w, r, s.c.Log, err)
		}
	})
}

// handlePublic registers a route that needs no token. slots, if not nil,
// bounds how many of its requests run at once; more are refused with 429.
func (s *Server) handlePublic(method, pattern string, slots chan struct{}, h public) {
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern, Public: true})
	s.mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, r *http.Request) {
		r = aboutDossier(r, pattern)
		if slots != nil {
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
			default:
				tooMany(w)
				return
			}
		}
		if err := h(w, r); err != nil {
			writeError(w, r, s.c.Log, err)
		}
	})
}

// aboutDossier tags the request's log lines with the dossier its route
// names (/v1/dossiers/{id}/...), whoever asks.
func aboutDossier(r *http.Request, pattern string) *http.Request {
	if id := r.PathValue("id"); id != "" && strings.HasPrefix(pattern, "/v1/dossiers/") {
		return r.WithContext(logctx.WithDossier(r.Context(), id))
	}
	return r
}

// tooMany answers 429 with a problem and a hint when to come back.
func tooMany(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(Problem{Type: "/problems/too-many-requests", Title: http.StatusText(http.StatusTooManyRequests),
		Status: http.StatusTooManyRequests, Detail: "quá nhiều yêu cầu cùng lúc; hãy thử lại sau giây lát / too many requests at once; try again in a moment"})
}

func (s *Server) register() {
	s.handlePublic("GET", "/healthz", nil, s.health)
	s.handle("GET", "/v1/procedures", s.procedures)
	// Postal intake.
	s.handle("POST", "/v1/dossiers", s.createDossier)
	s.handle("PUT", "/v1/dossiers/{id}/scan", s.uploadScan)
	s.handle("GET", "/v1/dossiers/{id}/scan", s.getScan)
	s.handle("GET", "/v1/separators/{file}", s.separator)
	s.handle("GET", "/v1/dossiers/{id}/receipt.pdf", s.receipt)
	s.handle("POST", "/v1/dossiers/{id}/postal-return", s.postalReturn)
	s.handle("GET", "/v1/post-office/dossiers", s.officeDay)
	s.handle("POST", "/v1/dossiers/{id}/reuse-consent", s.confirmReuse)
	// Dossier.
	s.handle("GET", "/v1/dossiers/{id}", s.getDossier)
	s.handle("GET", "/v1/dossiers/{id}/components/{code}/content", s.componentContent)
	s.handle("GET", "/v1/dossiers/{id}/components/{code}/pages/{page}", s.componentPage)
	// Agency.
	s.handle("GET", "/v1/agency/dossiers", s.agencyQueue)
	s.handle("POST", "/v1/dossiers/{id}/decision", s.decide)
	s.handle("PUT", "/v1/dossiers/{id}/result", s.putResult)
	s.handle("POST", "/v1/dossiers/{id}/result/upload-url", s.resultUploadURL)
	s.handle("GET", "/v1/signing/credentials", s.credentials)
	s.handle("POST", "/v1/signing/credentials/{cred}/otp", s.sendOTP)
	s.handle("POST", "/v1/dossiers/{id}/result/sign", s.signResult)
	s.handle("POST", "/v1/agency/sign-batch", s.signBatch)
	s.handle("GET", "/v1/agency/sign-jobs/{job}", s.getSignJob)
	// Vault.
	s.handle("GET", "/v1/vault/documents", s.listDocuments)
	s.handle("GET", "/v1/vault/documents/{doc}", s.getDocument)
	s.handle("DELETE", "/v1/vault/documents/{doc}", s.hideDocument)
	s.handle("GET", "/v1/vault/documents/{doc}/content", s.documentContent)
	s.handle("POST", "/v1/vault/documents/{doc}/shares", s.createShare)
	s.handle("DELETE", "/v1/vault/documents/{doc}/shares/{token}", s.revokeShare)
	s.handle("GET", "/v1/vault/shares", s.listShares)
	s.handlePublic("GET", "/v1/shares/{token}", s.publicSlots, s.openShare)
	s.handle("GET", "/v1/vault/audit", s.audit)
	s.handle("GET", "/v1/vault/contact", s.getContact)
	s.handle("PUT", "/v1/vault/contact", s.putContact)
	s.handle("GET", "/v1/vault/reuse-requests", s.reuseRequests)
	s.handle("POST", "/v1/vault/reuse-requests/{dossier}", s.decideReuse)
	// Search by words (citizen: own vault; officer: own agency's dossiers).
	s.handle("GET", "/v1/vault/search", s.vaultSearch)
	s.handle("GET", "/v1/notifications", s.notifications)
	s.handle("GET", "/v1/reports/sla", s.sla)
	// Public.
	s.handlePublic("GET", "/v1/track/{code}", s.publicSlots, s.track)
	s.handlePublic("POST", "/v1/verify", nil, s.verify)
	// Local stack only, and only when started with -dev on loopback.
	if s.c.Dev != nil {
		s.handlePublic("POST", "/v1/dev/tokens", s.publicSlots, s.loopbackOnly(s.devToken))
		s.handleOperator("GET", "/v1/dev/outbox", s.loopbackOnly(s.devOutbox))
	}
	// Anything else: a problem, not the mux's plain-text 404.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.c.Pages != nil && !strings.HasPrefix(r.URL.Path, "/v1/") {
			s.c.Pages.ServeHTTP(w, r)
			return
		}
		writeError(w, r, s.c.Log, errs.E(errs.NotFound, "no route %s %s", r.Method, r.URL.Path))
	})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	if err := s.c.Dossiers.Ready(); err != nil {
		return errs.Wrap(errs.Unavailable, err, "not ready")
	}
	if s.c.Ready != nil {
		if err := s.c.Ready(r.Context()); err != nil {
			return errs.Wrap(errs.Unavailable, err, "not ready")
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}
