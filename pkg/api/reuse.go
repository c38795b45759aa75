package api

import (
	"net/http"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

func (s *Server) confirmReuse(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.c.Dossiers.ConfirmReuse(r.Context(), a, r.PathValue("id"), in.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewDossier(a, d))
	return nil
}

func (s *Server) reuseRequests(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	rs, err := s.c.Vault.ReuseRequests(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": rs})
	return nil
}

func (s *Server) decideReuse(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in struct {
		Grant *bool `json:"grant"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Grant == nil {
		return errs.FieldError("grant", "grant (true or false) is required")
	}
	rq, err := s.c.Dossiers.DecideReuse(r.Context(), a, r.PathValue("dossier"), *in.Grant)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rq)
	return nil
}
