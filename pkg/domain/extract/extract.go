// Package extract reads what the papers of a dossier say: it runs the OCR
// (pkg/format/ocr) over a scanned component, puts the words back on the pages as
// an invisible text layer (pkg/format/stamp), and for the components it knows
// checks them: the citizen-ID card against the dossier (pkg/format/mrz,
// pkg/domain/citizen), the fields of the forms an officer reads first. It
// implements dossier.Extractor.
package extract

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/stamp"
)

// Reader reads the pages of a PDF; *ocr.Engine is one.
type Reader interface {
	Document(ctx context.Context, pdf []byte, pages []int, opt ocr.Options, progress func(done, total int)) ([]ocr.Page, error)
}

// StoredReader is a Reader that can also read a PDF where it is stored, by
// its key in the dossier bucket: a reader in another process (the OCR
// function on AWS, pkg/aws/lambdaocr) is handed the key, not megabytes. The
// Extractor uses it for a component that has a key (ExtractInput.Key).
type StoredReader interface {
	Reader
	StoredDocument(ctx context.Context, key string, pages []int, opt ocr.Options, progress func(done, total int)) ([]ocr.Page, error)
}

// Extractor reads components with a Reader and draws their text layer
// with a Stamper.
type Extractor struct {
	r Reader
	s *stamp.Stamper
}

var _ dossier.Extractor = (*Extractor)(nil)

// New returns an Extractor.
func New(r Reader, s *stamp.Stamper) *Extractor { return &Extractor{r: r, s: s} }

// Card components: the citizen-ID card (thẻ căn cước / CCCD).
const CardCode = "CCCD"

// LowConfidence is the confidence under which a field is marked for the
// officer's eye (Field.Low).
const LowConfidence = 0.8

// Extract reads every page of the component, returns it with its text
// layer, and the fields and findings of the components this package knows.
func (e *Extractor) Extract(ctx context.Context, in dossier.ExtractInput) (*dossier.Extraction, error) {
	opt := ocr.Options{MRZ: in.Component == CardCode}
	var want []int // nil: the reader counts the pages
	for i := 1; i <= in.Pages; i++ {
		want = append(want, i)
	}
	var pages []ocr.Page
	var err error
	if sr, ok := e.r.(StoredReader); ok && in.Key != "" {
		pages, err = sr.StoredDocument(ctx, in.Key, want, opt, in.Progress)
	} else {
		pages, err = e.r.Document(ctx, in.PDF, want, opt, in.Progress)
	}
	if err != nil {
		return nil, fmt.Errorf("extract %s: %w", in.Component, err)
	}
	out := &dossier.Extraction{Pages: len(pages), Turns: make([]int, len(pages))}
	for _, p := range pages {
		if p.Number >= 1 && p.Number <= len(pages) {
			out.Turns[p.Number-1] = p.Rotation
		}
		if p.Err != "" {
			out.Findings = append(out.Findings, dossier.NewFinding(dossier.FindingOCRPageFailed, p.Number).On(p.Number).Of(in.Component))
			slog.Warn("a page of a component could not be read", "component", in.Component, "page", p.Number, "err", p.Err)
			continue
		}
		out.PagesRead++
	}
	layered, err := e.s.TextLayer(in.PDF, ocr.LayerWords(pages))
	if err != nil {
		return nil, fmt.Errorf("extract %s: text layer: %w", in.Component, err)
	}
	out.PDF = layered
	out.Text = Text(pages)
	var fields map[string]dossier.Field
	var findings []dossier.Finding
	switch in.Component {
	case CardCode:
		fields, findings = checkCard(pages, in)
	default:
		if f, ok := forms[in.Component]; ok {
			fields = f.extract(pages)
		}
	}
	out.Fields = fields
	for i := range findings {
		findings[i].Component = in.Component
	}
	out.Findings = append(out.Findings, findings...)
	return out, nil
}

// Text returns the text of pages, a page after another.
func Text(pages []ocr.Page) string {
	var b strings.Builder
	for _, p := range pages {
		b.WriteString(p.Text())
		b.WriteString("\n")
	}
	return b.String()
}

func field(v string, conf float64) dossier.Field {
	conf = float64(int(conf*100+0.5)) / 100
	return dossier.Field{Value: v, Confidence: conf, Low: conf < LowConfidence}
}
