package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

func (s *Server) uploadScan(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	d, err := s.c.Dossiers.UploadScan(r.Context(), a, r.PathValue("id"), r.Header.Get("Content-Type"), r.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"id": d.ID, "code": d.Code, "status": d.Status})
	return nil
}

func (s *Server) getScan(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	n := 0
	if v := r.URL.Query().Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			return errs.FieldError("n", "n is the scan's number, 1 for the first")
		}
	}
	if s.c.Dossiers.HasLinks() {
		l, err := s.c.Dossiers.ScanLink(r.Context(), a, r.PathValue("id"), n)
		if err != nil {
			return err
		}
		writeLink(w, r, l)
		return nil
	}
	_, b, err := s.c.Dossiers.ScanContent(r.Context(), a, r.PathValue("id"), n)
	if err != nil {
		return err
	}
	writeFile(w, fmt.Sprintf("scan-%d", n), b)
	return nil
}

func (s *Server) componentContent(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if s.c.Dossiers.HasLinks() {
		l, err := s.c.Dossiers.ComponentLink(r.Context(), a, r.PathValue("id"), r.PathValue("code"), "inline")
		if err != nil {
			return err
		}
		writeLink(w, r, l)
		return nil
	}
	b, err := s.c.Dossiers.ComponentContent(r.Context(), a, r.PathValue("id"), r.PathValue("code"))
	if err != nil {
		return err
	}
	writePDF(w, r.PathValue("code")+".pdf", b)
	return nil
}

// componentPage serves one page of a scanned component as a JPEG: small
// (about 200 pixels wide) or, with size=large, about 1000.
func (s *Server) componentPage(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	n, err := strconv.Atoi(r.PathValue("page"))
	if err != nil || n < 1 {
		return errs.E(errs.NotFound, "pages are numbered from 1")
	}
	size := r.URL.Query().Get("size")
	if size == "" {
		size = dossier.ImageSmall
	}
	b, err := s.c.Dossiers.PageImage(r.Context(), a, r.PathValue("id"), r.PathValue("code"), n, size)
	if err != nil {
		return err
	}
	writeFile(w, fmt.Sprintf("%s-%d-%s.jpg", r.PathValue("code"), n, size), b)
	return nil
}

func (s *Server) separator(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if a.Role != identity.Clerk && a.Role != identity.Officer {
		return errs.E(errs.Forbidden, "separator sheets are printed by postal clerks")
	}
	file := r.PathValue("file")
	code, ok := strings.CutSuffix(file, ".pdf")
	if !ok {
		return errs.E(errs.NotFound, "separator sheets are PDFs: /v1/separators/{component}.pdf")
	}
	c, known := s.c.Catalog.Component(code)
	if !known {
		return errs.FieldError("component", "mã thành phần %q không có trong danh mục / unknown component code %q", code, code)
	}
	b, err := s.c.Documents.Separator(c.Code, c.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	writePDF(w, "separator-"+c.Code+".pdf", b)
	return nil
}

func (s *Server) receipt(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	d, err := s.c.Dossiers.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	if a.Role != identity.Clerk && a.Role != identity.Citizen {
		return errs.E(errs.Forbidden, "the receipt is printed by the postal clerk")
	}
	p, err := s.c.Catalog.Get(d.Procedure)
	if err != nil {
		return err
	}
	b, err := s.c.Documents.Receipt(r.Context(), d, p)
	if err != nil {
		return err
	}
	writePDF(w, "receipt-"+d.Code+".pdf", b)
	return nil
}
