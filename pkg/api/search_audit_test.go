package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/search"
	"github.com/sohoa/sohoa/pkg/domain/vault"
)

// TestSearchIsInTheCitizensLog: words of a citizen's papers that a search
// returns to someone else are a read of those papers: one entry in the
// citizen's access log per search, naming who searched and the dossier. A
// search that returns nothing of theirs, and their own search, add nothing.
func TestSearchIsInTheCitizensLog(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Two components of the owner's dossier, OCR text with their home address.
	for _, code := range []string{"TKKS", "CCCD"} {
		if err := f.search.Put(ctx, search.Entry{Agency: agency, Ref: f.id + "/" + code, Kind: code, Title: code,
			Dossier: f.code, Text: "Nơi thường trú: 12 phố Hàng Bạc, Hoàn Kiếm, Hà Nội"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.search.Put(ctx, search.Entry{Owner: ownerID, Ref: f.doc, Kind: "GKS", Title: "Giấy khai sinh",
		Text: "Nơi sinh: Hàng Bạc"}); err != nil {
		t.Fatal(err)
	}
	owner := identity.Actor{Subject: ownerID, Role: identity.Citizen}
	entries := func() []vault.Entry {
		t.Helper()
		es, v, err := f.vault.Audit(ctx, owner)
		if err != nil || !v.Verified {
			t.Fatalf("audit: %v %+v", err, v)
		}
		return es
	}
	tests := []struct {
		who      string
		q        string
		hits     int
		newEntry bool
	}{
		{"officer", "hang bac", 2, true},
		{"officer", "no such words", 0, false},
		{"officer-other", "hang bac", 0, false},
		{"owner", "hang bac", 1, false},
		{"officer", "ha noi", 2, true},
	}
	for _, tt := range tests {
		before := len(entries())
		code, b := f.call(t, tt.who, "GET", "/v1/vault/search?q="+strings.ReplaceAll(tt.q, " ", "+"), "")
		var res struct{ Hits []search.Hit }
		if code != 200 || json.Unmarshal(b, &res) != nil || len(res.Hits) != tt.hits {
			t.Fatalf("%s searching %q: %d %s, want %d hits", tt.who, tt.q, code, b, tt.hits)
		}
		after := entries()
		if !tt.newEntry {
			if len(after) != before {
				t.Errorf("%s searching %q: %d new entries, want none: %+v", tt.who, tt.q, len(after)-before, after[before:])
			}
			continue
		}
		if len(after) != before+1 {
			t.Fatalf("%s searching %q returned the citizen's words: %d new entries, want one per search", tt.who, tt.q, len(after)-before)
		}
		e := after[len(after)-1]
		if !strings.Contains(e.Actor, "officer-hotich") || e.Role != string(identity.Officer) || e.Action != "search" || !strings.Contains(e.Document, f.code) {
			t.Errorf("the entry does not name who searched and the dossier: %+v", e)
		}
	}
}
