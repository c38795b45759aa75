package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
)

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
}

var kindStatus = map[errs.Kind]int{
	errs.Internal:     http.StatusInternalServerError,
	errs.Invalid:      http.StatusBadRequest,
	errs.Unauthorized: http.StatusUnauthorized,
	errs.Forbidden:    http.StatusForbidden,
	errs.NotFound:     http.StatusNotFound,
	errs.Conflict:     http.StatusConflict,
	errs.Gone:         http.StatusGone,
	errs.TooLarge:     http.StatusRequestEntityTooLarge,
	errs.Unsupported:  http.StatusUnsupportedMediaType,
	errs.Unavailable:  http.StatusServiceUnavailable,

	errs.Unprocessable: http.StatusUnprocessableEntity,
}

// writeError translates a domain error into a problem: the one place where error
// kinds become HTTP statuses. Internal errors are logged and never shown.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	k := errs.KindOf(err)
	status := kindStatus[k]
	p := Problem{Type: "/problems/" + k.String(), Title: http.StatusText(status), Status: status}
	var e *errs.Error
	if errors.As(err, &e) && k != errs.Internal {
		p.Detail, p.Field = e.Message, e.Field
	}
	if k == errs.Internal || k == errs.Unavailable {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", RedactPath(r.URL.Path), "err", err)
	}
	if k == errs.Internal {
		p.Detail = "An unexpected error occurred; it was logged. Try again later."
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sohoa"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writePDF(w http.ResponseWriter, name string, b []byte) { writeFile(w, name, b) }

// writeFile serves stored bytes as the type their content is, never as what
// an uploader declared: PDF, TIFF, JPEG and PNG inline, anything else as an
// opaque attachment. A restrictive Content-Security-Policy and nosniff keep a
// browser from running anything in it.
func writeFile(w http.ResponseWriter, name string, b []byte) {
	ctype, disposition := "application/octet-stream", "attachment"
	switch scan.Sniff(b) {
	case scan.FormatPDF:
		ctype, disposition = "application/pdf", "inline"
	case scan.FormatTIFF:
		ctype, disposition = "image/tiff", "inline"
	case scan.FormatJPEG:
		ctype, disposition = "image/jpeg", "inline"
	case scan.FormatPNG:
		ctype, disposition = "image/png", "inline"
	}
	if disposition == "attachment" {
		name += ".bin"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	if h.Get("Cache-Control") == "" || !strings.HasPrefix(h.Get("Cache-Control"), "public") {
		h.Set("Cache-Control", "private, no-store")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", fileCSP)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// fileCSP lets a served file run nothing, load nothing and be framed by no one.
const fileCSP = "default-src 'none'; sandbox; frame-ancestors 'none'"

// maxJSONBytes bounds a JSON request body.
const maxJSONBytes = 1 << 20

func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxJSONBytes))
	if err := dec.Decode(v); err != nil {
		return errs.Wrap(errs.Invalid, err, "the request body is not the JSON this route takes: %v", err)
	}
	// One JSON value per body: anything after it (a second object, garbage)
	// is refused, not ignored.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, "the request body must hold exactly one JSON value; remove what follows it")
	}
	return nil
}

// RedactPath masks what in a path is a credential (a share link's token), so
// that a path can be logged.
func RedactPath(p string) string {
	parts := strings.Split(p, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "shares" && parts[i+1] != "" {
			parts[i+1] = "<token>"
		}
	}
	return strings.Join(parts, "/")
}
