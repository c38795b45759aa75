package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/sohoa/sohoa/pkg/errs"
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
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
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

func writePDF(w http.ResponseWriter, name string, b []byte) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// maxJSONBytes bounds a JSON request body.
const maxJSONBytes = 1 << 20

func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxJSONBytes))
	if err := dec.Decode(v); err != nil {
		return errs.Wrap(errs.Invalid, err, "the request body is not the JSON this route takes: %v", err)
	}
	return nil
}
