package main

import (
	"fmt"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/extract"
	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
	"github.com/sohoa/sohoa/pkg/format/stamp"
)

// newExtractor returns the OCR extractor (Options.OCR): Tesseract in a
// child process per page (this binary calls ocr.RunChildIfRequested), one
// page per core.
func newExtractor() (dossier.Extractor, error) {
	e, err := ocr.NewEngine()
	if err != nil {
		return nil, fmt.Errorf("%w (run with -ocr=false to go without it)", err)
	}
	f, err := pdffont.NewFont()
	if err != nil {
		return nil, err
	}
	return extract.New(e, stamp.NewStamper(f)), nil
}

// ocrVisibility is how long an OCR job is hidden from other workers: a
// 120-page component at ~1 page/s per core, with room.
const ocrVisibility = 10 * time.Minute
