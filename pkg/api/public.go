package api

import (
	"io"
	"net/http"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/metrics"
)

func (s *Server) track(w http.ResponseWriter, r *http.Request) error {
	t, err := s.c.Dossiers.Track(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) (err error) {
	defer recoverPDF(&err)
	if s.c.Verifier == nil {
		return errs.E(errs.Unavailable, "verification is not configured")
	}
	// The body is read whole (bounded in size and time) before the request
	// asks for a verification slot: a slow upload never holds one.
	b, err := s.c.Admission.ReadUpload(func() ([]byte, error) {
		b, err := io.ReadAll(io.LimitReader(r.Body, s.c.MaxVerifyBytes+1))
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "the upload was interrupted")
		}
		if int64(len(b)) > s.c.MaxVerifyBytes {
			return nil, errs.E(errs.TooLarge, "the PDF is larger than %d MB", s.c.MaxVerifyBytes>>20)
		}
		return b, nil
	})
	if err != nil {
		return err
	}
	rep, err := s.c.Admission.Verify(r.Context(), s.c.Verifier, b)
	if err != nil {
		return err
	}
	if rep.Signatures == nil {
		rep.Signatures = []SignatureReport{}
	}
	verdict := "invalid"
	switch {
	case len(rep.Signatures) == 0:
		verdict = "unsigned"
	case rep.Valid:
		verdict = "valid"
	}
	s.c.Metrics.Record(r.Context(), metrics.VerifyVerdicts, metrics.Count, 1, "Verdict", verdict)
	writeJSON(w, http.StatusOK, rep)
	return nil
}
