package web

import (
	"net/http"

	"github.com/sohoa/sohoa/pkg/api"
)

// serveFile answers with a file (a PDF, a page image, a CSV): every page
// route that serves one comes here, for the same headers as the API's files
// (api.FileHeaders: nosniff, no caching, and a Content-Security-Policy under
// which a PDF shown inline runs nothing). disposition is "inline" or
// "attachment".
func serveFile(w http.ResponseWriter, ctype, disposition, name string, b []byte) {
	api.FileHeaders(w.Header(), ctype, disposition, name)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writePDF serves a PDF.
func writePDF(w http.ResponseWriter, name string, b []byte, disposition string) {
	serveFile(w, "application/pdf", disposition, name, b)
}
