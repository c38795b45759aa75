package api

import (
	"net/http"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/report"
	"github.com/sohoa/sohoa/pkg/errs"
)

func (s *Server) sla(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if s.c.Reports == nil {
		return errs.E(errs.Unavailable, "reports are not configured")
	}
	q := r.URL.Query()
	stats, err := s.c.Reports.For(r.Context(), a, q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	if strings.Contains(r.Header.Get("Accept"), "text/csv") {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="sla.csv"`)
		return report.WriteCSV(w, stats)
	}
	w.Header().Set("Content-Type", "application/json")
	return report.WriteJSON(w, stats)
}
