package dossier

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/gcerrors"
	"golang.org/x/sync/errgroup"

	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/port/metrics"
)

// IngestJob asks a worker to ingest one stored scan of a dossier, or, with
// IntakeKey, to take a scan stored under intake/ as AcceptStoredScan does.
type IngestJob struct {
	DossierID string `json:"dossierId,omitempty"`
	ScanKey   string `json:"scanKey,omitempty"`
	IntakeKey string `json:"intakeKey,omitempty"`
}

// errStale marks a job whose dossier is not yet in the state the job expects;
// the queue should deliver it again later.
var errStale = errors.New("dossier not ready for this job yet")

// Ingest runs one ingestion job: split the scan, check the components against
// the procedure, reuse vault documents for what is missing, certify the
// components, and move the dossier to VALIDATED or NEEDS_SUPPLEMENT. It is
// idempotent: a job for a scan already ingested changes nothing. lastAttempt
// tells it that the queue will not deliver the job again, so that a failure
// becomes a finding instead of leaving the dossier in SCANNED.
func (s *Service) Ingest(ctx context.Context, job IngestJob, lastAttempt bool) error {
	d, err := s.st.get(ctx, job.DossierID)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil // nothing to do for a dossier that does not exist
		}
		return err
	}
	last, ok := d.LastScan()
	switch {
	case ok && last.Key == job.ScanKey && d.Status == Scanned:
	case ok && last.Key == job.ScanKey:
		// Already ingested. A dossier VALIDATED before certified copies were
		// issued first (or whose vault lost one) gets the gap filled.
		return s.ensureIssued(ctx, d, nil)
	case !ok || !hasScan(d, job.ScanKey):
		if lastAttempt {
			return nil
		}
		return errStale // the upload's save has not landed yet
	default:
		return nil // a newer scan superseded this one
	}
	s.c.Checkpoint("ingest.start")
	start := time.Now()
	outcome, err := s.analyse(ctx, d, last)
	issuing := false
	if err == nil && !outcome.hasErrors() {
		// Every certified copy the dossier will announce goes into the vault
		// before the dossier says VALIDATED; the issue is keyed by the scan, so
		// a redelivered job fills gaps and duplicates nothing.
		probe := *d
		probe.Components = outcome.components
		outcome.issued = map[string]string{}
		err, issuing = s.ensureIssued(ctx, &probe, outcome.issued), true
	}
	if err != nil {
		if !lastAttempt || ctx.Err() != nil {
			return err
		}
		s.c.Log.ErrorContext(ctx, "job ran out of attempts: ingestion failed on its last one; the dossier is marked unfinished", "topic", TopicIngest, "dossier", d.Code, "err", err)
		s.c.Metrics.Record(ctx, metrics.JobsDeadLettered, metrics.Count, 1, "Topic", TopicIngest)
		f := NewFinding(FindingUnfinished)
		if issuing {
			f = NewFinding(FindingVaultUnavailable)
		}
		outcome = &analysis{findings: []Finding{f}}
	}
	s.c.Checkpoint("ingest.issued")
	if err := s.queueOCR(ctx, d, outcome); err != nil {
		return err
	}
	saved, err := s.update(ctx, d.ID, func(d *Dossier) error {
		if l, ok := d.LastScan(); !ok || l.Key != job.ScanKey || d.Status != Scanned {
			return errAlreadyDone
		}
		return s.settle(d, outcome)
	})
	if errors.Is(err, errAlreadyDone) {
		return nil
	}
	if err != nil {
		return err
	}
	s.c.Checkpoint("ingest.saved")
	s.recordIngest(ctx, start, outcome)
	s.c.Log.InfoContext(ctx, "dossier ingested", "dossier", d.Code, "components", len(outcome.components),
		"findings", len(outcome.findings), "split", outcome.split.Round(time.Millisecond),
		"took", time.Since(start).Round(time.Millisecond), "readerPeakMB", outcome.readerPeak>>20)
	s.indexForAgency(ctx, saved, outcome)
	if saved.Status == Validated {
		for _, c := range saved.Components {
			if id, ok := outcome.issued[c.Code]; ok {
				s.indexForCitizen(ctx, saved, c, id, outcome)
			}
		}
	}
	return nil
}

var errAlreadyDone = errors.New("already ingested")

// recordIngest records the metrics of a saved ingestion.
func (s *Service) recordIngest(ctx context.Context, start time.Time, a *analysis) {
	m := s.c.Metrics
	if a.pages > 0 {
		m.Record(ctx, metrics.PagesIngested, metrics.Count, float64(a.pages))
		m.Record(ctx, metrics.StageSeconds, metrics.Seconds, a.split.Seconds(), "Stage", "split")
	}
	metrics.Since(ctx, m, metrics.StageSeconds, start, "Stage", "ingest")
	for _, f := range a.findings {
		m.Record(ctx, metrics.Findings, metrics.Count, 1, "Code", f.Code)
	}
}

// IsRetryable reports whether an Ingest error should be retried later rather
// than counted as a failure of the job.
func IsRetryable(err error) bool { return errors.Is(err, errStale) }

func hasScan(d *Dossier, key string) bool {
	for _, sc := range d.Scans {
		if sc.Key == key {
			return true
		}
	}
	return false
}

// analysis is the outcome of reading a scan against a procedure.
type analysis struct {
	components []Component
	findings   []Finding
	// split is how long reading the scan took; the rest of an ingestion is
	// storage and certification. pages is how many pages it had.
	split time.Duration
	pages int
	// readerPeak is the scan reader's peak resident memory in bytes (its
	// child process's: scan.Result.PeakRSS), for capacity planning.
	readerPeak int64
	// reuse is the state of the dossier's request to reuse vault documents.
	reuse *Reuse
	// texts are the components' words read by the Extractor, for search.
	texts map[string]string
	// deferred are the long components stored uncertified, to be read and
	// certified by OCR jobs once the dossier is saved; syncPages counts the
	// pages read during the ingestion (see deferOCR).
	deferred  []Component
	syncPages int
	// issued are the vault document IDs of the certified copies, for search.
	issued map[string]string
}

func (a *analysis) hasErrors() bool {
	for _, f := range a.findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

// analyse reads the scan and checks it against the procedure, storing the
// components. The scan streams from storage to the scan reader, which leaves
// the component PDFs in a temporary folder (removed on return, whatever
// happens); they are read one at a time, so neither the scan nor all its
// components are ever in this process's memory.
func (s *Service) analyse(ctx context.Context, d *Dossier, sc Scan) (*analysis, error) {
	p, err := s.c.Catalog.Get(d.Procedure)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", scanFolderPrefix)
	if err != nil {
		return nil, fmt.Errorf("ingest %s: %w", d.Code, err)
	}
	defer os.RemoveAll(dir)
	splitStart := time.Now()
	res, err := s.splitScan(ctx, sc, dir)
	splitTook := time.Since(splitStart)
	var se *scan.Error
	if errors.As(err, &se) {
		return &analysis{findings: []Finding{scanFinding(se)}}, nil
	}
	if err != nil {
		return nil, err
	}
	a := &analysis{split: splitTook, readerPeak: res.PeakRSS, pages: len(res.Pages)}
	for _, pg := range res.Pages {
		if pg.DPI > 0 && pg.DPI+scan.DPITolerance < scan.MinDPI && pg.Separator == "" {
			a.findings = append(a.findings, NewFinding(FindingLowResolution, pg.Number, pg.DPI, scan.MinDPI).On(pg.Number))
		}
	}
	if len(res.Leading) > 0 {
		a.findings = append(a.findings, NewFinding(FindingLeadingPages, len(res.Leading)).On(res.Leading[0]))
	}
	comps := res.Components
	if allBlank(res.Pages) {
		// Nothing on any page: the paper went through face down, or the
		// scanner's lid or feeder captured no sheet. Splitting nothing says
		// nothing useful ("no separator", "component blank").
		a.findings = append(a.findings, NewFinding(FindingBlankScan, len(res.Pages)))
		return a, nil
	}
	if len(comps) == 1 && comps[0].Code == "" {
		paper := paperComponents(p)
		if len(paper) != 1 {
			a.findings = append(a.findings, NewFinding(FindingNoSeparators))
			a.findings = append(a.findings, captureFindings(p, res)...)
			return a, nil
		}
		comps[0].Code = paper[0].Code
	}
	defer s.c.Pacer(largestComponent(comps) * int64(min(s.c.Certifiers, len(comps))))()
	seen := map[string]bool{}
	var work []componentWork
	for _, c := range comps {
		pc, known := p.Component(c.Code)
		switch {
		case !known:
			a.findings = append(a.findings, NewFinding(FindingUnknownSeparator, c.SeparatorPage, c.Code, p.Code).On(c.SeparatorPage).Of(c.Code))
			continue
		case seen[c.Code]:
			a.findings = append(a.findings, NewFinding(FindingDuplicate, pc.Name, c.SeparatorPage).On(c.SeparatorPage).Of(c.Code))
			continue
		case c.AllBlank():
			seen[c.Code] = true
			a.findings = append(a.findings, NewFinding(FindingComponentBlank, pc.Name, pageList(c.Blank)).On(c.Blank[0]).Of(c.Code))
			continue
		case len(c.Pages) == 0:
			seen[c.Code] = true // present, but unusable: one finding says why
			a.findings = append(a.findings, NewFinding(FindingComponentEmpty, pc.Name, c.SeparatorPage).On(c.SeparatorPage).Of(c.Code))
			continue
		case len(c.Blank) > 0:
			// Duplex backs: left out of the component and its certified copy, kept in the original scan.
			a.findings = append(a.findings, NewFinding(FindingBlankPages, len(c.Blank), pc.Name, pageList(c.Blank)).On(c.Blank[0]).Of(c.Code))
		}
		seen[c.Code] = true
		var ink *scan.InkMap
		if n := c.Pages[0]; n >= 1 && n <= len(res.Pages) {
			ink = res.Pages[n-1].InkMap
		}
		work = append(work, componentWork{c: c, pc: pc, ink: ink, deferred: s.deferOCR(a, c)})
	}
	// Components are certified a few at a time: sealing one is one core's
	// work, and its page images are written meanwhile. Their outcomes join
	// the dossier in the scan's order, whichever finishes first.
	done := make([]componentOutcome, len(work))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.c.Certifiers)
	for i, w := range work {
		g.Go(func() (err error) {
			done[i], err = s.ingestComponent(gctx, d, p, w)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, o := range done {
		a.findings = append(a.findings, o.findings...)
		if o.text != "" {
			a.addText(o.comp.Code, o.text)
		}
		a.components = append(a.components, o.comp)
		if o.deferred {
			a.deferred = append(a.deferred, o.comp)
		}
	}
	var wanted []procedure.Component
	for _, pc := range p.Components {
		if seen[pc.Code] || !pc.Required {
			continue
		}
		if pc.Reusable && s.c.Vault != nil {
			wanted = append(wanted, pc)
			continue
		}
		a.findings = append(a.findings, missingFinding(pc))
	}
	if len(wanted) > 0 && Judge(a.findings) == CounterAttempt {
		// The scan is redone first: nobody asks the citizen for anything yet.
		for _, pc := range wanted {
			a.findings = append(a.findings, missingFinding(pc))
		}
		wanted = nil
	}
	if len(wanted) > 0 {
		if err := s.reuseFromVault(ctx, d, wanted, a); err != nil {
			return nil, err
		}
	}
	a.findings = append(a.findings, captureFindings(p, res)...)
	return a, nil
}

// scanFolderPrefix names the temporary folders of ingestions (see analyse).
const scanFolderPrefix = "sohoa-scan-"

// RemoveStaleScanFolders removes the temporary folders that ingestions left
// in os.TempDir() more than age ago: only a process killed in the middle of
// an ingestion leaves one (Lambda may keep /tmp for the next process of the
// same environment). Call it as a process starts; it returns how many it
// removed and the first failure.
func RemoveStaleScanFolders(age time.Duration) (int, error) {
	tmp := os.TempDir()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", tmp, err)
	}
	n := 0
	var first error
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), scanFolderPrefix) {
			continue
		}
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < age {
			continue
		}
		if err := os.RemoveAll(filepath.Join(tmp, e.Name())); err != nil {
			first = cmp.Or(first, err)
			continue
		}
		n++
	}
	return n, first
}

// largestComponent is the size of the largest component PDF of a split scan.
func largestComponent(comps []scan.Component) int64 {
	var n int64
	for _, c := range comps {
		size := int64(len(c.PDF))
		if c.File != "" {
			if fi, err := os.Stat(c.File); err == nil {
				size = fi.Size()
			}
		}
		n = max(n, size)
	}
	return n
}

// splitScan streams a stored scan from blob storage to the scan reader,
// which leaves the components in dir.
func (s *Service) splitScan(ctx context.Context, sc Scan, dir string) (*scan.Result, error) {
	r, err := s.c.Blobs.NewReader(ctx, sc.Key, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, fmt.Errorf("scan %s is missing from storage", sc.Key)
		}
		return nil, fmt.Errorf("read scan: %w", err)
	}
	defer r.Close()
	if r.Size() > s.c.MaxScanBytes {
		return nil, fmt.Errorf("scan %s is larger than the limit", sc.Key)
	}
	return s.c.Scans(ctx, r, r.Size(), dir)
}

// paperComponents are the components a clerk would receive on paper: the
// required ones.
func paperComponents(p procedure.Procedure) []procedure.Component {
	var out []procedure.Component
	for _, c := range p.Components {
		if c.Required {
			out = append(out, c)
		}
	}
	return out
}

// AcceptStoredScan takes a scan that was uploaded straight to blob storage
// under an intake key (the S3 ObjectCreated path): it records the scan on the
// dossier, moves it to SCANNED and ingests it, all in this call. It is
// idempotent: a redelivered event for a scan already recorded resumes or
// skips its ingestion; an event for a dossier past ingestion leaves the
// dossier alone (the object stays, as every original does).
func (s *Service) AcceptStoredScan(ctx context.Context, key string, lastAttempt bool) error {
	id, ok := DossierOfIntakeKey(key)
	if !ok {
		s.c.Log.WarnContext(ctx, "ignoring an object outside the intake layout", "key", key)
		return nil
	}
	if d, err := s.st.get(ctx, id); err == nil {
		for _, sc := range d.Scans {
			if sc.Key == key && sc.Size <= s.c.MaxScanBytes {
				// Recorded already, with the digest taken as it was stored
				// (an upload through the API, or this event delivered
				// again): the scan need not be read twice before it is
				// split. One over the limit goes the long way, to its finding.
				return s.Ingest(ctx, IngestJob{DossierID: d.ID, ScanKey: key}, lastAttempt)
			}
		}
	}
	attrs, err := s.c.Blobs.Attributes(ctx, key)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil // deleted since (lifecycle): nothing to ingest
		}
		return fmt.Errorf("stat %s: %w", key, err)
	}
	r, err := s.c.Blobs.NewReader(ctx, key, nil)
	if err != nil {
		return fmt.Errorf("open %s: %w", key, err)
	}
	// The stored type is what the bytes are, never what the uploader declared
	// (a presigned PUT keeps the client's Content-Type).
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(1024)
	contentType := sniffedType(head)
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(br, s.c.MaxScanBytes+1))
	r.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	if attrs.ContentType != contentType {
		s.c.Log.InfoContext(ctx, "scan typed by its bytes, not as declared", "key", key, "declared", attrs.ContentType, "sniffed", contentType)
	}
	digest := hex.EncodeToString(h.Sum(nil))
	tooLarge := n > s.c.MaxScanBytes
	d, err := s.recordScan(ctx, id, Scan{Key: key, SHA256: digest, Size: n, ContentType: contentType,
		At: s.c.Now().UTC(), By: "intake"})
	switch {
	case errors.Is(err, errIgnored):
		s.c.Log.WarnContext(ctx, "scan arrived for a dossier past ingestion; kept, not ingested", "key", key)
		return nil
	case errs.Is(err, errs.NotFound):
		s.c.Log.WarnContext(ctx, "scan arrived for an unknown dossier; kept, not ingested", "key", key)
		return nil
	case err != nil:
		return err
	}
	if tooLarge {
		_, err := s.update(ctx, id, func(d *Dossier) error {
			if l, ok := d.LastScan(); !ok || l.Key != key || d.Status != Scanned {
				return errAlreadyDone
			}
			return s.settle(d, &analysis{findings: []Finding{TooLargeFinding(s.c.MaxScanBytes)}})
		})
		if errors.Is(err, errAlreadyDone) {
			return nil
		}
		return err
	}
	return s.Ingest(ctx, IngestJob{DossierID: d.ID, ScanKey: key}, lastAttempt)
}

var errIgnored = errors.New("ignored")
