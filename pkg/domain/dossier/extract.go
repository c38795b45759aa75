package dossier

import (
	"context"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/search"
)

// Extractor reads what a scanned component says: it returns the component
// with an invisible text layer and, for the components it knows (the
// citizen-ID card, the birth-registration declaration), the fields an
// officer checks first and the findings of checking them against the
// dossier. It runs before certification, so the seal covers the layer.
// A nil Extractor leaves components as scanned.
type Extractor interface {
	Extract(ctx context.Context, in ExtractInput) (*Extraction, error)
}

// ExtractInput is one component to read.
type ExtractInput struct {
	Component string // component code, e.g. "CCCD", "TKKS"
	PDF       []byte // the component as split from the scan
	// Key is where the component is stored in the dossier bucket, when it
	// is (a component read after VALIDATED): a reader in another process
	// (the OCR function on AWS) is handed the key rather than the bytes.
	Key string
	// Pages is the component's page count, when known (0: the reader counts).
	Pages       int
	CitizenID   string // the dossier's citizen ID, typed by the clerk
	CitizenName string
	Now         time.Time
	// Progress, when not nil, is told after each page read.
	Progress func(done, total int)
}

// Extraction is what Extract read.
type Extraction struct {
	PDF      []byte           // the component with its text layer
	Fields   map[string]Field // extracted fields by name
	Findings []Finding
	// Pages and PagesRead count the component's pages and those read.
	Pages, PagesRead int
	// Text is the component's words, a line a line, for search.
	Text string
	// Turns are how far (clockwise, degrees) each page of the component
	// had to be turned to be read upright (0 for a page read as it was).
	Turns []int
}

// Field is one extracted value with the reader's confidence (0–1). Low is
// set below the trust threshold: an officer must check it by eye.
type Field struct {
	Value      string  `json:"value"`
	Confidence float64 `json:"confidence"`
	Low        bool    `json:"low,omitempty"`
}

// extract runs the Extractor on one component during an ingestion. It
// never fails the ingestion: when reading fails, ok is false and the caller
// leaves the component to an OCR job, which the queue retries (its last
// attempt certifies the component without a text layer).
func (s *Service) extract(ctx context.Context, d *Dossier, code string, pdf []byte, pages int) (ext *Extraction, ok bool) {
	if s.c.Extractor == nil || len(pdf) == 0 {
		return nil, true
	}
	ext, err := s.c.Extractor.Extract(ctx, ExtractInput{Component: code, PDF: pdf, Pages: pages, CitizenID: d.Citizen.ID,
		CitizenName: d.Citizen.Name, Now: s.c.Now()})
	if err != nil || ext == nil || len(ext.PDF) == 0 {
		s.c.Log.WarnContext(ctx, "reading the text of a component failed; an OCR job reads it again", "dossier", d.Code, "component", code, "err", err)
		return nil, false
	}
	return ext, true
}

// ocrRetryFinding tells that a component's text is read again later.
func ocrRetryFinding(code string) Finding {
	return NewFinding(FindingOCRRetry).Of(code)
}

func (a *analysis) addText(code, text string) {
	if text == "" {
		return
	}
	if a.texts == nil {
		a.texts = map[string]string{}
	}
	a.texts[code] = text
}

// indexForAgency makes the dossier's read components findable by its
// agency's officers. A failure is logged: search is not the record.
func (s *Service) indexForAgency(ctx context.Context, d *Dossier, a *analysis) {
	if s.c.Search == nil || d.Agency == "" {
		return
	}
	for _, c := range a.components {
		text, ok := a.texts[c.Code]
		if !ok || c.Source != SourceScan {
			continue
		}
		err := s.c.Search.Put(ctx, search.Entry{Agency: d.Agency, Ref: d.ID + "/" + c.Code, Kind: c.Code,
			Title: c.Name, Dossier: d.Code, Text: text})
		if err != nil {
			s.c.Log.WarnContext(ctx, "indexing a component for search failed", "dossier", d.Code, "component", c.Code, "err", err)
		}
	}
}

// indexForCitizen makes a certified copy in the citizen's vault findable by
// the citizen.
func (s *Service) indexForCitizen(ctx context.Context, d *Dossier, c Component, docID string, a *analysis) {
	text, ok := a.texts[c.Code]
	if s.c.Search == nil || !ok {
		return
	}
	err := s.c.Search.Put(ctx, search.Entry{Owner: d.Citizen.ID, Ref: docID, Kind: c.Code, Title: c.Name,
		Dossier: d.Code, Text: text})
	if err != nil {
		s.c.Log.WarnContext(ctx, "indexing a vault copy for search failed", "dossier", d.Code, "component", c.Code, "err", err)
	}
}
