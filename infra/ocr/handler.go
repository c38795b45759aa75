package main

import (
	"context"
	"fmt"
	"io"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/format/ocr"
)

// Request asks for the words of some pages of one component PDF: stored
// in the dossier bucket (Key), or inline (PDF, for small components: the
// synchronous payload limit is 6 MB).
type Request struct {
	Key   string `json:"key,omitempty"`
	PDF   []byte `json:"pdf,omitempty"`
	Pages []int  `json:"pages"`
	MRZ   bool   `json:"mrz,omitempty"`
}

// Response holds one ocr.Page per requested page, in order.
type Response struct {
	Pages []ocr.Page `json:"pages"`
}

// MaxPages is the most pages one invocation reads: a long component is
// read by several invocations in page ranges.
const MaxPages = 50

// Handler reads page ranges with the same engine as the local stack.
type Handler struct {
	Engine *ocr.Engine
	Bucket *blob.Bucket // nil: only inline PDFs
}

// Handle implements the function.
func (h *Handler) Handle(ctx context.Context, req Request) (Response, error) {
	if len(req.Pages) == 0 || len(req.Pages) > MaxPages {
		return Response{}, fmt.Errorf("ocr: %d pages requested (1 to %d)", len(req.Pages), MaxPages)
	}
	pdf := req.PDF
	switch {
	case req.Key != "" && pdf != nil:
		return Response{}, fmt.Errorf("ocr: key and inline PDF both given")
	case req.Key != "":
		if h.Bucket == nil {
			return Response{}, fmt.Errorf("ocr: no bucket configured for key %q", req.Key)
		}
		r, err := h.Bucket.NewReader(ctx, req.Key, nil)
		if err != nil {
			return Response{}, fmt.Errorf("ocr: read %s: %w", req.Key, err)
		}
		defer r.Close()
		lim := h.Engine.Limits.Scan.MaxBytes
		if r.Size() > lim {
			return Response{}, fmt.Errorf("ocr: %s is larger than %d bytes", req.Key, lim)
		}
		if pdf, err = io.ReadAll(io.LimitReader(r, lim)); err != nil {
			return Response{}, fmt.Errorf("ocr: read %s: %w", req.Key, err)
		}
	case pdf == nil:
		return Response{}, fmt.Errorf("ocr: no PDF given")
	}
	pages, err := h.Engine.Document(ctx, pdf, req.Pages, ocr.Options{MRZ: req.MRZ}, nil)
	if err != nil {
		return Response{}, err
	}
	return Response{Pages: pages}, nil
}
