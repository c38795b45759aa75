package api

import (
	"net/http"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/port/blobs"
)

// writeLink answers a file route with a short-lived presigned URL to the
// file, the read being logged already: 303 See Other to it (a client that
// follows redirects gets the bytes from storage, never through the API,
// whose answers Lambda caps at 6 MB), or, to a caller that asks for JSON
// (Accept: application/json), 200 {"url","expiresAt"}.
func writeLink(w http.ResponseWriter, r *http.Request, l blobs.Link) {
	w.Header().Set("Cache-Control", "no-store")
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"url": l.URL, "expiresAt": l.ExpiresAt})
		return
	}
	http.Redirect(w, r, l.URL, http.StatusSeeOther)
}

// wantsJSON reports whether the request's Accept names JSON itself (not
// through */*).
func wantsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(mt), "application/json") {
			return true
		}
	}
	return false
}

// resultUploadURL gives the officer a URL to PUT a result to, straight to
// storage: once it lands it is checked as PUT …/result checks it, and the
// dossier shows the result, or resultUpload.refused saying why not.
func (s *Server) resultUploadURL(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	l, err := s.c.Dossiers.ResultUploadLink(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"method": "PUT", "url": l.URL, "expiresAt": l.ExpiresAt,
		"headers": map[string]string{"Content-Type": "application/pdf"}})
	return nil
}
