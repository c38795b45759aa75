package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/extract"
	"github.com/sohoa/sohoa/pkg/ocr"
	"github.com/sohoa/sohoa/pkg/stamp"
)

// newExtractor returns the OCR extractor (Options.OCR): Tesseract in a
// child process per page (this binary calls ocr.RunChildIfRequested), one
// page per core.
func newExtractor() (dossier.Extractor, error) {
	e, err := ocr.NewEngine()
	if err != nil {
		return nil, fmt.Errorf("%w (run with -ocr=false to go without it)", err)
	}
	f, err := stamp.NewFont()
	if err != nil {
		return nil, err
	}
	return extract.New(e, stamp.NewStamper(f)), nil
}

// ocrVisibility is how long an OCR job is hidden from other workers: a
// 120-page component at ~1 page/s per core, with room.
const ocrVisibility = 10 * time.Minute

// ocrWorker reads long components after VALIDATED (dossier.TopicOCR) until
// ctx is cancelled; the Extractor reads each job's pages one per core.
func (st *Stack) ocrWorker(ctx context.Context) {
	q := st.DB.Queue()
	for ctx.Err() == nil {
		msgs, err := q.Receive(ctx, dossier.TopicOCR, 1, ocrVisibility, 2*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				st.log.Error("receive OCR job", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		for _, m := range msgs {
			// Unlike ingestion, an OCR job in progress is interrupted by
			// shutdown (it may take minutes): it is delivered again on the
			// next start, and the dossier was VALIDATED without it.
			jctx, cancel := context.WithTimeout(ctx, ocrVisibility-30*time.Second)
			err := st.Dossiers.RunOCR(jctx, m)
			cancel()
			if err == nil {
				if err := q.Ack(context.Background(), dossier.TopicOCR, m.Receipt); err != nil {
					st.log.Error("ack OCR job", "err", err)
				}
				continue
			}
			delay := time.Duration(1<<min(m.Attempts, 6)) * time.Second
			if dossier.IsRetryable(err) || ctx.Err() != nil {
				delay = 200 * time.Millisecond
			} else {
				st.log.Error("OCR job failed", "attempt", m.Attempts, "err", err)
			}
			if err := q.Release(context.Background(), dossier.TopicOCR, m.Receipt, delay); err != nil {
				st.log.Error("release OCR job", "err", err)
			}
		}
	}
}
