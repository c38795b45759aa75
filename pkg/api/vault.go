package api

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
)

func (s *Server) getContact(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	c, err := s.c.Vault.MyContact(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) putContact(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in vault.Contact
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.c.Vault.SetContact(r.Context(), a, in); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

func (s *Server) listShares(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	sh, err := s.c.Vault.Shares(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"shares": sh})
	return nil
}

func (s *Server) listDocuments(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	q := r.URL.Query()
	ds, err := s.c.Vault.List(r.Context(), a, vault.Filter{Kind: q.Get("kind"), ValidOnly: q.Get("valid") == "true"})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"documents": ds})
	return nil
}

func (s *Server) getDocument(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	d, err := s.c.Vault.Get(r.Context(), a, r.PathValue("doc"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) hideDocument(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if err := s.c.Vault.Hide(r.Context(), a, r.PathValue("doc")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) documentContent(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	n := 0
	if v := r.URL.Query().Get("version"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			return errs.FieldError("version", "version is a number from 1")
		}
	}
	if s.c.Vault.HasLinks() {
		d, l, err := s.c.Vault.ContentLink(r.Context(), a, r.PathValue("doc"), n, "inline")
		if err != nil {
			return err
		}
		w.Header().Set("Digest", "sha-256="+d.SHA256)
		writeLink(w, r, l)
		return nil
	}
	d, b, err := s.c.Vault.VersionContent(r.Context(), a, r.PathValue("doc"), n)
	if err != nil {
		return err
	}
	w.Header().Set("Digest", "sha-256="+d.SHA256)
	writePDF(w, d.Kind+"-"+d.ID+".pdf", b)
	return nil
}

func (s *Server) createShare(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in struct {
		TTLSeconds int64  `json:"ttlSeconds"`
		Recipient  string `json:"recipient"`
		Purpose    string `json:"purpose"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	// Bounds before arithmetic: a huge ttlSeconds must not wrap into a valid duration.
	if in.TTLSeconds < int64(vault.MinShareTTL/time.Second) || in.TTLSeconds > int64(vault.MaxShareTTL/time.Second) {
		return errs.FieldError("ttlSeconds", "ttlSeconds must be between %d and %d", int64(vault.MinShareTTL/time.Second), int64(vault.MaxShareTTL/time.Second))
	}
	token, sh, err := s.c.Vault.CreateShare(r.Context(), a, r.PathValue("doc"), vault.ShareRequest{
		TTL: time.Duration(in.TTLSeconds) * time.Second, Recipient: in.Recipient, Purpose: in.Purpose})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": token,
		"url": s.url(r, "/v1/shares/"+url.PathEscape(token)), "expiresAt": sh.ExpiresAt})
	return nil
}

func (s *Server) revokeShare(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if err := s.c.Vault.RevokeShare(r.Context(), a, r.PathValue("doc"), r.PathValue("token")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) openShare(w http.ResponseWriter, r *http.Request) error {
	if s.c.Vault.HasLinks() {
		_, l, err := s.c.Vault.ShareLink(r.Context(), r.PathValue("token"), "inline")
		if err != nil {
			return err
		}
		writeLink(w, r, l)
		return nil
	}
	d, b, err := s.c.Vault.OpenShare(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	writePDF(w, d.Kind+".pdf", b)
	return nil
}

// audit answers a page of the citizen's access log, newest first
// (?cursor= the previous page's next, ?limit= up to 200), verified from the
// checkpoints around it.
func (s *Server) audit(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	q := r.URL.Query()
	limit := 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return errs.FieldError("limit", "limit must be a positive number")
		}
		limit = n
	}
	pg, err := s.c.Vault.AuditPage(r.Context(), a, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	v := pg.Verification
	out := map[string]any{"entries": pg.Entries, "verified": v.Verified, "keyed": v.Keyed,
		"brokenAt": v.BrokenAt, "problem": v.Problem}
	if pg.Next != "" {
		out["next"] = pg.Next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) notifications(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if s.c.Inbox == nil {
		return errs.E(errs.Unavailable, "notifications are not configured")
	}
	ns, err := s.c.Inbox.List(r.Context(), a.Subject)
	if err != nil {
		return err
	}
	if ns == nil {
		ns = []notify.Notification{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": ns})
	return nil
}
