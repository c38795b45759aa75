package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/search"
)

// SearchIndex is the local search.Index: an SQLite FTS5 table in the same
// file, over text folded by search.Fold (so "giay khai sinh" finds
// "Giấy khai sinh"), ranked by BM25.
type SearchIndex struct {
	db *DB
}

var _ search.Index = (*SearchIndex)(nil)

// Search creates (if needed) and returns the full-text index of the file.
func (db *DB) Search(ctx context.Context) (*SearchIndex, error) {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
	scope UNINDEXED, ref UNINDEXED, kind UNINDEXED, dossier UNINDEXED, title_raw UNINDEXED,
	title, body, tokenize = 'unicode61')`)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: create search index: %w", err)
	}
	return &SearchIndex{db: db}, nil
}

func scopeKey(s search.Scope) string {
	if s.Owner != "" {
		return "o#" + s.Owner
	}
	return "a#" + s.Agency
}

// Put stores e, replacing the entry of the same scope and ref.
func (x *SearchIndex) Put(ctx context.Context, e search.Entry) error {
	s := search.Scope{Owner: e.Owner, Agency: e.Agency}
	if (s.Owner == "") == (s.Agency == "") || e.Ref == "" {
		return fmt.Errorf("sqlite: search entry needs one scope and a ref")
	}
	body := search.Fold(e.Text)
	if len(body) > search.MaxTextBytes {
		body = body[:search.MaxTextBytes]
	}
	return x.db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_fts WHERE scope = ? AND ref = ?`, scopeKey(s), e.Ref); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO search_fts (scope, ref, kind, dossier, title_raw, title, body) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			scopeKey(s), e.Ref, e.Kind, e.Dossier, e.Title, search.Fold(e.Title), body)
		return err
	})
}

// Search returns the scope's entries holding every word of q, best first.
func (x *SearchIndex) Search(ctx context.Context, s search.Scope, q string, limit int) ([]search.Hit, error) {
	words, err := search.Check(s, q)
	if err != nil {
		return nil, err
	}
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	rows, err := x.db.r.QueryContext(ctx, `SELECT ref, kind, dossier, title_raw, snippet(search_fts, 6, '', '', '…', 12)
FROM search_fts WHERE search_fts MATCH ? AND scope = ? ORDER BY rank LIMIT ?`,
		"{title body} : "+strings.Join(quoted, " "), scopeKey(s), search.ClampLimit(limit))
	if err != nil {
		return nil, unavailable(fmt.Errorf("sqlite: search: %w", err))
	}
	defer rows.Close()
	var hits []search.Hit
	for rows.Next() {
		var h search.Hit
		if err := rows.Scan(&h.Ref, &h.Kind, &h.Dossier, &h.Title, &h.Snippet); err != nil {
			return nil, fmt.Errorf("sqlite: search: %w", err)
		}
		hits = append(hits, h)
	}
	return hits, rows.Err()
}
