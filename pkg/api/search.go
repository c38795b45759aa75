package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/search"
	"github.com/sohoa/sohoa/pkg/errs"
)

// vaultSearch finds documents by their words (GET /v1/vault/search?q=…):
// a citizen within their own vault, an agency officer within their
// agency's dossiers. Diacritics are optional in q.
func (s *Server) vaultSearch(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if s.c.Search == nil {
		return errs.E(errs.Unavailable, "tìm kiếm theo nội dung chưa được bật / search is not enabled")
	}
	var scope search.Scope
	switch {
	case a.Role == identity.Citizen:
		scope.Owner = a.Subject
	case a.Role == identity.Officer && a.Agency != "":
		scope.Agency = a.Agency
	default:
		return errs.E(errs.Forbidden, "only a citizen or an agency officer searches documents")
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	hits, err := s.c.Search.Search(r.Context(), scope, r.URL.Query().Get("q"), limit)
	if err != nil {
		return err
	}
	if scope.Owner != "" && s.c.Vault != nil {
		// The vault has the last word: a document the citizen removed from
		// their view is not found either.
		kept := hits[:0]
		for _, h := range hits {
			if _, err := s.c.Vault.Get(r.Context(), a, h.Ref); err == nil {
				kept = append(kept, h)
			}
		}
		hits = kept
	}
	if scope.Agency != "" && len(hits) > 0 {
		// An officer read words of citizens' papers: each citizen's access
		// log says so before the words are served.
		ids := make([]string, 0, len(hits))
		for _, h := range hits {
			id, _, _ := strings.Cut(h.Ref, "/")
			ids = append(ids, id)
		}
		if err := s.c.Dossiers.LogSearch(r.Context(), a, ids); err != nil {
			return err
		}
	}
	if hits == nil {
		hits = []search.Hit{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"hits": hits})
	return nil
}
