package dossier

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"
)

// CertifySpare is the spare capacity a PDF given to Sealer.Certify needs for
// the mark and the seal to be appended without a copy: the mark's font and
// drawing, the signature, its time stamp and revocation data.
const CertifySpare = 1 << 20

// MarkPlacement says where the conversion mark went on a certified copy's
// first page: where the rule puts it, or elsewhere because the paper's
// content is there (the mark never covers it).
type MarkPlacement string

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
			if c.PDF, err = readWithSpare(c.File, CertifySpare); err != nil {
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

// readWithSpare reads the file name whole into a slice with room bytes of spare
// capacity (see CertifySpare).
func readWithSpare(name string, room int) ([]byte, error) {
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
	var how Bi
	switch where {
	case MarkCompact:
		how = Bi{"được thu nhỏ và đặt vào vùng giấy trống gần góc trên bên trái nhất",
			"was made compact and placed in the empty area nearest the top-left corner"}
	case MarkBand:
		how = Bi{"được đặt trong một dải giấy trắng thêm vào phía trên trang (trang không có vùng trống đủ rộng)",
			"was placed in a blank band added above the page (the page has no empty area large enough)"}
	default:
		return Finding{}, false
	}
	return NewFinding(FindingMarkPlacement, name, how).On(page).Of(code), true
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
