package search

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sohoa/sohoa/pkg/port/records"
)

// Partitioned is an Index over the records port: one partition per scope
// ("search#o#<citizen>", "search#a#<agency>"), one item per entry with its
// folded text; Search reads the scope's partition and keeps the entries
// holding every word. It suits scopes of tens to a few thousand documents
// (DynamoDB reads 1 MB a page); it needs no search cluster.
type Partitioned struct {
	t records.Table
}

// NewPartitioned returns a Partitioned index over t.
func NewPartitioned(t records.Table) *Partitioned { return &Partitioned{t: t} }

var _ Index = (*Partitioned)(nil)

type partItem struct {
	Kind, Title, Dossier string
	Text                 string // folded title and text
}

func partition(s Scope) string {
	if s.Owner != "" {
		return "search#o#" + s.Owner
	}
	return "search#a#" + s.Agency
}

// Put stores e in its scope's partition.
func (p *Partitioned) Put(ctx context.Context, e Entry) error {
	s := Scope{Owner: e.Owner, Agency: e.Agency}
	if (s.Owner == "") == (s.Agency == "") || e.Ref == "" {
		return fmt.Errorf("search: entry needs one scope and a ref")
	}
	text := Fold(e.Title + "\n" + e.Text)
	if len(text) > MaxTextBytes {
		text = text[:MaxTextBytes]
	}
	data, err := json.Marshal(partItem{Kind: e.Kind, Title: e.Title, Dossier: e.Dossier, Text: strings.Join(strings.Fields(text), " ")})
	if err != nil {
		return err
	}
	it := records.Item{PK: partition(s), SK: e.Ref, Data: data}
	for range 3 {
		old, err := p.t.Get(ctx, it.PK, it.SK)
		if err == nil {
			it.Version = old.Version
		}
		if _, err = p.t.Put(ctx, it); err == nil {
			return nil
		}
	}
	return fmt.Errorf("search: put %s: concurrent writers", e.Ref)
}

// Search reads the scope's partition and returns the entries with every word.
func (p *Partitioned) Search(ctx context.Context, s Scope, q string, limit int) ([]Hit, error) {
	words, err := Check(s, q)
	if err != nil {
		return nil, err
	}
	items, err := p.t.Query(ctx, records.Query{PK: partition(s)})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	var hits []Hit
	for _, it := range items {
		var pi partItem
		if json.Unmarshal(it.Data, &pi) != nil {
			continue
		}
		tokens := strings.FieldsFunc(pi.Text, func(r rune) bool { return r == ' ' || strings.ContainsRune(".,:;()/-–—\"'", r) })
		if !slices.ContainsFunc(words, func(w string) bool { return !slices.Contains(tokens, w) }) {
			hits = append(hits, Hit{Ref: it.SK, Kind: pi.Kind, Title: pi.Title, Dossier: pi.Dossier, Snippet: Snippet(pi.Text, words, 12)})
			if len(hits) == ClampLimit(limit) {
				break
			}
		}
	}
	return hits, nil
}
