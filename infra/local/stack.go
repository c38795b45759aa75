package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/app"
	"github.com/sohoa/sohoa/pkg/aws/ingest"
	"github.com/sohoa/sohoa/pkg/dev/pki"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/local/sqlite"
	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/metrics"
	"github.com/sohoa/sohoa/pkg/port/queue"
)

//go:embed officers.json
var officersJSON []byte

// loadStaff reads the dev roster: the officers get a dev signing credential
// and notifications, as a staff directory does on AWS.
func loadStaff() (notify.StaffFile, error) { return notify.ParseStaff(officersJSON) }

// Options configures a local stack.
type Options struct {
	Addr    string // listen address, e.g. 127.0.0.1:8080 (":0" style picks a free port)
	DataDir string // where the SQLite file, blobs and dev PKI live
	Log     *slog.Logger
	// Workers is the number of ingestion workers (default 2: one a core of a
	// small machine; each ingestion's reader runs in a child of its own).
	Workers int
	// Scans overrides how scans are read (default: scan.SplitIsolatedStream).
	Scans dossier.ScanReader
	// Now overrides the clock (tests).
	Now func() time.Time
	// Dev turns on the development routes (POST /v1/dev/tokens, GET
	// /v1/dev/outbox). Start refuses it on an address that is not loopback:
	// they hand out tokens of any role.
	Dev bool
	// SessionTTL is how long a page session lasts (default web.DefaultSessionTTL).
	SessionTTL time.Duration
	// OTPSends is how many one-time codes an officer may ask per credential
	// in 15 minutes (0: signing.OTPLimits' default).
	OTPSends int
	// AuditKeyFile holds the key of the access log's MAC. It must lie outside
	// DataDir (the records' directory never holds it); created if absent.
	// Default: DataDir + ".audit-key", beside the data directory.
	AuditKeyFile string
	// Metrics records the services' metrics (metrics.EMF lines beside the
	// log); nil: none.
	Metrics metrics.Sink
	// Checkpoint is called at named steps of ingestion, certification and
	// signing (crash tests); nil: nothing.
	Checkpoint func(step string)
	// OCR reads every scanned component with Tesseract before certifying it
	// (a text layer, the CCCD checked, form fields); needs tesseract-ocr
	// with the vie and osd data.
	OCR bool
	// BodyWait and VerifyBodyWait, if set, are how long a small body and a
	// PDF to verify may take to arrive (default: the API's 30 s and 2 min).
	BodyWait, VerifyBodyWait time.Duration
}

// Stack is the whole of Sohoa in one process: the HTTP API, background
// workers on a durable queue, embedded storage and the dev PKI.
type Stack struct {
	URL      string
	DB       *sqlite.DB
	Bucket   *blob.Bucket
	PKI      *pki.PKI
	Dossiers *dossier.Service
	Vault    *vault.Service
	Issuer   *identity.Issuer
	// DevOperatorKey opens the dev outbox (with Dev; empty otherwise).
	DevOperatorKey string

	log     *slog.Logger
	srv     *http.Server
	ln      net.Listener
	cancel  context.CancelFunc
	workers sync.WaitGroup
	served  chan error
}

// blobsPath is where the local stack serves its bucket's signed URLs.
const blobsPath = "/blobs"

const (
	tokenIssuer   = "sohoa-local"
	tokenAudience = "sohoa"
)

// Start builds and starts a local stack. The caller must Shutdown it.
func Start(ctx context.Context, o Options) (st *Stack, err error) {
	if o.Log == nil {
		o.Log = slog.New(logctx.NewHandler(slog.NewTextHandler(os.Stderr, nil)))
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Dev {
		if err := loopbackOnly(o.Addr); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	auditMAC, err := loadAuditKey(o.DataDir, o.AuditKeyFile)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	st = &Stack{ln: ln, log: o.Log, URL: "http://" + ln.Addr().String(), served: make(chan error, 1)}
	defer func() {
		if err != nil {
			_ = ln.Close()
			if st.DB != nil {
				_ = st.DB.Close()
			}
		}
	}()

	if st.DB, err = sqlite.Open(ctx, filepath.Join(o.DataDir, "sohoa.db")); err != nil {
		return nil, err
	}
	// Files are handed out, and results uploaded, by signed URLs to the
	// bucket itself (served under /blobs), as S3's presigned URLs on AWS: the
	// API never carries their bytes. The secret lives as long as the process
	// (a link lives minutes).
	linkSecret := make([]byte, blobs.MinSecret)
	if _, err := rand.Read(linkSecret); err != nil {
		return nil, err
	}
	var links *blobs.LocalSigner
	if st.Bucket, links, err = blobs.OpenLocalSigned(filepath.Join(o.DataDir, "blobs"), &url.URL{Scheme: "http", Host: ln.Addr().String(), Path: blobsPath}, linkSecret); err != nil {
		return nil, err
	}
	staff, err := loadStaff()
	if err != nil {
		return nil, err
	}
	var pkiOfficers []pki.Officer
	for _, of := range staff.Officers {
		pkiOfficers = append(pkiOfficers, pki.Officer{ID: of.ID, Name: of.Name, Email: of.Email})
	}
	if st.PKI, err = pki.LoadOrCreate(filepath.Join(o.DataDir, "pki"), pki.Options{
		BaseURL: st.URL + "/pki", Officers: pkiOfficers, Now: o.Now}); err != nil {
		return nil, err
	}
	keys, err := loadDevKeys(o.DataDir, o.Dev)
	if err != nil {
		return nil, err
	}
	key := keys.token
	st.DevOperatorKey = keys.operator
	st.Issuer = identity.NewIssuer(key, tokenIssuer, tokenAudience)
	verifier := identity.NewVerifier(tokenIssuer, tokenAudience, &key.PublicKey)

	outbox := notify.NewOutbox(st.DB.Table())
	signers, err := newSigning(st, outbox, staff, o)
	if err != nil {
		return nil, err
	}
	var extractor dossier.Extractor
	if o.OCR {
		if extractor, err = newExtractor(); err != nil {
			return nil, err
		}
	}
	searchIndex, err := st.DB.Search(ctx)
	if err != nil {
		return nil, err
	}
	// A stored scan (or a result put by signed URL) is announced as S3
	// announces it on AWS: an ObjectCreated event on the ingest queue, for
	// the ingest handler.
	announce := func(ctx context.Context, key string) error {
		return st.DB.Queue().Send(ctx, dossier.TopicIngest, ingest.ObjectCreated("local", key), key)
	}
	a, err := app.Build(ctx, app.Ports{Records: st.DB.Table(), Dossiers: st.Bucket, Vault: st.Bucket,
		Queue: st.DB.Queue(), Signer: signers.results, Sealer: signers.sealer,
		AuditMAC: auditMAC, Codes: outboxCodes{outbox: outbox, now: o.Now},
		Search: searchIndex, Extractor: extractor, Intake: announce,
		DossierLinks: links, VaultLinks: links, Results: signers.uploads},
		app.Options{Now: o.Now, Log: o.Log, Metrics: o.Metrics, Scans: o.Scans, Checkpoint: o.Checkpoint})
	if err != nil {
		return nil, err
	}
	st.Dossiers, st.Vault = a.Dossiers, a.Vault
	notes, err := newNotifications(st, a, outbox, staff, o)
	if err != nil {
		return nil, err
	}
	signers.background = append(signers.background, notes.background...)
	var dev *sohoaapi.Dev
	if o.Dev {
		dev = &sohoaapi.Dev{
			IssueToken:  func(a identity.Actor) (string, error) { return st.Issuer.Issue(a, o.Now(), 12*time.Hour) },
			Outbox:      notes.outboxMessages,
			OperatorKey: keys.operator,
		}
	}
	apiConfig := sohoaapi.Config{
		Dossiers: st.Dossiers, Vault: st.Vault, Catalog: a.Catalog,
		Auth:      sohoaapi.BearerAuth{Verifier: verifier, Now: o.Now, Cache: sohoaapi.NewTokenCache(4096)},
		Documents: sohoaapi.Printed{},
		Signing:   signers.api, Verifier: signers.verifier, Results: signers.uploads,
		Inbox: notes.inbox, Reports: notes.reports,
		Search: searchIndex,
		// One admission for the API and the pages: the same limits for the
		// same work wherever it is reached.
		Admission: sohoaapi.NewAdmission(2, 2),
		BodyWait:  o.BodyWait, VerifyBodyWait: o.VerifyBodyWait,
		Dev:     dev,
		Ready:   a.Ready,
		BaseURL: st.URL, Log: o.Log, Metrics: o.Metrics,
	}
	if apiConfig.Pages, err = newPages(apiConfig, st, keys.session, staff, o); err != nil {
		return nil, err
	}
	apiHandler := sohoaapi.New(apiConfig)
	mux := http.NewServeMux()
	mux.Handle("/pki/", st.PKI.Handler())
	mux.Handle(blobsPath, links.Handler(st.Bucket, blobs.ServeOptions{MaxPut: 300 << 20, // the largest scan; a result is bounded when it lands
		Landed: func(ctx context.Context, key string) error {
			if strings.HasPrefix(key, dossier.IntakePrefix) {
				return announce(ctx, key)
			}
			return nil
		}}))
	if signers.csc != nil {
		mux.Handle("/csc/", signers.csc) // serves under its own prefix, /csc/v2
	}
	mux.Handle("/", apiHandler)
	st.srv = &http.Server{Handler: logRequests(o.Log, mux),
		ReadHeaderTimeout: 10 * time.Second,
		// A 300 MB scan over a slow post-office line (~4 Mbit/s) takes ten
		// minutes; a slower body is cut off rather than held forever.
		ReadTimeout:    12 * time.Minute,
		WriteTimeout:   15 * time.Minute,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10}

	// Jobs a killed predecessor held are ours to finish now.
	if n, err := st.DB.Queue().RecoverInflight(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		o.Log.Info("resuming jobs left in flight by the previous run", "jobs", n)
	}
	// The ingest queue's messages go to the very handler the ingest Lambda
	// runs, with the queue's own number of deliveries.
	intake := localIngest{h: &ingest.Handler{Dossiers: st.Dossiers, Log: o.Log}}
	wctx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	for i := 0; i < o.Workers; i++ {
		st.workers.Add(1)
		go func() {
			defer st.workers.Done()
			st.consume(wctx, dossier.TopicIngest, ingestVisibility, intake.handle, true)
		}()
	}
	st.workers.Add(1)
	go func() {
		defer st.workers.Done()
		st.consume(wctx, dossier.TopicSign, signVisibility, st.runSignJob, true)
	}()
	if o.OCR {
		st.workers.Add(1)
		go func() {
			defer st.workers.Done()
			// Unlike ingestion, an OCR job in progress is interrupted by
			// shutdown (it may take minutes): it is delivered again on the
			// next start, and the dossier was VALIDATED without it.
			st.consume(wctx, dossier.TopicOCR, ocrVisibility, st.Dossiers.RunOCR, false)
		}()
	}
	for _, bg := range signers.background {
		st.workers.Add(1)
		go func() {
			defer st.workers.Done()
			bg(wctx)
		}()
	}
	go func() { st.served <- st.srv.Serve(ln) }()
	return st, nil
}

// Shutdown stops accepting requests, lets in-flight requests and jobs finish
// (a job cut short is redelivered after its visibility timeout on the next
// start) and closes storage.
func (st *Stack) Shutdown(ctx context.Context) error {
	err := st.srv.Shutdown(ctx)
	st.cancel()
	done := make(chan struct{})
	go func() { st.workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("workers did not stop in time: %w", ctx.Err()))
	}
	return errors.Join(err, st.Bucket.Close(), st.DB.Close())
}

// ingestVisibility is how long a received ingest job stays invisible: longer
// than the slowest ingestion (SplitIsolated's own timeout plus storage).
const ingestVisibility = 3 * time.Minute

// signVisibility is how long a sign job stays invisible: a batch of 1,000
// results finishes well within it; a worker killed mid-batch leaves it to
// the next start, which resumes from the kept signature values.
const signVisibility = 10 * time.Minute

// consume runs a queue worker on topic until ctx is cancelled, as an event
// source mapping does on AWS; with drain, a message in progress when ctx is
// cancelled runs to completion.
func (st *Stack) consume(ctx context.Context, topic string, visibility time.Duration, handle func(context.Context, queue.Message) error, drain bool) {
	queue.Worker{Queue: st.DB.Queue(), Topic: topic, Visibility: visibility, Handle: handle, Drain: drain,
		Early: dossier.IsRetryable, Log: st.log,
		Exhausted: func(ctx context.Context, m queue.Message, err error) { st.Dossiers.GiveUp(ctx, topic, m, err) },
	}.Run(ctx)
}

// runSignJob is the local sign worker's handler: the one the signer
// function runs on AWS.
func (st *Stack) runSignJob(ctx context.Context, m queue.Message) error {
	var msg dossier.SignJobMessage
	if err := json.Unmarshal(m.Body, &msg); err != nil || msg.Job == "" {
		st.log.Error("dropping a malformed sign job", "err", err)
		return nil
	}
	return st.Dossiers.RunSignJob(ctx, msg)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func logRequests(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, status: 200}
		r = r.WithContext(logctx.WithRequest(r.Context(), newRequestID()))
		h.ServeHTTP(rw, r)
		// Paths carry opaque IDs and codes only, never personal data; share
		// tokens are credentials and are masked.
		log.DebugContext(r.Context(), "http", "method", r.Method, "path", sohoaapi.RedactPath(r.URL.Path), "status", rw.status, "took", time.Since(start).Round(time.Millisecond))
	})
}

// newRequestID names one HTTP request in the log.
func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }

// Unwrap gives http.ResponseController the connection's writer: without it
// the API's per-route body deadlines could not be set through this wrapper.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// loopbackOnly refuses an address that is reachable from other machines.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-dev: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-dev hands out tokens of every role and officers' signing codes: it runs only on a loopback address (127.0.0.1, ::1), not %q", addr)
	}
	return nil
}

// loadAuditKey reads (or creates) the access log's MAC key, which must not
// live in the data directory: whoever copies or edits the records must not
// hold it.
func loadAuditKey(dataDir, path string) (*vault.FileMAC, error) {
	if path == "" {
		path = filepath.Clean(dataDir) + ".audit-key"
	}
	absData, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	absKey, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if rel, err := filepath.Rel(absData, absKey); err == nil && !strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("the access-log key %s is inside the data directory %s; keep it elsewhere (-audit-key)", path, dataDir)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(absKey), 0o700); err != nil {
			return nil, fmt.Errorf("access-log key: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("access-log key: %w", err)
		}
		if _, err := f.WriteString(hex.EncodeToString(raw) + "\n"); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("access-log key: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("access-log key: %w", err)
		}
		return vault.NewFileMAC(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("access-log key: %w", err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("access-log key %s: not hex: %w", path, err)
	}
	return vault.NewFileMAC(raw)
}

// outboxCodes delivers reuse-consent codes to the contact on record through
// the outbox (email and SMS locally).
type outboxCodes struct {
	outbox *notify.Outbox
	now    func() time.Time
}

func (c outboxCodes) SendCode(ctx context.Context, to vault.Contact, subject, body string) error {
	var errsOut []error
	if to.Email != "" {
		errsOut = append(errsOut, c.outbox.Send(ctx, notify.Message{Channel: notify.Email, To: to.Email, Subject: subject, Body: body, At: c.now().UTC()}))
	}
	if to.Phone != "" {
		errsOut = append(errsOut, c.outbox.Send(ctx, notify.Message{Channel: notify.SMS, To: to.Phone, Subject: subject, Body: body, At: c.now().UTC()}))
	}
	return errors.Join(errsOut...)
}

// localIngest hands the local queue's ingest messages to the ingest
// function's handler.
type localIngest struct{ h *ingest.Handler }

func (l localIngest) handle(ctx context.Context, m queue.Message) error {
	return l.h.HandleMessage(ctx, m)
}
