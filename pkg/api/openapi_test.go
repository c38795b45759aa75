package api

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes holds openapi.json to the router: every route is
// described, every described operation is routed, and public routes are the
// ones the document marks without security.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Security *[]any `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	s := New(Config{Dev: &Dev{}})
	routed := map[string]bool{}
	for _, r := range s.Routes() {
		key := strings.ToLower(r.Method) + " " + r.Pattern
		routed[key] = true
		op, ok := doc.Paths[r.Pattern][strings.ToLower(r.Method)]
		if !ok {
			t.Errorf("route %s is not in openapi.json", key)
			continue
		}
		documentedPublic := op.Security != nil && len(*op.Security) == 0
		if documentedPublic != r.Public {
			t.Errorf("route %s: public=%v in the router, %v in openapi.json", key, r.Public, documentedPublic)
		}
	}
	var extra []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if !routed[m+" "+p] {
				extra = append(extra, m+" "+p)
			}
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("openapi.json describes unrouted operations: %v", extra)
	}
}
