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

	"gocloud.dev/blob"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/app"
	"github.com/sohoa/sohoa/pkg/blobs"
	"github.com/sohoa/sohoa/pkg/dev/pki"
	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/identity"
	"github.com/sohoa/sohoa/pkg/local/sqlite"
	"github.com/sohoa/sohoa/pkg/notify"
	"github.com/sohoa/sohoa/pkg/queue"
	"github.com/sohoa/sohoa/pkg/vault"
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
	key, err := identity.LoadOrCreateKey(filepath.Join(o.DataDir, "token-key.pem"))
	if err != nil {
		return nil, err
	}
	st.Issuer = identity.NewIssuer(key, tokenIssuer, tokenAudience)
	verifier := identity.NewVerifier(tokenIssuer, tokenAudience, &key.PublicKey)

	outbox := notify.NewOutbox(st.DB.Table())
	signers, err := newSigning(st, outbox, staff, o)
	if err != nil {
		return nil, err
	}
	a, err := app.Build(ctx, app.Ports{Records: st.DB.Table(), Dossiers: st.Bucket, Vault: st.Bucket,
		Queue: st.DB.Queue(), Signer: signers.results, Sealer: signers.sealer},
		app.Options{Now: o.Now, Log: o.Log, Scans: o.Scans})
	if err != nil {
		return nil, err
	}
	st.Dossiers, st.Vault = a.Dossiers, a.Vault
	notes, err := newNotifications(st, a, outbox, staff, o)
	if err != nil {
		return nil, err
	}
	signers.background = append(signers.background, notes.background...)
	apiHandler := sohoaapi.New(sohoaapi.Config{
		Dossiers: st.Dossiers, Vault: st.Vault, Catalog: a.Catalog,
		Auth:      sohoaapi.BearerAuth{Verifier: verifier, Now: o.Now},
		Documents: sohoaapi.Printed{},
		Signing:   signers.api, Verifier: signers.verifier, Results: signers.uploads,
		Inbox: notes.inbox, Reports: notes.reports,
		Dev: &sohoaapi.Dev{
			IssueToken: func(a identity.Actor) (string, error) { return st.Issuer.Issue(a, o.Now(), 12*time.Hour) },
			Outbox:     notes.outboxMessages,
		},
		Ready:   a.Ready,
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
			st.worker(wctx, dossier.TopicIngest, ingestVisibility, st.Dossiers.RunIngest)
		}()
	}
	st.workers.Add(1)
	go func() {
		defer st.workers.Done()
		st.worker(wctx, dossier.TopicSign, signVisibility, st.runSignJob)
	}()
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

// worker takes messages of topic until ctx is cancelled and hands each to
// handle. A message in progress when ctx is cancelled runs to completion
// (drain): its own context is not derived from ctx. A failed message comes
// back after a backoff that grows with its deliveries (or at once when the
// handler says it was only early); after queue.MaxAttempts deliveries the
// queue dead-letters it.
func (st *Stack) worker(ctx context.Context, topic string, visibility time.Duration, handle func(context.Context, queue.Message) error) {
	q := st.DB.Queue()
	for ctx.Err() == nil {
		msgs, err := q.Receive(ctx, topic, 1, visibility, 2*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				st.log.Error("receive", "topic", topic, "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		for _, m := range msgs {
			st.run(topic, visibility, m, handle)
		}
	}
}

func (st *Stack) run(topic string, visibility time.Duration, m queue.Message, handle func(context.Context, queue.Message) error) {
	q := st.DB.Queue()
	jctx, cancel := context.WithTimeout(context.Background(), visibility-10*time.Second)
	defer cancel()
	err := safely(func() error { return handle(jctx, m) })
	if err == nil {
		if err := q.Ack(context.Background(), topic, m.Receipt); err != nil {
			st.log.Error("ack", "topic", topic, "err", err)
		}
		return
	}
	delay := time.Duration(1<<min(m.Attempts, 6)) * time.Second
	if dossier.IsRetryable(err) {
		delay = 50 * time.Millisecond // the upload's save lands within milliseconds
	} else {
		st.log.Error("job failed", "topic", topic, "attempt", m.Attempts, "err", err)
	}
	if err := q.Release(context.Background(), topic, m.Receipt, delay); err != nil {
		st.log.Error("release", "topic", topic, "err", err)
	}
}

// safely runs f, turning a panic into an error for this one job: a bug
// met by one file never takes the stack down.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
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
