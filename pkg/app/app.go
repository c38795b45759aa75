// Package app is the one assembly of Sohoa: Build takes the ports a platform
// hands it (records, blobs, queue, the signers it chose) and builds every core
// service once, the same way for the local stack (infra/local) and for each
// Lambda function (functions/*). Those edges only choose adapters and options.
//
// It links the core domain only; the HTTP router, the notifier and the
// statistics are built from the App by the edges that run them, so each
// Lambda links only what it uses.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	pdfcpu "github.com/pdfcpu/pdfcpu/pkg/api"
	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/search"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/metrics"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Ports are the adapters a platform hands the assembly.
type Ports struct {
	// Records is the single table of dossiers, vault index, shares, audit and
	// idempotency keys (DynamoDB on AWS, SQLite locally). Required.
	Records records.Table
	// Dossiers holds intake/, scans/, components/ and results/. Required.
	Dossiers *blob.Bucket
	// Vault holds the citizens' documents (Object Lock on AWS); nil for a
	// function that never touches the vault (notify, report): App.Vault is
	// then nil and the dossier service reuses and issues nothing.
	Vault *blob.Bucket
	// Queue carries ingest, sign and OCR jobs. Required.
	Queue queue.Queue
	// Intake announces a scan stored under intake/ to the ingest queue; nil
	// on AWS, where the bucket's ObjectCreated notification does it.
	Intake func(ctx context.Context, key string) error
	// Signer signs results with an officer's remote credential; nil: results
	// cannot be signed here (the function or stack has no provider).
	Signer dossier.ResultSigner
	// Sealer certifies digitized components; nil: they stay uncertified.
	Sealer dossier.Sealer
	// AuditMAC keys the vault's access log with a key the records store
	// never holds (a KMS HMAC key on AWS, a key file outside the data folder
	// locally). Nil: an unkeyed chain, loudly.
	AuditMAC vault.MAC
	// Codes sends reuse-consent codes to the contact on record in a
	// citizen's vault; nil: consent is given in the vault only.
	Codes vault.CodeSender
	// VaultLock makes a vault document's bytes immutable until a date
	// (s3.RetainUntil: Object Lock per object); nil: the bucket's default.
	VaultLock func(until time.Time) func(asFunc func(any) bool) error
	// Search indexes the words read from components (SQLite FTS5 locally, a
	// partition per citizen or agency in the records table on AWS); nil: no
	// search.
	Search search.Index
	// Extractor reads components' text (OCR in the isolated child) before
	// certification; nil: components carry no text layer and no fields.
	Extractor dossier.Extractor
	// DossierLinks and VaultLinks presign GETs (and PUTs) of the Dossiers
	// and Vault buckets: files are then handed out as short-lived links and
	// results may be uploaded straight to storage; nil: through the API.
	DossierLinks, VaultLinks blobs.Presigner
	// Results reads a result uploaded straight to storage before it is
	// taken (the PDF door's CheckResult in an isolated child); nil: the
	// cheap checks only.
	Results dossier.ResultChecker
}

// Options are the optional parts; the zero Options is production's.
type Options struct {
	// Now is the clock (default time.Now). The records table must judge
	// expiry by the same clock (sqlite.Table.WithClock, dynamo.Table.WithClock).
	Now func() time.Time
	Log *slog.Logger
	// Metrics records the services' metrics (metrics.EMF); nil: none.
	Metrics metrics.Sink
	// Scans reads uploaded scans; nil: scan.SplitIsolatedStream with the
	// default limits (a child process: the binary's main must call
	// scan.RunChildIfRequested first; the scan streams from storage to it).
	Scans dossier.ScanReader
	// Catalog and Calendar default to procedure.Default and calendar.Default.
	Catalog  *procedure.Catalog
	Calendar *calendar.Calendar
	// Retention says how long VaultLock keeps each kind of document.
	Retention func(kind string, signed bool) time.Duration
	// Checkpoint, if set, is called at named steps of an ingestion, an
	// issue and a signing: crash tests kill the process there.
	Checkpoint func(step string)
	// OCRSyncPages is how many pages besides the CCCD's an ingestion reads
	// itself (see dossier.Config).
	OCRSyncPages int
	// Certifiers is how many components of a scan are certified at once
	// (see dossier.Config).
	Certifiers int
}

// App is the core services, built once per process.
type App struct {
	Catalog  *procedure.Catalog
	Calendar *calendar.Calendar
	Vault    *vault.Service
	Dossiers *dossier.Service
	// Search is the index of components' words (Ports.Search).
	Search search.Index

	records records.Table
}

// Build checks the ports and builds the services. It fails, naming what is
// wrong, on a missing port, a catalog that does not load, or a calendar whose
// holiday data does not reach calendar.Horizon past today.
func Build(ctx context.Context, p Ports, o Options) (*App, error) {
	var missing []error
	if p.Records == nil {
		missing = append(missing, errors.New("Records"))
	}
	if p.Dossiers == nil {
		missing = append(missing, errors.New("Dossiers"))
	}
	if p.Queue == nil {
		missing = append(missing, errors.New("Queue"))
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("app: missing ports: %w", errors.Join(missing...))
	}
	// pdfcpu must not look for a configuration folder: Lambda writes only
	// /tmp, and the local stack keeps its data where it is told.
	pdfcpu.DisableConfigDir()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	// A process killed in the middle of an ingestion leaves its temporary
	// folder behind (Lambda may keep /tmp for the next process): an hour is
	// far longer than any ingestion.
	if n, err := dossier.RemoveStaleScanFolders(time.Hour); n > 0 || err != nil {
		o.Log.Warn("removed temporary folders of interrupted ingestions", "count", n, "err", err)
	}
	if o.Catalog == nil {
		if err := procedure.DefaultErr(); err != nil {
			return nil, fmt.Errorf("app: procedure catalog: %w", err)
		}
		o.Catalog = procedure.Default()
	}
	if o.Calendar == nil {
		o.Calendar = calendar.Default()
	}
	if o.Scans == nil {
		lim := scan.DefaultLimits()
		o.Scans = func(ctx context.Context, src io.Reader, size int64, dir string) (*scan.Result, error) {
			return scan.SplitIsolatedStream(ctx, src, size, lim, dir)
		}
	}
	a := &App{Catalog: o.Catalog, Calendar: o.Calendar, Search: p.Search, records: p.Records}
	c := dossier.Config{
		Records: p.Records, Blobs: p.Dossiers, Queue: p.Queue, Catalog: o.Catalog, Calendar: o.Calendar,
		Scans: o.Scans, Signer: p.Signer, Sealer: p.Sealer, Now: o.Now, Log: o.Log, Checkpoint: o.Checkpoint,
		Metrics: o.Metrics, Search: p.Search, Extractor: p.Extractor, OCRSyncPages: o.OCRSyncPages, Intake: p.Intake,
		Certifiers: o.Certifiers, Links: p.DossierLinks, Results: p.Results,
		Pacer: (&memoryPacer{}).pace,
	}
	if p.Vault != nil {
		if p.AuditMAC == nil {
			o.Log.Warn("no access-log key: the vault's access log is hash-chained but not keyed")
		}
		a.Vault = vault.New(p.Records, p.Vault, &vault.Options{Now: o.Now, Log: o.Log, MAC: p.AuditMAC,
			Codes: p.Codes, Lock: p.VaultLock, Retention: o.Retention, Checkpoint: o.Checkpoint, Links: p.VaultLinks})
		c.Vault = a.Vault
	}
	var err error
	a.Dossiers, err = dossier.NewService(c)
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	return a, nil
}

// Ready reports whether the stack can serve (GET /healthz): the records
// table answers and the calendar reaches far enough.
func (a *App) Ready(ctx context.Context) error {
	if _, err := a.records.Get(ctx, "HEALTH", "HEALTH"); err != nil && !errs.Is(err, errs.NotFound) {
		return err
	}
	return a.Dossiers.Ready()
}
