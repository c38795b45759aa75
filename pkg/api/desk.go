package api

import (
	"net/http"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

func (s *Server) agencyQueue(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	ds, err := s.c.Dossiers.AgencyQueue(r.Context(), a, dossier.Status(r.URL.Query().Get("status")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"dossiers": listed(a, ds)})
	return nil
}

// listed is dossiers as a list shows them: naming no citizen (opening a
// dossier shows who it is for, and that read is in the citizen's access
// log).
func listed(a identity.Actor, ds []*dossier.Dossier) []dossierView {
	out := make([]dossierView, 0, len(ds))
	for _, d := range ds {
		v := viewDossier(a, d)
		v.Citizen = nil
		out = append(out, v)
	}
	return out
}

// officeDay lists the dossiers the clerk's post office received on a day
// (?date=YYYY-MM-DD, Vietnam's day; default today), newest first, naming
// no citizen.
func (s *Server) officeDay(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var day time.Time // today
	if v := r.URL.Query().Get("date"); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, calendar.Location())
		if err != nil {
			return errs.FieldError("date", "ngày theo dạng YYYY-MM-DD / the date as YYYY-MM-DD")
		}
		day = t
	}
	ds, err := s.c.Dossiers.OfficeDay(r.Context(), a, day)
	if err != nil {
		return err
	}
	answer := map[string]any{"postOffice": a.PostOffice, "dossiers": listed(a, ds)}
	if !day.IsZero() {
		answer["date"] = day.Format(time.DateOnly)
	}
	writeJSON(w, http.StatusOK, answer)
	return nil
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in struct {
		Approve *bool  `json:"approve"`
		Note    string `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Approve == nil {
		return errs.FieldError("approve", "approve (true or false) is required")
	}
	d, err := s.c.Dossiers.Decide(r.Context(), a, r.PathValue("id"), *in.Approve, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewDossier(a, d))
	return nil
}
