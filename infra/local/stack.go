package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"gocloud.dev/blob"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/blobs"
	"github.com/sohoa/sohoa/pkg/calendar"
	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/identity"
	"github.com/sohoa/sohoa/pkg/notify"
	"github.com/sohoa/sohoa/pkg/pki"
	"github.com/sohoa/sohoa/pkg/procedure"
	"github.com/sohoa/sohoa/pkg/queue"
	"github.com/sohoa/sohoa/pkg/scan"
	"github.com/sohoa/sohoa/pkg/sqlite"
	"github.com/sohoa/sohoa/pkg/vault"
)

//go:embed officers.json
var officersJSON []byte

// Officer is an agency officer known to the local stack: the dev PKI issues
// them a signing credential and notifications reach them.
type Officer struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Agency string `json:"agency"`
	Email  string `json:"email"`
	Phone  string `json:"phone"`
}

func loadOfficers() ([]Officer, error) {
	var f struct {
		Officers []Officer `json:"officers"`
	}
	if err := json.Unmarshal(officersJSON, &f); err != nil {
		return nil, fmt.Errorf("officers.json: %w", err)
	}
	return f.Officers, nil
}

// Options configures a local stack.
type Options struct {
	Addr    string // listen address, e.g. 127.0.0.1:8080 (":0" style picks a free port)
	DataDir string // where the SQLite file, blobs and dev PKI live
	Log     *slog.Logger
	// Workers is the number of ingestion workers (default 2: this is a 2-core box).
	Workers int
	// Scans overrides how scans are read (default: scan.SplitIsolated).
	Scans dossier.ScanReader
	// Now overrides the clock (tests).
	Now func() time.Time
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

	log     *slog.Logger
	srv     *http.Server
	ln      net.Listener
	cancel  context.CancelFunc
	workers sync.WaitGroup
	served  chan error
}

const (
	tokenIssuer   = "sohoa-local"
	tokenAudience = "sohoa"
)

// Start builds and starts a local stack. The caller must Shutdown it.
func Start(ctx context.Context, o Options) (st *Stack, err error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Scans == nil {
		lim := scan.DefaultLimits()
		o.Scans = func(ctx context.Context, data []byte) (*scan.Result, error) {
			return scan.SplitIsolated(ctx, data, lim)
		}
	}
	api.DisableConfigDir()
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
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
	if st.Bucket, err = blobs.OpenLocal(filepath.Join(o.DataDir, "blobs")); err != nil {
		return nil, err
	}
	officers, err := loadOfficers()
	if err != nil {
		return nil, err
	}
	var pkiOfficers []pki.Officer
	for _, of := range officers {
		pkiOfficers = append(pkiOfficers, pki.Officer{ID: of.ID, Name: of.Name, Email: of.Email})
	}
	if st.PKI, err = pki.LoadOrCreate(filepath.Join(o.DataDir, "pki"), pki.Options{
		BaseURL: st.URL + "/pki", Officers: pkiOfficers, Now: o.Now}); err != nil {
		return nil, err
	}
	key, err := identity.LoadOrCreateKey(filepath.Join(o.DataDir, "token-key.pem"))
	if err != nil {
		return nil, err
	}
	st.Issuer = identity.NewIssuer(key, tokenIssuer, tokenAudience)
	verifier := identity.NewVerifier(tokenIssuer, tokenAudience, &key.PublicKey)

	catalog := procedure.Default()
	st.Vault = vault.New(st.DB.Table(), st.Bucket, &vault.Options{Now: o.Now, Log: o.Log})
	outbox := notify.NewOutbox(st.DB.Table())
	signers, err := newSigning(st, outbox, officers, o)
	if err != nil {
		return nil, err
	}
	st.Dossiers, err = dossier.NewService(dossier.Config{
		Records: st.DB.Table(), Blobs: st.Bucket, Queue: st.DB.Queue(), Catalog: catalog,
		Calendar: calendar.Default(), Scans: o.Scans, Vault: st.Vault,
		Signer: signers.results, Sealer: signers.sealer, Now: o.Now, Log: o.Log,
	})
	if err != nil {
		return nil, err
	}
	notes, err := newNotifications(st, outbox, officers, o)
	if err != nil {
		return nil, err
	}
	signers.background = append(signers.background, notes.background...)
	apiHandler := sohoaapi.New(sohoaapi.Config{
		Dossiers: st.Dossiers, Vault: st.Vault, Catalog: catalog,
		Auth:      sohoaapi.BearerAuth{Verifier: verifier, Now: o.Now},
		Documents: sohoaapi.Printed{},
		Signing:   signers.api, Verifier: signers.verifier, Results: signers.uploads,
		Inbox: notes.inbox, Reports: notes.reports,
		Dev: &sohoaapi.Dev{
			IssueToken: func(a identity.Actor) (string, error) { return st.Issuer.Issue(a, o.Now(), 12*time.Hour) },
			Outbox:     notes.outboxMessages,
		},
		Ready:   func(ctx context.Context) error { return st.ready(ctx) },
		BaseURL: st.URL, Log: o.Log,
	})
	mux := http.NewServeMux()
	mux.Handle("/pki/", st.PKI.Handler())
	if signers.csc != nil {
		mux.Handle("/csc/", signers.csc) // serves under its own prefix, /csc/v2
	}
	mux.Handle("/", apiHandler)
	st.srv = &http.Server{Handler: logRequests(o.Log, mux), ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 120 * time.Second}

	// Jobs a killed predecessor held are ours to finish now.
	if n, err := st.DB.Queue().RecoverInflight(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		o.Log.Info("resuming jobs left in flight by the previous run", "jobs", n)
	}
	wctx, cancel := context.WithCancel(context.Background())
	st.cancel = cancel
	for i := 0; i < o.Workers; i++ {
		st.workers.Add(1)
		go func() {
			defer st.workers.Done()
			st.ingestWorker(wctx)
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

func (st *Stack) ready(ctx context.Context) error {
	if _, err := st.DB.Table().Get(ctx, "HEALTH", "HEALTH"); err != nil && !errs.Is(err, errs.NotFound) {
		return err
	}
	return nil
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

// ingestWorker takes ingest jobs until ctx is cancelled. A job in progress
// when ctx is cancelled runs to completion (drain): its own context is not
// derived from ctx.
func (st *Stack) ingestWorker(ctx context.Context) {
	q := st.DB.Queue()
	for ctx.Err() == nil {
		msgs, err := q.Receive(ctx, dossier.TopicIngest, 1, ingestVisibility, 2*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				st.log.Error("receive ingest job", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		for _, m := range msgs {
			st.runJob(m)
		}
	}
}

func (st *Stack) runJob(m queue.Message) {
	q := st.DB.Queue()
	jctx, cancel := context.WithTimeout(context.Background(), ingestVisibility-10*time.Second)
	defer cancel()
	err := st.runIngest(jctx, m)
	if err == nil {
		if err := q.Ack(context.Background(), dossier.TopicIngest, m.Receipt); err != nil {
			st.log.Error("ack ingest job", "err", err)
		}
		return
	}
	delay := time.Duration(1<<min(m.Attempts, 6)) * time.Second
	if dossier.IsRetryable(err) {
		delay = 50 * time.Millisecond // the upload's save lands within milliseconds
	} else {
		st.log.Error("ingest job failed", "attempt", m.Attempts, "err", err)
	}
	if err := q.Release(context.Background(), dossier.TopicIngest, m.Receipt, delay); err != nil {
		st.log.Error("release ingest job", "err", err)
	}
}

// runIngest runs one ingest job; a panic (the job reads an uploaded scan and
// the PDFs made from it) fails that job, which the queue retries and then
// dead-letters, and never stops the worker.
func (st *Stack) runIngest(ctx context.Context, m queue.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ingest job panicked: %v", r)
		}
	}()
	return st.Dossiers.RunIngest(ctx, m)
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
		h.ServeHTTP(rw, r)
		// Paths carry opaque IDs and codes only, never personal data.
		log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rw.status, "took", time.Since(start).Round(time.Millisecond))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }
