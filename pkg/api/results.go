package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// putResult stores an officer's result through the PDF door (Config.PutResult):
// with Results configured the upload is read first in the isolated child,
// which tries a signature on it: a result that could never be signed is a
// 422 naming why, now, rather than a failure at signing time; a damaged
// unsigned one may be stored repaired.
func (s *Server) putResult(w http.ResponseWriter, r *http.Request, a identity.Actor) (err error) {
	defer recoverPDF(&err)
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/pdf") {
		return errs.E(errs.Unsupported, "the result must be sent as application/pdf")
	}
	d, err := s.c.PutResult(r.Context(), a, r.PathValue("id"), r.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewDossier(a, d))
	return nil
}

func (s *Server) credentials(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if s.c.Signing == nil {
		return errs.E(errs.Unavailable, "remote signing is not configured")
	}
	cs, err := s.c.Signing.Credentials(r.Context(), a)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []Credential{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"credentials": cs})
	return nil
}

func (s *Server) sendOTP(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if s.c.Signing == nil {
		return errs.E(errs.Unavailable, "remote signing is not configured")
	}
	if err := s.c.Signing.SendOTP(r.Context(), a, r.PathValue("cred")); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "sent"})
	return nil
}

type signRequest struct {
	CredentialID string   `json:"credentialId"`
	OTP          string   `json:"otp"`
	DossierIDs   []string `json:"dossierIds,omitempty"`
}

func (s *Server) signResult(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in signRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	doc, err := s.c.Dossiers.SignResult(r.Context(), a, r.PathValue("id"), in.CredentialID, in.OTP)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"documentId": doc})
	return nil
}

func (s *Server) signBatch(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in signRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	j, err := s.c.Dossiers.StartSignBatch(r.Context(), a, in.DossierIDs, in.CredentialID, in.OTP)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/agency/sign-jobs/"+j.ID)
	writeJSON(w, http.StatusAccepted, signJobAnswer(j))
	return nil
}

// signJobAnswer is a sign job as the API shows it: "job" is its ID.
func signJobAnswer(j *dossier.SignJob) map[string]any {
	return map[string]any{"job": j.ID, "status": j.Status, "done": j.Done, "total": j.Total,
		"results": j.Results, "error": j.Error, "createdAt": j.CreatedAt, "updatedAt": j.UpdatedAt}
}

func (s *Server) getSignJob(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	j, err := s.c.Dossiers.GetSignJob(r.Context(), a, r.PathValue("job"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, signJobAnswer(j))
	return nil
}

// recoverPDF turns a panic while handling an uploaded PDF into a 422 for
// that request: on Lambda a handler panic would end the container.
func recoverPDF(err *error) {
	if r := recover(); r != nil {
		*err = errs.Wrap(errs.Unprocessable, fmt.Errorf("panic: %v", r), "the PDF could not be read (damaged structure)")
	}
}
