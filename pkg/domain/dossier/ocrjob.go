package dossier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/metrics"
	"github.com/sohoa/sohoa/pkg/port/queue"
)

// TopicOCR carries the reading of long components, after the dossier is
// VALIDATED: the checks do not wait for the text of a 100-page component.
const TopicOCR = "ocr"

// CardComponent is the citizen-ID card: always read during ingestion,
// first, because the dossier's checks need its fields.
const CardComponent = "CCCD"

// DefaultOCRSyncPages is how many pages, besides the CCCD's, an ingestion
// reads itself (Config.OCRSyncPages); components past that budget are read
// by OCR jobs after VALIDATED, so an ingestion stays well within its time.
const DefaultOCRSyncPages = 10

// OCRJob asks a worker to read one stored, not yet certified component.
type OCRJob struct {
	DossierID string `json:"dossierId"`
	Code      string `json:"code"`
	Key       string `json:"key"`
}

// deferOCR reports whether a component is read after VALIDATED: when it
// does not fit what is left of the ingestion's page budget. The CCCD is
// always read at once.
func (s *Service) deferOCR(a *analysis, c scan.Component) bool {
	if s.c.Extractor == nil || c.Code == CardComponent {
		return false
	}
	budget := s.c.OCRSyncPages
	if budget == 0 {
		budget = DefaultOCRSyncPages
	}
	if a.syncPages+len(c.Pages) > budget {
		return true
	}
	a.syncPages += len(c.Pages)
	return false
}

// storeDeferred stores a long component as split, uncertified: its OCR job
// adds the text layer, then certifies it.
func (s *Service) storeDeferred(ctx context.Context, d *Dossier, pc procedure.Component, c scan.Component, firstPageInk *scan.InkMap) (Component, error) {
	last, _ := d.LastScan()
	key := fmt.Sprintf("components/%s/%s/%s.pdf", d.ID, last.SHA256[:16], c.Code)
	digest, err := s.storeComponentPDF(ctx, key, c)
	if err != nil {
		return Component{}, fmt.Errorf("store component %s: %w", c.Code, err)
	}
	return Component{Code: c.Code, Name: pc.Name, Pages: len(c.Pages), SHA256: digest, Source: SourceScan,
		Key: key, ScanPages: c.Pages, OCR: fmt.Sprintf("ocr: 0/%d pages", len(c.Pages)), MarkInk: firstPageInk}, nil
}

// queueOCR sends the OCR jobs of the deferred components, before the
// ingestion is saved (a job whose component is not saved yet waits; a
// saved component without its job would stay uncertified for ever).
func (s *Service) queueOCR(ctx context.Context, d *Dossier, a *analysis) error {
	for _, f := range a.findings {
		if f.Severity == SeverityError {
			return nil // the dossier goes back for a supplement: its next scan is read instead
		}
	}
	for _, c := range a.deferred {
		job, _ := json.Marshal(OCRJob{DossierID: d.ID, Code: c.Code, Key: c.Key})
		if err := s.c.Queue.Send(ctx, TopicOCR, job, d.ID+"/"+c.Key); err != nil {
			return fmt.Errorf("queue OCR of %s: %w", c.Code, err)
		}
	}
	return nil
}

// RunOCR is a queue consumer's step (IsRetryable tells a job that came
// before its ingestion was saved) for one OCR job: read the component's
// pages (progress shown on the dossier as "ocr: N/M pages"), add the text
// layer, certify, store, issue the certified copy to the vault and index
// it. It is idempotent: a component already certified, or replaced by a
// newer scan, is left alone. A failing read is retried by the queue; on the
// last delivery the component is certified without a text layer and the
// dossier gets a warning: OCR never blocks a dossier.
func (s *Service) RunOCR(ctx context.Context, m queue.Message) error {
	var job OCRJob
	if err := json.Unmarshal(m.Body, &job); err != nil || job.DossierID == "" || job.Key == "" {
		s.c.Log.ErrorContext(ctx, "dropping malformed OCR job", "id", m.ID, "err", err)
		return nil
	}
	ctx = logctx.WithDossier(ctx, job.DossierID)
	d, err := s.st.get(ctx, job.DossierID)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil
		}
		return err
	}
	comp, ok := findComponent(d, job.Code, job.Key)
	switch {
	case !ok && d.Status == Scanned:
		return errStale // the ingestion that queued the job is not saved yet
	case !ok || comp.Certified || s.c.Extractor == nil:
		return nil
	}
	src, err := s.c.Blobs.ReadAll(ctx, job.Key)
	if err != nil {
		return fmt.Errorf("read component %s: %w", job.Code, err)
	}
	lastAttempt := queue.LastAttempt(m.Attempts)
	defer metrics.Since(ctx, s.c.Metrics, metrics.StageSeconds, time.Now(), "Stage", "ocr")
	progress := s.ocrProgress(d.ID, job)
	ext, err := s.c.Extractor.Extract(ctx, ExtractInput{Component: job.Code, PDF: src, Key: job.Key, Pages: comp.Pages, CitizenID: d.Citizen.ID,
		CitizenName: d.Citizen.Name, Now: s.c.Now(), Progress: progress.report})
	progress.stop()
	content, findings, fields, text, read, turns := src, []Finding(nil), map[string]Field(nil), "", 0, []int(nil)
	switch {
	case err == nil && ext != nil && len(ext.PDF) > 0:
		content, findings, fields, text, read, turns = ext.PDF, ext.Findings, ext.Fields, ext.Text, ext.PagesRead, ext.Turns
	case ctx.Err() != nil: // shutting down: the job is delivered again
		return fmt.Errorf("read the text of %s: %w", job.Code, ctx.Err())
	case !lastAttempt:
		return fmt.Errorf("read the text of %s: %w", job.Code, err)
	default:
		s.c.Log.WarnContext(ctx, "reading the text of a component failed on its last attempt", "dossier", d.Code, "component", job.Code, "err", err)
		findings = []Finding{NewFinding(FindingOCRFailed).Of(job.Code)}
	}
	certified := false
	if s.c.Sealer != nil {
		last, _ := d.LastScan()
		sealed, where, err := s.c.Sealer.Certify(ctx, content, ConversionMark{DossierCode: d.Code, Component: comp.Name,
			Converter: d.ClerkName, Unit: d.PostOffice, At: last.At, Ink: comp.MarkInk})
		if err != nil {
			return fmt.Errorf("certify %s: %w", job.Code, err)
		}
		content, certified = sealed, true
		page := 0
		if len(comp.ScanPages) > 0 {
			page = comp.ScanPages[0]
		}
		if f, ok := markFinding(comp.Name, comp.Code, page, where); ok {
			findings = append(findings, f)
		}
	}
	sum := sha256.Sum256(content)
	newKey := strings.TrimSuffix(job.Key, ".pdf") + "-read.pdf"
	if err := blobs.Put(ctx, s.c.Blobs, newKey, content, &blob.WriterOptions{ContentType: "application/pdf"}); err != nil {
		return fmt.Errorf("store component %s: %w", job.Code, err)
	}
	// The certified copy goes into the vault before the dossier announces it
	// (the same issue key as an ingestion's: a redelivery duplicates nothing);
	// a vault that fails fails the job, which is delivered again.
	docID := ""
	if certified && s.c.Vault != nil && (d.Status == Validated || d.Status.pastValidation()) {
		last, _ := d.LastScan()
		doc, err := s.c.Vault.Issue(ctx, vault.NewDocument{Owner: d.Citizen.ID, Kind: comp.Code, Title: comp.Name,
			Issuer: d.PostOffice, DossierID: d.ID, Dossier: d.Code, Procedure: d.Procedure, Certified: true,
			Digitizer: d.ClerkName, DigitizedAt: last.At, IssueKey: "scan:" + last.Key + "#" + comp.Code,
			Scope: "Bản sao điện tử từ bản giấy (Nghị định 137/2024/NĐ-CP)"}, content)
		if err != nil {
			return fmt.Errorf("issue certified %s of %s to the vault: %w", comp.Code, d.Code, err)
		}
		docID = doc.ID
	}
	saved, err := s.update(ctx, d.ID, func(d *Dossier) error {
		for i := range d.Components {
			c := &d.Components[i]
			if c.Code != job.Code || c.Key != job.Key {
				continue
			}
			c.Key, c.SHA256, c.Certified, c.Extracted = newKey, hex.EncodeToString(sum[:]), certified, fields
			c.OCR = fmt.Sprintf("ocr: %d/%d pages", read, c.Pages)
			turnViews(c.Views, c.ScanPages, turns)
			resolve(d.Findings, s.c.Now(), func(f Finding) bool { return f.Code == FindingOCRRetry && f.Component == job.Code })
			d.Findings = append(d.Findings, findings...)
			return nil
		}
		return errUnchanged // replaced meanwhile
	})
	if err != nil {
		return err
	}
	done, ok := findComponent(saved, job.Code, newKey)
	if !ok {
		return nil
	}
	a := &analysis{components: []Component{done}}
	a.addText(job.Code, text)
	s.indexForAgency(ctx, saved, a)
	if docID != "" {
		s.indexForCitizen(ctx, saved, done, docID, a)
	}
	return nil
}

func findComponent(d *Dossier, code, key string) (Component, bool) {
	for _, c := range d.Components {
		if c.Code == code && c.Key == key {
			return c, true
		}
	}
	return Component{}, false
}

// ocrProgress writes "ocr: N/M pages" on the dossier at most every
// progressEvery while a component is read.
type progressWriter struct {
	s    *Service
	id   string
	job  OCRJob
	mu   sync.Mutex
	last time.Time
	wg   sync.WaitGroup
}

const progressEvery = 3 * time.Second

func (s *Service) ocrProgress(id string, job OCRJob) *progressWriter {
	return &progressWriter{s: s, id: id, job: job, last: time.Now()}
}

func (p *progressWriter) report(done, total int) {
	p.mu.Lock()
	if time.Since(p.last) < progressEvery || done == total {
		p.mu.Unlock()
		return
	}
	p.last = time.Now()
	p.mu.Unlock()
	p.wg.Add(1)
	defer p.wg.Done()
	_, err := p.s.update(context.Background(), p.id, func(d *Dossier) error {
		for i := range d.Components {
			if c := &d.Components[i]; c.Code == p.job.Code && c.Key == p.job.Key && !c.Certified {
				c.OCR = fmt.Sprintf("ocr: %d/%d pages", done, total)
				return nil
			}
		}
		return errUnchanged
	})
	if err != nil {
		p.s.c.Log.WarnContext(logctx.WithDossier(context.Background(), p.id), "recording OCR progress failed", "err", err)
	}
}

func (p *progressWriter) stop() { p.wg.Wait() }
