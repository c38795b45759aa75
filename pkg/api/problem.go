package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

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
	errs.TooMany:       http.StatusTooManyRequests,
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
	if e != nil && k == errs.TooMany {
		w.Header().Set("Retry-After", RetryAfter(e.RetryAfter))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sohoa"`)
	}
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
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
	FileHeaders(w.Header(), ctype, disposition, name)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// RetryAfter is a Retry-After value: whole seconds, at least one.
func RetryAfter(d time.Duration) string {
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}

// FileHeaders marks an answer as a file, whichever route serves it (the
// API's or a page's): its type, its disposition ("inline" or "attachment")
// and name, nosniff, no caching unless the route made it public, and FileCSP,
// so that a PDF or image shown in the browser runs nothing.
func FileHeaders(h http.Header, ctype, disposition, name string) {
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	if h.Get("Cache-Control") == "" || !strings.HasPrefix(h.Get("Cache-Control"), "public") {
		h.Set("Cache-Control", "private, no-store")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", FileCSP)
}

// FileCSP lets a served file run nothing, load nothing and be framed by no one.
const FileCSP = "default-src 'none'; sandbox; frame-ancestors 'none'"

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

// RedactPath masks what in a path is a credential, so that a path can be
// logged: the one redaction every log line about a request goes through.
// Share tokens travel in /v1/shares/<token>, the owner's
// /v1/vault/documents/<doc>/shares/<token>, and the share page's
// /s/<token> and /s/<token>/file.
func RedactPath(p string) string {
	parts := strings.Split(p, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i+1] == "" {
			continue
		}
		if parts[i] == "shares" || (i == 1 && parts[0] == "" && parts[i] == "s") {
			parts[i+1] = "<token>"
		}
	}
	return strings.Join(parts, "/")
}
