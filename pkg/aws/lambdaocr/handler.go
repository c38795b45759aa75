package lambdaocr

import (
	"context"
	"fmt"
	"io"
	"strings"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/format/ocr"
)

// ComponentsPrefix is the part of the dossier bucket the function reads.
const ComponentsPrefix = "components/"

// Handler is the OCR function: it reads page ranges of a component with
// the engine the local stack uses, each page in a child process of its own
// binary (whose main calls ocr.RunChildIfRequested).
type Handler struct {
	Engine *ocr.Engine
	Bucket *blob.Bucket // nil: only inline PDFs
}

// Handle implements the function.
func (h *Handler) Handle(ctx context.Context, req Request) (Response, error) {
	if !req.Count && (len(req.Pages) == 0 || len(req.Pages) > MaxPages) {
		return Response{}, fmt.Errorf("ocr: %d pages requested (1 to %d)", len(req.Pages), MaxPages)
	}
	pdf := req.PDF
	switch {
	case req.Key != "" && pdf != nil:
		return Response{}, fmt.Errorf("ocr: key and inline PDF both given")
	case req.Key != "":
		if !strings.HasPrefix(req.Key, ComponentsPrefix) || strings.Contains(req.Key, "..") {
			return Response{}, fmt.Errorf("ocr: key %q is not a component (under %s)", req.Key, ComponentsPrefix)
		}
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
	if req.Count {
		n, err := h.Engine.PageCount(ctx, pdf)
		if err != nil {
			return Response{}, err
		}
		return Response{Count: n}, nil
	}
	pages, err := h.Engine.Document(ctx, pdf, req.Pages, ocr.Options{MRZ: req.MRZ, Lang: req.Lang}, nil)
	if err != nil {
		return Response{}, err
	}
	return Response{Pages: pages}, nil
}
