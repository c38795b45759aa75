package dossier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/search"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/metrics"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Queue topics the dossier service uses.
const (
	TopicIngest = "ingest"
)

// Placements of the conversion mark.
const (
	MarkTopLeft MarkPlacement = "top-left"   // the page's top-left corner, as the rule asks
	MarkMoved   MarkPlacement = "empty-area" // the empty area nearest the top-left
	MarkCompact MarkPlacement = "compact"    // a smaller form, in the empty area nearest the top-left
	MarkBand    MarkPlacement = "band"       // a band of blank paper added above the page
)

// Config holds the Service's dependencies. Records, Blobs, Queue, Catalog,
// Calendar and Scans are required.
type Config struct {
	Records records.Table
	Blobs   *blob.Bucket
	Queue   queue.Queue
	// Intake announces a scan stored under intake/ (IntakePrefix) to the
	// ingest queue. On AWS it does nothing: the bucket's ObjectCreated
	// notification announces it. The local stack sends the same S3-shaped
	// event to its own queue, so an upload takes the production path either
	// way. Nil: an IngestJob naming the intake key on Queue (domain tests).
	Intake   func(ctx context.Context, key string) error
	Catalog  *procedure.Catalog
	Calendar Calendar
	Scans    ScanReader
	Vault    Vault
	// Links, if set, presigns GETs and PUTs of Blobs: files are then handed
	// out as short-lived links (ComponentLink, ScanLink) and results may be
	// uploaded straight to storage (ResultUploadLink).
	Links blobs.Presigner
	// Results, if set, reads a result uploaded straight to storage before it
	// is taken (AcceptStoredResult), as the API reads one sent to it.
	Results ResultChecker
	Signer  ResultSigner
	Sealer  Sealer
	// Extractor reads components' text before certification (optional).
	Extractor Extractor
	// OCRSyncPages is how many pages besides the CCCD's an ingestion reads
	// itself (default DefaultOCRSyncPages); components past that budget are
	// read after VALIDATED by jobs on TopicOCR (RunOCR). The CCCD is always
	// read during ingestion.
	OCRSyncPages int
	// Search indexes the text the Extractor read (optional): the citizen's
	// vault copies for the citizen, the dossier's components for its agency.
	Search search.Index
	Now    func() time.Time
	Log    *slog.Logger
	// Metrics records pages ingested, seconds per stage, findings by code,
	// signing latency and jobs that ran out of attempts; nil: none.
	Metrics metrics.Sink
	NewID   func() string
	// MaxScanBytes bounds an uploaded scan; default scan.DefaultMaxBytes.
	MaxScanBytes int64
	// MaxResultBytes bounds a result PDF; default 50 MB.
	MaxResultBytes int64
	// Checkpoint, if set, is called at named steps of an ingestion and a
	// signature (crash tests kill the process there).
	Checkpoint func(step string)
	// Certifiers is how many components of one scan are certified at once;
	// default 1. Sealing a component is one core's work and holds about
	// three copies of it: two at a time ingest a scan about a tenth faster
	// on two cores, for half as much memory again (see make bench).
	Certifiers int
	// Pacer, if set, is told once a scan is split how much certifying its
	// components will hold at most (certified: Certifiers times its largest
	// component),
	// before they are certified (the heaviest moment of an ingestion: the
	// seal holds a few copies of a component); the func it returns is
	// called when they are stored. The process's owner uses it to keep the
	// GC's headroom in proportion (see app.Build).
	Pacer func(certified int64) (done func())
}

// Service runs dossiers through their life.
type Service struct {
	c  Config
	st store
}

// NewService returns a Service; it fails if a required dependency is missing
// or the calendar's holiday data does not reach calendar.Horizon past today.
func NewService(c Config) (*Service, error) {
	if c.Records == nil || c.Blobs == nil || c.Queue == nil || c.Catalog == nil || c.Calendar == nil || c.Scans == nil {
		return nil, fmt.Errorf("dossier: Records, Blobs, Queue, Catalog, Calendar and Scans are required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.Nop{}
	}
	if c.NewID == nil {
		c.NewID = func() string {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			return hex.EncodeToString(b)
		}
	}
	if c.MaxScanBytes == 0 {
		c.MaxScanBytes = scan.DefaultMaxBytes
	}
	if c.MaxResultBytes == 0 {
		c.MaxResultBytes = 50 << 20
	}
	if c.Checkpoint == nil {
		c.Checkpoint = func(string) {}
	}
	if c.Certifiers <= 0 {
		c.Certifiers = 1
	}
	if c.Pacer == nil {
		c.Pacer = func(int64) func() { return func() {} }
	}
	if c.Intake == nil {
		q := c.Queue
		c.Intake = func(ctx context.Context, key string) error {
			job, _ := json.Marshal(IngestJob{IntakeKey: key})
			return q.Send(ctx, TopicIngest, job, key)
		}
	}
	s := &Service{c: c, st: store{t: c.Records}}
	// Fail at start-up, months before the holiday data runs out, rather than
	// ever compute a due date past it.
	if err := s.Ready(); err != nil {
		return nil, fmt.Errorf("dossier: %w", err)
	}
	return s, nil
}

// errUnchanged, returned by an update's fn, means there is nothing to save
// (a redelivered event): the stored dossier is left as it is.
var errUnchanged = errors.New("unchanged")

// update loads dossier id, lets fn change it, and saves it with its events,
// retrying fn on a concurrent change. fn must be safe to call more than once;
// it returns errUnchanged when there is nothing to change.
func (s *Service) update(ctx context.Context, id string, fn func(d *Dossier) error) (*Dossier, error) {
	for attempt := 0; ; attempt++ {
		d, err := s.st.get(ctx, id)
		if err != nil {
			return nil, err
		}
		published := len(d.History)
		if err := fn(d); err != nil {
			if errors.Is(err, errUnchanged) {
				return d, nil
			}
			return nil, err
		}
		err = s.st.save(ctx, d, published)
		if err == nil {
			return d, nil
		}
		if !errs.Is(err, errs.Conflict) || attempt >= 5 {
			return nil, err
		}
	}
}

// Ready reports whether the service can compute right due dates now: the
// holiday calendar must reach calendar.Horizon past today. Stacks call it at
// start-up and from their readiness check.
func (s *Service) Ready() error { return s.c.Calendar.CheckHorizon(s.c.Now()) }

// Load returns a dossier without an access check, for the system's own
// consumers (notifications, statistics); never expose it to a caller.
func (s *Service) Load(ctx context.Context, id string) (*Dossier, error) { return s.st.get(ctx, id) }
