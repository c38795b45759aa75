package dossier

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
	"golang.org/x/sync/errgroup"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/queue"
)

// IngestJob asks a worker to ingest one stored scan of a dossier, or, with
// IntakeKey, to take a scan stored under intake/ as AcceptStoredScan does.
type IngestJob struct {
	DossierID string `json:"dossierId,omitempty"`
	ScanKey   string `json:"scanKey,omitempty"`
	IntakeKey string `json:"intakeKey,omitempty"`
}

// UploadScan stores a scan of the dossier durably under an intake key: from
// there the blob-created event (S3's on AWS, the stack's own locally: see
// Config.Intake) brings it through the ingest queue to AcceptStoredScan,
// which records it, moves the dossier to SCANNED and ingests it — the path a
// scanner's presigned upload takes too. Uploading the same bytes again while
// they are being ingested changes nothing. A dossier past ingestion answers
// errs.Conflict. The answer is the dossier as it is when the scan is stored.
func (s *Service) UploadScan(ctx context.Context, a identity.Actor, id, declared string, body io.Reader) (*Dossier, error) {
	d, err := s.st.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Role != identity.Clerk || !canRead(a, d) {
		if canRead(a, d) {
			return nil, errs.E(errs.Forbidden, "only a postal clerk uploads scans")
		}
		return nil, errs.E(errs.NotFound, "no dossier %s", id)
	}
	if d.Status != Received && d.Status != NeedsSupplement && d.Status != Scanned {
		return nil, errs.E(errs.Conflict, "hồ sơ %s đang ở trạng thái %s, không nhận bản quét mới / dossier %s is %s and takes no new scan", d.Code, d.Status, d.Code, d.Status)
	}
	// The stored type is what the bytes are, never what the client declared:
	// a scan declared text/html is kept (the original is always kept) but
	// typed as opaque bytes, and ingestion refuses it with a finding.
	br := bufio.NewReaderSize(body, 4096)
	head, _ := br.Peek(1024)
	contentType := sniffedType(head)
	if declared != "" && contentType == "application/octet-stream" {
		s.c.Log.Info("scan stored as opaque bytes: its content is none of PDF, TIFF, JPEG, PNG", "dossier", d.Code, "declared", declared)
	}
	body = br
	// Stream the body to storage while hashing it: a scan is never held whole
	// in memory here. The key names the upload, not its bytes (unknown until
	// the end); an upload that turns out to be refused is deleted again.
	key := NewIntakeKey(d.ID)
	size, digest, err := s.storeStream(ctx, key, contentType, body)
	if err != nil {
		return nil, err
	}
	refuse := func(e error) (*Dossier, error) {
		if derr := s.c.Blobs.Delete(context.WithoutCancel(ctx), key); derr != nil {
			s.c.Log.Warn("could not delete a refused upload", "key", key, "err", derr)
		}
		return nil, e
	}
	if size == 0 {
		return refuse(errs.E(errs.Invalid, "tệp quét rỗng / the scan is empty"))
	}
	if last, ok := d.LastScan(); ok && last.SHA256 == digest && d.Status == Scanned {
		_, err := refuse(nil) // the same upload again: already being ingested
		return d, err
	}
	if d.Status == Scanned {
		return refuse(errs.E(errs.Conflict, "hồ sơ %s đang được xử lý bản quét trước; hãy chờ kết quả / dossier %s is still ingesting its previous scan", d.Code, d.Code))
	}
	// Announce first: if recording fails, the event finds the blob gone (a
	// refused upload is deleted) or already recorded, and does nothing; if we
	// recorded first and then crashed, the dossier would wait in SCANNED.
	if err := s.c.Intake(ctx, key); err != nil {
		return refuse(errs.Wrap(errs.Unavailable, err, "could not queue the scan for ingestion; try again"))
	}
	saved, err := s.recordScan(ctx, id, Scan{Key: key, SHA256: digest, Size: size, ContentType: contentType,
		At: s.c.Now().UTC(), By: a.Label()})
	if errors.Is(err, errIgnored) {
		err = errs.E(errs.Conflict, "hồ sơ %s đang được xử lý bản quét trước; hãy chờ kết quả / dossier %s is still ingesting its previous scan", d.Code, d.Code)
	}
	if err != nil {
		// A racing upload won: this one's bytes belong to no scan.
		return refuse(err)
	}
	return saved, nil
}

// recordScan records a stored scan on the dossier and moves it to SCANNED:
// the one recording of an upload, whether it came through the API or
// straight into the bucket. A scan recorded already changes nothing; a
// dossier that takes no scan now answers errIgnored.
func (s *Service) recordScan(ctx context.Context, id string, sc Scan) (*Dossier, error) {
	return s.update(ctx, id, func(d *Dossier) error {
		if hasScan(d, sc.Key) {
			return errUnchanged
		}
		if d.Status != Received && d.Status != NeedsSupplement {
			return errIgnored
		}
		if err := s.resume(d, sc.By); err != nil {
			return err
		}
		d.Scans = append(d.Scans, sc)
		return nil
	})
}

// sniffedType is the media type of a scan from its first bytes.
func sniffedType(head []byte) string {
	switch scan.Sniff(head) {
	case scan.FormatPDF:
		return "application/pdf"
	case scan.FormatTIFF:
		return "image/tiff"
	case scan.FormatJPEG:
		return "image/jpeg"
	case scan.FormatPNG:
		return "image/png"
	}
	return "application/octet-stream"
}

// storeStream copies body to the blob key, at most MaxScanBytes, and returns
// its size and SHA-256. A body over the limit is errs.TooLarge and leaves nothing.
func (s *Service) storeStream(ctx context.Context, key, contentType string, body io.Reader) (int64, string, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.c.Blobs.NewWriter(wctx, key, &blob.WriterOptions{ContentType: contentType})
	if err != nil {
		return 0, "", fmt.Errorf("store scan: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(body, s.c.MaxScanBytes+1))
	if err == nil && n > s.c.MaxScanBytes {
		err = errs.E(errs.TooLarge, "tệp quét lớn hơn %d MB; hãy quét lại ở 200–300 dpi hoặc chia hồ sơ / the scan is larger than %d MB", s.c.MaxScanBytes>>20, s.c.MaxScanBytes>>20)
	}
	if err != nil {
		cancel() // a cancelled writer discards what it has
		_ = w.Close()
		if errs.Is(err, errs.TooLarge) {
			return 0, "", err
		}
		return 0, "", errs.Wrap(errs.Invalid, err, "the upload was interrupted; send the scan again")
	}
	if err := w.Close(); err != nil {
		return 0, "", fmt.Errorf("store scan: %w", err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// ScanContent returns an original scan of the dossier (n is 1-based; 0 the
// latest) to its clerk: the original is always kept, whatever its ingestion.
func (s *Service) ScanContent(ctx context.Context, a identity.Actor, id string, n int) (*Scan, []byte, error) {
	d, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	if a.Role != identity.Clerk && a.Role != identity.Officer {
		return nil, nil, errs.E(errs.Forbidden, "only the clerk or the agency read original scans")
	}
	if n == 0 {
		n = len(d.Scans)
	}
	if n < 1 || n > len(d.Scans) {
		return nil, nil, errs.E(errs.NotFound, "dossier %s has no scan %d", d.Code, n)
	}
	sc := d.Scans[n-1]
	if err := s.logRead(ctx, a, d, fmt.Sprintf("dossier %s scan %d", d.Code, n), "scan"); err != nil {
		return nil, nil, err
	}
	b, err := s.c.Blobs.ReadAll(ctx, sc.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("read scan: %w", err)
	}
	return &sc, b, nil
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
		s.c.Log.Error("ingestion failed on its last attempt", "dossier", d.Code, "err", err)
		f := Finding{Severity: SeverityError, Code: scan.CodeUnreadable,
			Message: "Không xử lý được tệp quét sau nhiều lần thử; bản gốc vẫn được lưu. Hãy quét lại và tải lên. / The scan could not be processed after several attempts; the original is kept. Scan again and upload."}
		if issuing {
			f = Finding{Severity: SeverityError, Code: "vault.unavailable",
				Message: "Không lưu được bản sao điện tử có chứng thực vào kho dữ liệu của công dân sau nhiều lần thử; hồ sơ chưa được xác nhận. Hãy tải bản quét lên lại sau ít phút. / The certified copies could not be stored in the citizen's vault after several attempts; the dossier is not validated. Upload the scan again in a few minutes."}
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
		d.Components = outcome.components
		d.Findings = outcome.findings
		d.Reuse = outcome.reuse
		to := Validated
		if d.HasErrors() {
			to = NeedsSupplement
			d.SupplementRequests++
		}
		return d.move(to, s.c.Now(), "system:ingest")
	})
	if errors.Is(err, errAlreadyDone) {
		return nil
	}
	if err != nil {
		return err
	}
	s.c.Checkpoint("ingest.saved")
	s.c.Log.Info("dossier ingested", "dossier", d.Code, "components", len(outcome.components),
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
	// storage and certification.
	split time.Duration
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
		return &analysis{findings: []Finding{{Severity: SeverityError, Code: se.Code, Message: se.Message, Page: se.Page}}}, nil
	}
	if err != nil {
		return nil, err
	}
	a := &analysis{split: splitTook, readerPeak: res.PeakRSS}
	for _, pg := range res.Pages {
		if pg.DPI > 0 && pg.DPI+scan.DPITolerance < scan.MinDPI && pg.Separator == "" {
			a.findings = append(a.findings, Finding{Severity: SeverityError, Code: "scan.low-resolution", Page: pg.Number,
				Message: fmt.Sprintf("Trang %d được quét ở %.0f dpi, thấp hơn mức tối thiểu %d dpi (Thông tư 01/2023/TT-VPCP). Hãy quét lại ở ít nhất %d dpi. / Page %d was scanned at %.0f dpi, below the %d dpi minimum.",
					pg.Number, pg.DPI, scan.MinDPI, scan.MinDPI, pg.Number, pg.DPI, scan.MinDPI)})
		}
	}
	if len(res.Leading) > 0 {
		a.findings = append(a.findings, Finding{Severity: SeverityWarning, Code: "scan.leading-pages", Page: res.Leading[0],
			Message: fmt.Sprintf("%d trang trước tờ phân cách đầu tiên không thuộc thành phần nào và đã bị bỏ qua. / %d page(s) before the first separator sheet belong to no component and were ignored.", len(res.Leading), len(res.Leading))})
	}
	comps := res.Components
	if allBlank(res.Pages) {
		// Nothing on any page: the paper went through face down, or the
		// scanner's lid or feeder captured no sheet. Splitting nothing says
		// nothing useful ("no separator", "component blank").
		a.findings = append(a.findings, Finding{Severity: SeverityError, Code: "scan.blank",
			Message: fmt.Sprintf("Cả %d trang của bản quét đều trắng, không có nội dung. Có thể giấy bị đặt úp (quét nhầm mặt sau) hoặc máy quét không kéo được giấy. Hãy kiểm tra mặt giấy và quét lại. / All %d page(s) of the scan are blank: the paper may have been fed face down.", len(res.Pages), len(res.Pages))})
		return a, nil
	}
	if len(comps) == 1 && comps[0].Code == "" {
		paper := paperComponents(p)
		if len(paper) != 1 {
			a.findings = append(a.findings, Finding{Severity: SeverityError, Code: "scan.no-separators",
				Message: "Không tìm thấy tờ phân cách trong bản quét. Thủ tục này có nhiều thành phần: hãy in tờ phân cách cho từng thành phần, đặt trước mỗi thành phần và quét lại. / No separator sheets were found; this procedure has several components: print a separator sheet for each, put it before its component and scan again."})
			a.findings = append(a.findings, captureFindings(p, res)...)
			return a, nil
		}
		comps[0].Code = paper[0].Code
	}
	defer s.c.Pace(largestComponent(comps) * int64(min(s.c.Certifiers, len(comps))))()
	seen := map[string]bool{}
	var work []componentWork
	for _, c := range comps {
		pc, known := p.Component(c.Code)
		switch {
		case !known:
			a.findings = append(a.findings, Finding{Severity: SeverityError, Code: "separator.unknown", Page: c.SeparatorPage, Component: c.Code,
				Message: fmt.Sprintf("Tờ phân cách ở trang %d mang mã %q, không thuộc thủ tục %s. Hãy thay bằng tờ phân cách đúng và quét lại. / The separator sheet on page %d has code %q, which is not a component of procedure %s.", c.SeparatorPage, c.Code, p.Code, c.SeparatorPage, c.Code, p.Code)})
			continue
		case seen[c.Code]:
			a.findings = append(a.findings, Finding{Severity: SeverityError, Code: "component.duplicate", Page: c.SeparatorPage, Component: c.Code,
				Message: fmt.Sprintf("Thành phần %q (%s) xuất hiện hai lần (tờ phân cách ở trang %d). Hãy bỏ tờ phân cách thừa và quét lại. / Component %s appears twice.", pc.Name, c.Code, c.SeparatorPage, c.Code)})
			continue
		case c.AllBlank():
			seen[c.Code] = true
			a.findings = append(a.findings, Finding{Severity: SeverityError, Code: "component.blank", Page: c.Blank[0], Component: c.Code,
				Message: fmt.Sprintf("Thành phần %q (%s) chỉ gồm trang trắng (trang %v). Hãy kiểm tra giấy tờ và quét lại mặt có nội dung. / Component %s is only blank pages (%v).", pc.Name, c.Code, c.Blank, c.Code, c.Blank)})
			continue
		case len(c.Pages) == 0:
			seen[c.Code] = true // present, but unusable: one finding says why
			a.findings = append(a.findings, Finding{Severity: SeverityError, Code: "component.empty", Page: c.SeparatorPage, Component: c.Code,
				Message: fmt.Sprintf("Sau tờ phân cách %q (trang %d) không có trang nào. / The separator for %s on page %d is followed by no page.", pc.Name, c.SeparatorPage, c.Code, c.SeparatorPage)})
			continue
		case len(c.Blank) > 0:
			// Duplex backs: left out of the component and its certified copy, kept in the original scan.
			a.findings = append(a.findings, Finding{Severity: SeverityWarning, Code: "component.blank-pages", Page: c.Blank[0], Component: c.Code,
				Message: fmt.Sprintf("Đã bỏ %d trang trắng (mặt sau khi quét hai mặt) khỏi thành phần %q (%s): trang %v; bản quét gốc vẫn giữ đủ. / %d blank page(s) (duplex backs) were left out of component %s: %v; the original scan keeps them.", len(c.Blank), pc.Name, c.Code, c.Blank, len(c.Blank), c.Code, c.Blank)})
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
	if len(wanted) > 0 {
		if err := s.reuseFromVault(ctx, d, wanted, a); err != nil {
			return nil, err
		}
	}
	a.findings = append(a.findings, captureFindings(p, res)...)
	return a, nil
}

// componentWork is a component of the scan to store: its part of the
// split, its place in the procedure, its first page's ink, and whether its
// text is left to an OCR job.
type componentWork struct {
	c        scan.Component
	pc       procedure.Component
	ink      *scan.InkMap
	deferred bool
}

// componentOutcome is what storing one component adds to the analysis.
type componentOutcome struct {
	comp     Component
	findings []Finding
	text     string
	deferred bool
}

// ingestComponent reads (when its text is not left to an OCR job),
// certifies and stores one component with its page images.
func (s *Service) ingestComponent(ctx context.Context, d *Dossier, p procedure.Procedure, w componentWork) (componentOutcome, error) {
	c, pc := w.c, w.pc
	var o componentOutcome
	var ext *Extraction
	deferred := w.deferred
	if !deferred {
		// One component's bytes per certifier: the reader and the seal need them.
		if c.File != "" {
			var err error
			if c.PDF, err = readRoomy(c.File, CertifyRoom); err != nil {
				return o, fmt.Errorf("read component %s: %w", c.Code, err)
			}
		}
		var ok bool
		if ext, ok = s.extract(ctx, d, c.Code, c.PDF, len(c.Pages)); !ok {
			deferred = true // read again by an OCR job, which the queue retries
			o.findings = append(o.findings, ocrRetryFinding(c.Code))
		}
	}
	if deferred {
		comp, err := s.storeDeferred(ctx, d, pc, c, w.ink)
		if err != nil {
			return o, err
		}
		if err := s.storeViews(ctx, d, c, &comp); err != nil {
			return o, err
		}
		o.comp, o.deferred = comp, true
		return o, nil
	}
	if ext != nil {
		c.PDF, ext.PDF = ext.PDF, nil
		o.findings = append(o.findings, ext.Findings...)
		o.text = ext.Text
	}
	// The bytes travel alone so that nothing else holds them while the
	// seal works on them (the largest moment of an ingestion).
	pdf := c.PDF
	c.PDF = nil
	// Page images are written while the component is sealed; neither
	// changes c.
	var views errgroup.Group
	var comp Component
	views.Go(func() error { return s.storeViews(ctx, d, c, &comp) })
	certified, where, err := s.storeComponent(ctx, d, p, pc, c, pdf, w.ink)
	if verr := views.Wait(); err == nil {
		err = verr
	}
	if err != nil {
		return o, err
	}
	certified.Views, certified.ViewPrefix = comp.Views, comp.ViewPrefix
	if f, ok := markFinding(pc.Name, c.Code, c.Pages[0], where); ok {
		o.findings = append(o.findings, f)
	}
	if ext != nil {
		turnViews(certified.Views, certified.ScanPages, ext.Turns)
		certified.Extracted = ext.Fields
		certified.OCR = fmt.Sprintf("ocr: %d/%d pages", ext.PagesRead, ext.Pages)
	}
	o.comp = certified
	return o, nil
}

// readRoomy reads the file name whole into a slice with room bytes of spare
// capacity (see CertifyRoom).
func readRoomy(name string, room int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b := make([]byte, fi.Size(), fi.Size()+int64(room))
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, err
	}
	return b, nil
}

// allBlank reports whether every page of a scan is blank (no separator
// sheet, no content).
func allBlank(pages []scan.Page) bool {
	for _, p := range pages {
		if !p.Blank || p.Separator != "" {
			return false
		}
	}
	return len(pages) > 0
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

// storeComponent certifies (if a Sealer is configured) and stores one
// component, whose PDF is pdf, and says where its conversion mark went.
func (s *Service) storeComponent(ctx context.Context, d *Dossier, p procedure.Procedure, pc procedure.Component, c scan.Component, pdf []byte, firstPageInk *scan.InkMap) (Component, MarkPlacement, error) {
	last, _ := d.LastScan()
	// pdf is not used once handed to the seal, so that the seal's copies
	// are the only ones alive while it works.
	var content []byte
	certified := false
	var where MarkPlacement
	if s.c.Sealer != nil {
		sealed, w, err := s.c.Sealer.Certify(ctx, pdf, ConversionMark{DossierCode: d.Code, Component: pc.Name,
			Converter: d.ClerkName, Unit: d.PostOffice, At: last.At, Ink: firstPageInk})
		if err != nil {
			return Component{}, "", fmt.Errorf("certify %s: %w", c.Code, err)
		}
		content, certified, where = sealed, true, w
	} else {
		content = pdf
	}
	sum := sha256.Sum256(content)
	digest := hex.EncodeToString(sum[:])
	key := fmt.Sprintf("components/%s/%s/%s.pdf", d.ID, last.SHA256[:16], c.Code)
	if err := blobs.Put(ctx, s.c.Blobs, key, content, &blob.WriterOptions{ContentType: "application/pdf"}); err != nil {
		return Component{}, "", fmt.Errorf("store component %s: %w", c.Code, err)
	}
	s.c.Checkpoint("ingest.certified")
	return Component{Code: c.Code, Name: pc.Name, Pages: len(c.Pages), SHA256: digest, Source: SourceScan,
		Certified: certified, Key: key, ScanPages: c.Pages}, where, nil
}

// markFinding tells the clerk and the officer where the conversion mark
// went on a certified copy when it could not sit, whole, at or near the
// top-left corner, the paper's own content being there: in compact form,
// or in a band added above the page. A mark at the corner, or moved to the
// empty paper nearest it, as the rule allows, needs no word.
func markFinding(name, code string, page int, where MarkPlacement) (Finding, bool) {
	var vi, en string
	switch where {
	case MarkCompact:
		vi = "được thu nhỏ và đặt vào vùng giấy trống gần góc trên bên trái nhất"
		en = "was made compact and placed in the empty area nearest the top-left corner"
	case MarkBand:
		vi = "được đặt trong một dải giấy trắng thêm vào phía trên trang (trang không có vùng trống đủ rộng)"
		en = "was placed in a blank band added above the page (the page has no empty area large enough)"
	default:
		return Finding{}, false
	}
	return Finding{Severity: SeverityInfo, Code: "component.mark-placement", Component: code, Page: page,
		Message: fmt.Sprintf("Dấu \"Bản điện tử được chuyển đổi từ bản giấy\" trên trang đầu của thành phần %q %s, vì góc trên bên trái có nội dung của bản giấy; dấu không che nội dung nào. / The conversion mark on the first page of component %s %s, because the paper's content reaches the top-left corner; it covers none of it.",
			name, vi, code, en)}, true
}

// storeComponentPDF writes a component's PDF as the scan reader left it to
// storage under key, streamed from its file when it has one, and returns its
// SHA-256 computed on the way.
func (s *Service) storeComponentPDF(ctx context.Context, key string, c scan.Component) (string, error) {
	var src io.Reader = bytes.NewReader(c.PDF)
	if c.File != "" {
		f, err := os.Open(c.File)
		if err != nil {
			return "", err
		}
		defer f.Close()
		src = f
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.c.Blobs.NewWriter(wctx, key, &blob.WriterOptions{ContentType: "application/pdf"})
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(w, h), src); err != nil {
		cancel() // a cancelled writer discards what it has
		_ = w.Close()
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ensureIssued puts every certified scanned component of d into the citizen's
// vault, keyed by the scan it came from: issuing again what is there changes
// nothing, a missing one is issued. Each component's bytes are read back
// from storage, one at a time (an ingestion does not keep them all). Any failure is
// returned: the job fails and is retried, and the dossier does not say
// VALIDATED meanwhile.
func (s *Service) ensureIssued(ctx context.Context, d *Dossier, issued map[string]string) error {
	if s.c.Vault == nil {
		return nil
	}
	if d.Status != Scanned && d.Status != Validated && !d.Status.pastValidation() {
		return nil
	}
	last, ok := d.LastScan()
	if !ok {
		return nil
	}
	for _, c := range d.Components {
		if c.Source != SourceScan || !c.Certified {
			continue
		}
		b, err := s.c.Blobs.ReadAll(ctx, c.Key)
		if err != nil {
			return fmt.Errorf("read certified %s of %s: %w", c.Code, d.Code, err)
		}
		doc, err := s.c.Vault.Issue(ctx, vault.NewDocument{Owner: d.Citizen.ID, Kind: c.Code, Title: c.Name,
			Issuer: d.PostOffice, DossierID: d.ID, Dossier: d.Code, Procedure: d.Procedure, Certified: true,
			Digitizer: d.ClerkName, DigitizedAt: last.At, IssueKey: "scan:" + last.Key + "#" + c.Code,
			Scope: "Bản sao điện tử từ bản giấy (Nghị định 137/2024/NĐ-CP)"}, b)
		if err != nil {
			return fmt.Errorf("issue certified %s of %s to the vault: %w", c.Code, d.Code, err)
		}
		if issued != nil {
			issued[c.Code] = doc.ID
		}
		s.c.Checkpoint("ingest.issue")
	}
	return nil
}

// ComponentContent returns a component's PDF to someone allowed to see the
// dossier. A component taken from the vault is read through the vault, which
// logs the read in the citizen's access log with the dossier code as purpose.
func (s *Service) ComponentContent(ctx context.Context, a identity.Actor, id, code string) ([]byte, error) {
	d, c, err := s.papers(ctx, a, id, code)
	if err != nil {
		return nil, err
	}
	if c.Source == SourceVault {
		if s.c.Vault == nil || a.Role != identity.Officer {
			return nil, errs.E(errs.Forbidden, "a vault document is read by the agency processing the dossier")
		}
		_, b, err := s.c.Vault.ReadForDossier(ctx, a, d.Citizen.ID, c.DocumentID, d.Code)
		return b, err
	}
	if err := s.logRead(ctx, a, d, fmt.Sprintf("dossier %s component %s", d.Code, c.Code), "component"); err != nil {
		return nil, err
	}
	r, err := s.c.Blobs.NewReader(ctx, c.Key, nil)
	if err != nil {
		return nil, fmt.Errorf("read component: %w", err)
	}
	defer r.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// papers returns the dossier and its component code to someone allowed to
// see the dossier's papers (auditors see statistics and metadata only).
func (s *Service) papers(ctx context.Context, a identity.Actor, id, code string) (*Dossier, *Component, error) {
	d, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	if a.Role == identity.Auditor {
		return nil, nil, errs.E(errs.Forbidden, "auditors see statistics and dossier metadata, not papers")
	}
	for i := range d.Components {
		if d.Components[i].Code == code {
			return d, &d.Components[i], nil
		}
	}
	return nil, nil, errs.E(errs.NotFound, "dossier %s has no component %s", d.Code, code)
}

// RunIngest is a queue consumer's step for one message: it decodes the job and
// ingests it, telling Ingest whether this is the last delivery.
func (s *Service) RunIngest(ctx context.Context, m queue.Message) error {
	var job IngestJob
	if err := json.Unmarshal(m.Body, &job); err != nil {
		s.c.Log.Error("dropping malformed ingest job", "id", m.ID, "err", err)
		return nil
	}
	if job.IntakeKey != "" {
		return s.AcceptStoredScan(ctx, job.IntakeKey, m.Attempts >= queue.MaxAttempts)
	}
	return s.Ingest(ctx, job, m.Attempts >= queue.MaxAttempts)
}
