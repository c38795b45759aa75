package dossier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/citizen"
	"github.com/sohoa/sohoa/pkg/domain/humantext"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/search"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Queue topics the dossier service uses.
const (
	TopicIngest = "ingest"
)

// ScanReader splits a stored scan, read from src (size bytes), into
// components. It hands each component's PDF back in memory
// (scan.Component.PDF) or as a file under dir (scan.Component.File); the
// caller creates dir and removes it. In production it is
// scan.SplitIsolatedStream (a child process with limits: neither the scan
// nor its components are held whole by the ingesting process); in tests
// often scan.Split through ScanBytes.
type ScanReader func(ctx context.Context, src io.Reader, size int64, dir string) (*scan.Result, error)

// ScanBytes is a ScanReader for a reader of whole scans in memory (scan.Split
// in tests): it reads the scan into memory first.
func ScanBytes(read func(ctx context.Context, data []byte) (*scan.Result, error)) ScanReader {
	return func(ctx context.Context, src io.Reader, size int64, _ string) (*scan.Result, error) {
		data := make([]byte, size)
		if _, err := io.ReadFull(src, data); err != nil {
			return nil, fmt.Errorf("read scan: %w", err)
		}
		return read(ctx, data)
	}
}

// Calendar computes due dates in working days; *calendar.Calendar implements it.
type Calendar interface {
	Due(received time.Time, workingDays int) time.Time
	// DueWithPauses is Due with the clock stopped during pauses (supplement
	// requests); ok is false while the last pause is open.
	DueWithPauses(received time.Time, workingDays int, pauses []calendar.Interval) (due time.Time, ok bool)
	// CheckHorizon fails when the holiday data does not reach far enough
	// past now for due dates to be right.
	CheckHorizon(now time.Time) error
}

// Vault is what the dossier service needs of the citizen's vault.
type Vault interface {
	Issue(ctx context.Context, n vault.NewDocument, content []byte) (*vault.Document, error)
	Reusable(ctx context.Context, owner, kind string, at time.Time) (*vault.Document, error)
	ReadForDossier(ctx context.Context, a identity.Actor, owner, id, dossierCode string) (*vault.Document, []byte, error)
	RequestReuse(ctx context.Context, owner string, r vault.ReuseRequest) (*vault.ReuseRequest, error)
	ConfirmReuseCode(ctx context.Context, a identity.Actor, owner, dossierID, code string) (*vault.ReuseRequest, error)
	DecideReuse(ctx context.Context, a identity.Actor, dossierID string, grant bool) (*vault.ReuseRequest, error)
	LogAccess(ctx context.Context, owner, what string, a vault.Access) error
}

// ResultSigner signs result PDFs with an officer's remote credential. One
// authorization (otp) covers every PDF of the call. It returns one signed PDF or
// one error per input; the error return is for a failure of the whole call (a
// wrong OTP is errs.Forbidden and signs nothing).
type ResultSigner interface {
	SignResults(ctx context.Context, officer identity.Actor, credentialID, otp string, pdfs []SignDocument) ([]SignOutcome, error)
}

// SignDocument is one result to sign and what its signature says.
type SignDocument struct {
	PDF      []byte
	Reason   string
	Location string
}

// SignOutcome is the fate of one SignDocument.
type SignOutcome struct {
	PDF []byte
	Err error
}

// Sealer certifies a digitized component: it stamps the conversion mark of Decree
// 137/2024 on page 1 and signs with the receiving unit's seal (Circular 01/2023
// Art. 8). A nil Sealer leaves components uncertified.
// Certify returns the certified PDF and where the mark went on page 1. The
// caller gives pdf up: the mark and the seal are appended in its spare
// capacity when it has room (CertifyRoom), so that a component of tens of
// megabytes is not copied on its way to a certified copy.
type Sealer interface {
	Certify(ctx context.Context, pdf []byte, mark ConversionMark) ([]byte, MarkPlacement, error)
}

// CertifyRoom is the spare capacity a PDF given to Sealer.Certify needs for
// the mark and the seal to be appended without a copy: the mark's font and
// drawing, the signature, its time stamp and revocation data.
const CertifyRoom = 1 << 20

// MarkPlacement says where the conversion mark went on a certified copy's
// first page: where the rule puts it, or elsewhere because the paper's
// content is there (the mark never covers it).
type MarkPlacement string

// Placements of the conversion mark.
const (
	MarkTopLeft MarkPlacement = "top-left"   // the page's top-left corner, as the rule asks
	MarkMoved   MarkPlacement = "empty-area" // the empty area nearest the top-left
	MarkCompact MarkPlacement = "compact"    // a smaller form, in the empty area nearest the top-left
	MarkBand    MarkPlacement = "band"       // a band of blank paper added above the page
)

// ConversionMark is what a certified digitized copy states about its making.
type ConversionMark struct {
	DossierCode string
	Component   string
	Converter   string // full name of the clerk who converted the paper
	Unit        string // the receiving unit (post office)
	At          time.Time
	// Ink is where the component's first page has ink, from the scan: the
	// mark goes where the paper is empty. Nil: unknown.
	Ink *scan.InkMap
}

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
	Signer   ResultSigner
	Sealer   Sealer
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
	NewID  func() string
	// MaxScanBytes bounds an uploaded scan; default 300 MB.
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
	// Pace, if set, is told once a scan is split how much certifying its
	// components will hold at most (certified: Certifiers times its largest
	// component),
	// before they are certified (the heaviest moment of an ingestion: the
	// seal holds a few copies of a component); the func it returns is
	// called when they are stored. The process's owner uses it to keep the
	// GC's headroom in proportion (see app.Build).
	Pace func(certified int64) (done func())
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
	if c.NewID == nil {
		c.NewID = func() string {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			return hex.EncodeToString(b)
		}
	}
	if c.MaxScanBytes == 0 {
		c.MaxScanBytes = 300 << 20
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
	if c.Pace == nil {
		c.Pace = func(int64) func() { return func() {} }
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

// CreateInput is what the postal clerk enters at the counter.
type CreateInput struct {
	Procedure    string  `json:"procedure"`
	Citizen      Citizen `json:"citizen"`
	PostOffice   string  `json:"postOffice"`
	ReturnByPost bool    `json:"returnByPost"`
}

// Create opens a dossier at the counter: it checks the procedure and the
// citizen, numbers the dossier and computes its due date.
func (s *Service) Create(ctx context.Context, a identity.Actor, in CreateInput) (*Dossier, error) {
	if a.Role != identity.Clerk {
		return nil, errs.E(errs.Forbidden, "only a postal clerk opens dossiers")
	}
	p, err := s.c.Catalog.Get(in.Procedure)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.FieldError("procedure", "thủ tục %q không có trong danh mục / unknown procedure %q", in.Procedure, in.Procedure)
		}
		return nil, err
	}
	if _, err := citizen.ParseAt(in.Citizen.ID, s.c.Now()); err != nil {
		return nil, err
	}
	in.Citizen.Name = strings.TrimSpace(in.Citizen.Name)
	in.Citizen.Phone, in.Citizen.Email = strings.TrimSpace(in.Citizen.Phone), strings.TrimSpace(in.Citizen.Email)
	for _, f := range []struct{ name, v string }{{"citizen.name", in.Citizen.Name}, {"citizen.phone", in.Citizen.Phone},
		{"citizen.email", in.Citizen.Email}, {"postOffice", in.PostOffice}} {
		if err := humantext.Check(f.name, f.v, false); err != nil {
			return nil, err
		}
	}
	if in.Citizen.Name == "" || len(in.Citizen.Name) > 200 {
		return nil, errs.FieldError("citizen.name", "cần họ và tên người nộp (tối đa 200 ký tự) / the applicant's full name is required (at most 200 characters)")
	}
	if len(in.Citizen.Phone) > 20 || len(in.Citizen.Email) > 254 || (in.Citizen.Email != "" && !strings.Contains(in.Citizen.Email, "@")) {
		return nil, errs.FieldError("citizen.email", "số điện thoại hoặc email không hợp lệ / invalid phone or email")
	}
	// The clerk acts for the post office their token names; a post office in
	// the request is at most a check of it.
	postOffice := strings.TrimSpace(a.PostOffice)
	if postOffice == "" || len(postOffice) > 200 || humantext.Check("postOffice", postOffice, false) != nil {
		return nil, errs.E(errs.Forbidden, "tài khoản của bạn không gắn với bưu cục nào / your access token names no post office")
	}
	if body := strings.TrimSpace(in.PostOffice); body != "" && body != postOffice {
		return nil, errs.E(errs.Forbidden, "bạn làm việc cho %s, không thể mở hồ sơ cho %s / you act for %s and cannot open a dossier for another post office", postOffice, body, postOffice)
	}
	now := s.c.Now().UTC()
	if err := s.c.Calendar.CheckHorizon(now); err != nil {
		return nil, err
	}
	seq, err := s.st.nextSeq(ctx, p.Agency, now)
	if err != nil {
		return nil, err
	}
	d := &Dossier{
		ID: s.c.NewID(), Code: FormatCode(p.Agency, now, seq), Procedure: p.Code, Agency: p.Agency,
		Status: Received, ReceivedAt: now, DueAt: s.c.Calendar.Due(now, p.ProcessingDays).UTC(),
		Citizen: in.Citizen, PostOffice: postOffice, ReturnByPost: in.ReturnByPost,
		Clerk: a.Subject, ClerkName: a.Name, Channel: "postal",
		Components: []Component{}, Findings: []Finding{},
		History: []Event{{Status: Received, At: now, Actor: a.Label()}},
	}
	if d.ClerkName == "" {
		d.ClerkName = a.Subject
	}
	if err := s.st.save(ctx, d, 0); err != nil {
		return nil, err
	}
	s.c.Log.Info("dossier created", "dossier", d.Code, "procedure", d.Procedure, "citizen", citizen.Mask(d.Citizen.ID))
	return d, nil
}

// canRead reports whether a may see dossier d: its clerk (or a clerk of its post
// office), an officer of its agency, its citizen, or an auditor.
func canRead(a identity.Actor, d *Dossier) bool {
	switch a.Role {
	case identity.Clerk:
		return a.Subject == d.Clerk || (a.PostOffice != "" && a.PostOffice == d.PostOffice)
	case identity.Officer:
		return a.Agency == d.Agency
	case identity.Citizen:
		return a.Subject == d.Citizen.ID
	case identity.Auditor:
		return true
	}
	return false
}

// Get returns a dossier to someone allowed to see it; to anyone else it does not exist.
func (s *Service) Get(ctx context.Context, a identity.Actor, id string) (*Dossier, error) {
	d, err := s.st.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canRead(a, d) {
		return nil, errs.E(errs.NotFound, "no dossier %s", id)
	}
	return d, nil
}

// Read returns a dossier to someone allowed to see it, and writes in the
// citizen's access log that an officer (or a clerk other than the one who
// took it) read their personal data (name, ID, contacts) with the dossier
// code as the reason. Auditors are shown no
// personal data (the API strips it) and the citizen reads their own.
func (s *Service) Read(ctx context.Context, a identity.Actor, id string) (*Dossier, error) {
	d, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	// The clerk who took the dossier at the counter typed these fields; any
	// other clerk (of the same post office) reading them is logged.
	if a.Role == identity.Officer || (a.Role == identity.Clerk && a.Subject != d.Clerk) {
		if err := s.logRead(ctx, a, d, "dossier "+d.Code, "citizen.id,citizen.name,citizen.phone,citizen.email"); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// GetByCode is Read by the dossier's code (printed on the receipt): the same
// visibility, the same entry in the citizen's access log.
func (s *Service) GetByCode(ctx context.Context, a identity.Actor, code string) (*Dossier, error) {
	if !ValidCode(code) {
		return nil, errs.E(errs.NotFound, "no dossier with code %s", code)
	}
	d, err := s.st.byCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if !canRead(a, d) {
		return nil, errs.E(errs.NotFound, "no dossier with code %s", code)
	}
	return s.Read(ctx, a, d.ID)
}

// logRead writes in the citizen's access log that a, not the citizen, read
// field of the dossier d. A read that cannot be logged is not served.
func (s *Service) logRead(ctx context.Context, a identity.Actor, d *Dossier, what, field string) error {
	if s.c.Vault == nil || (a.Role == identity.Citizen && a.Subject == d.Citizen.ID) {
		return nil
	}
	err := s.c.Vault.LogAccess(ctx, d.Citizen.ID, what, vault.Access{Actor: a.Label(), Role: string(a.Role),
		Action: "read", Purpose: "dossier " + d.Code, Field: field})
	if err != nil {
		return fmt.Errorf("log the read in the citizen's access log: %w", err)
	}
	return nil
}

// Tracking is the public view of a dossier: no personal data.
type Tracking struct {
	Code      string    `json:"code"`
	Procedure string    `json:"procedure"`
	Status    Status    `json:"status"`
	DueAt     time.Time `json:"dueAt"`
}

// Track returns the public status of the dossier with code.
func (s *Service) Track(ctx context.Context, code string) (*Tracking, error) {
	if !ValidCode(code) {
		return nil, errs.E(errs.NotFound, "no dossier with code %s", code)
	}
	d, err := s.st.byCode(ctx, code)
	if err != nil {
		return nil, err
	}
	return &Tracking{Code: d.Code, Procedure: d.Procedure, Status: d.Status, DueAt: d.DueAt}, nil
}

// AgencyQueue returns the officer's agency's dossiers in status st, earliest due first.
func (s *Service) AgencyQueue(ctx context.Context, a identity.Actor, st Status) ([]*Dossier, error) {
	if a.Role != identity.Officer {
		return nil, errs.E(errs.Forbidden, "only agency officers have a queue")
	}
	if st == "" {
		st = Validated
	}
	if !st.Valid() {
		return nil, errs.FieldError("status", "unknown status %q", st)
	}
	return s.st.queue(ctx, a.Agency, st)
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

// Decide records the agency's decision on a VALIDATED dossier.
func (s *Service) Decide(ctx context.Context, a identity.Actor, id string, approve bool, note string) (*Dossier, error) {
	if len(note) > 4000 {
		return nil, errs.FieldError("note", "the note is at most 4000 characters")
	}
	if err := humantext.Check("note", note, true); err != nil {
		return nil, err
	}
	return s.update(ctx, id, func(d *Dossier) error {
		if err := s.officerOf(a, d); err != nil {
			return err
		}
		to := Rejected
		if approve {
			to = Approved
		}
		now := s.c.Now().UTC()
		if err := d.move(to, now, a.Label()); err != nil {
			return err
		}
		d.Decision = &Decision{Approve: approve, Note: note, By: a.Label(), At: now}
		return nil
	})
}

// officerOf checks that a is an officer of d's agency: to anyone else, d does not exist.
func (s *Service) officerOf(a identity.Actor, d *Dossier) error {
	if a.Role == identity.Officer && a.Agency == d.Agency {
		return nil
	}
	if canRead(a, d) {
		return errs.E(errs.Forbidden, "only an officer of agency %s may do this", d.Agency)
	}
	return errs.E(errs.NotFound, "no dossier %s", d.ID)
}

// PostalReturn records that the post office handed the paper result over.
func (s *Service) PostalReturn(ctx context.Context, a identity.Actor, id, waybill string) (*Dossier, error) {
	waybill = strings.TrimSpace(waybill)
	if waybill == "" || len(waybill) > 64 {
		return nil, errs.FieldError("waybill", "a waybill number is required (at most 64 characters)")
	}
	if err := humantext.Check("waybill", waybill, false); err != nil {
		return nil, err
	}
	return s.update(ctx, id, func(d *Dossier) error {
		if !canRead(a, d) {
			return errs.E(errs.NotFound, "no dossier %s", id)
		}
		if a.Role != identity.Clerk {
			return errs.E(errs.Forbidden, "only a postal clerk records a postal return")
		}
		if !d.ReturnByPost {
			return errs.E(errs.Conflict, "the citizen did not ask for return by post")
		}
		if err := d.move(ReturnedByPost, s.c.Now(), a.Label()); err != nil {
			return err
		}
		d.Waybill = waybill
		return nil
	})
}

// Ready reports whether the service can compute right due dates now: the
// holiday calendar must reach calendar.Horizon past today. Stacks call it at
// start-up and from their readiness check.
func (s *Service) Ready() error { return s.c.Calendar.CheckHorizon(s.c.Now()) }

// Load returns a dossier without an access check, for the system's own
// consumers (notifications, statistics); never expose it to a caller.
func (s *Service) Load(ctx context.Context, id string) (*Dossier, error) { return s.st.get(ctx, id) }

// Pauses returns the intervals during which d's clock was stopped: from each
// move to NEEDS_SUPPLEMENT to the next new scan (SCANNED). The last is open
// (End zero) while the supplement is still awaited.
func (d *Dossier) Pauses() []calendar.Interval {
	var out []calendar.Interval
	for _, h := range d.History {
		switch {
		case h.Status == NeedsSupplement:
			out = append(out, calendar.Interval{Start: h.At})
		case h.Status != NeedsSupplement && len(out) > 0 && out[len(out)-1].End.IsZero():
			out[len(out)-1].End = h.At
		}
	}
	return out
}

// resume moves d from NEEDS_SUPPLEMENT to SCANNED and restarts its clock: the
// due time moves later by the working time spent waiting for the supplement
// (Decision 766/QĐ-TTg: the time a dossier waits for the citizen is not the
// agency's).
func (s *Service) resume(d *Dossier, actor string) error {
	wasPaused := d.Status == NeedsSupplement
	if err := d.move(Scanned, s.c.Now(), actor); err != nil {
		return err
	}
	if !wasPaused {
		return nil
	}
	p, err := s.c.Catalog.Get(d.Procedure)
	if err != nil {
		return err
	}
	if due, ok := s.c.Calendar.DueWithPauses(d.ReceivedAt, p.ProcessingDays, d.Pauses()); ok {
		d.DueAt = due.UTC()
	}
	return nil
}
