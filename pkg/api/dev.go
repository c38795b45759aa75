package api

import (
	"net/http"

	"github.com/sohoa/sohoa/pkg/domain/humantext"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

func (s *Server) devToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Role       string `json:"role"`
		Subject    string `json:"subject"`
		Agency     string `json:"agency"`
		Name       string `json:"name"`
		PostOffice string `json:"postOffice"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a := identity.Actor{Subject: in.Subject, Role: identity.Role(in.Role), Agency: in.Agency, Name: in.Name, PostOffice: in.PostOffice}
	if err := a.Check(); err != nil {
		return err
	}
	// The name is printed in sealed conversion marks and receipts.
	for f, v := range map[string]string{"subject": in.Subject, "agency": in.Agency, "name": in.Name, "postOffice": in.PostOffice} {
		if err := humantext.Check(f, v, false); err != nil {
			return err
		}
	}
	tok, err := s.c.Dev.IssueToken(a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"token": tok})
	return nil
}

func (s *Server) devOutbox(w http.ResponseWriter, r *http.Request, _ identity.Actor) error {
	if s.c.Dev.Outbox == nil {
		return errs.E(errs.Unavailable, "no outbox")
	}
	ms, err := s.c.Dev.Outbox(r.Context(), r.URL.Query().Get("to"))
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []OutboxMessage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": ms})
	return nil
}
