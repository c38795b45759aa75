package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Table is the records table in the SQLite file; it implements records.Table
// with the semantics fixed by records/recordstest.
type Table struct {
	db  *DB
	now func() time.Time
}

// WithClock returns a view of the same table whose expiry (records.Item
// ExpiresAt) is judged by now instead of the wall clock. Only one clock may
// judge a record: a service running on an injected clock must be handed a
// table on that same clock, or its items expire by a clock it never sees.
func (t *Table) WithClock(now func() time.Time) *Table {
	return &Table{db: t.db, now: now}
}

// unix is the table clock's time in Unix seconds.
func (t *Table) unix() int64 {
	if t.now == nil {
		return time.Now().Unix()
	}
	return t.now().Unix()
}

var _ records.Table = (*Table)(nil)

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func expiry(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// Get implements records.Table.
func (t *Table) Get(ctx context.Context, pk, sk string) (records.Item, error) {
	row := t.db.r.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM items
WHERE pk = ? AND sk = ? AND (expires_at IS NULL OR expires_at > ?)`, pk, sk, t.unix())
	it, err := scanItem(row)
	if err == sql.ErrNoRows {
		return records.Item{}, errs.E(errs.NotFound, "records: no item %s/%s", pk, sk)
	}
	if err != nil {
		return records.Item{}, unavailable(fmt.Errorf("get %s/%s: %w", pk, sk, err))
	}
	return it, nil
}

const itemColumns = `pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, version, expires_at, data`

type scanner interface{ Scan(dest ...any) error }

func scanItem(s scanner) (records.Item, error) {
	var (
		it                     records.Item
		g1pk, g1sk, g2pk, g2sk sql.NullString
		exp                    sql.NullInt64
	)
	if err := s.Scan(&it.PK, &it.SK, &g1pk, &g1sk, &g2pk, &g2sk, &it.Version, &exp, &it.Data); err != nil {
		return records.Item{}, err
	}
	it.GSI1PK, it.GSI1SK, it.GSI2PK, it.GSI2SK = g1pk.String, g1sk.String, g2pk.String, g2sk.String
	if exp.Valid {
		it.ExpiresAt = time.Unix(exp.Int64, 0)
	}
	return it, nil
}

// put writes it under its version condition inside tx and returns the stored item.
func put(ctx context.Context, tx *sql.Tx, it records.Item, now int64) (records.Item, error) {
	var (
		version int64
		exp     sql.NullInt64
	)
	err := tx.QueryRowContext(ctx, `SELECT version, expires_at FROM items WHERE pk = ? AND sk = ?`, it.PK, it.SK).Scan(&version, &exp)
	if err != nil && err != sql.ErrNoRows {
		return records.Item{}, err
	}
	live := err == nil && (!exp.Valid || exp.Int64 > now)
	switch {
	case it.Version == 0 && live:
		return records.Item{}, errs.E(errs.Conflict, "records: item %s/%s already exists", it.PK, it.SK)
	case it.Version > 0 && !live:
		return records.Item{}, errs.E(errs.Conflict, "records: item %s/%s does not exist (want version %d)", it.PK, it.SK, it.Version)
	case it.Version > 0 && version != it.Version:
		return records.Item{}, errs.E(errs.Conflict, "records: item %s/%s is at version %d, not %d", it.PK, it.SK, version, it.Version)
	}
	it.Version++
	if !it.ExpiresAt.IsZero() {
		it.ExpiresAt = time.Unix(it.ExpiresAt.Unix(), 0)
	}
	data := it.Data
	if data == nil {
		data = []byte{}
	}
	_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO items (`+itemColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		it.PK, it.SK, nullable(it.GSI1PK), nullable(it.GSI1SK), nullable(it.GSI2PK), nullable(it.GSI2SK),
		it.Version, expiry(it.ExpiresAt), data)
	if err != nil {
		return records.Item{}, err
	}
	return it, nil
}

// Put implements records.Table.
func (t *Table) Put(ctx context.Context, it records.Item) (records.Item, error) {
	if err := records.CheckItem(it); err != nil {
		return records.Item{}, err
	}
	var stored records.Item
	err := t.db.write(ctx, func(tx *sql.Tx) error {
		var err error
		stored, err = put(ctx, tx, it, t.unix())
		return err
	})
	if err != nil {
		return records.Item{}, unavailable(err)
	}
	return stored, nil
}

// Transact implements records.Table.
func (t *Table) Transact(ctx context.Context, items []records.Item) error {
	if err := records.CheckTransact(items); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	now := t.unix()
	return unavailable(t.db.write(ctx, func(tx *sql.Tx) error {
		for _, it := range items {
			if _, err := put(ctx, tx, it, now); err != nil {
				return err
			}
		}
		return nil
	}))
}

// Delete implements records.Table.
func (t *Table) Delete(ctx context.Context, pk, sk string, version int64) error {
	if version < 0 {
		return errs.E(errs.Invalid, "records: negative version")
	}
	now := t.unix()
	return unavailable(t.db.write(ctx, func(tx *sql.Tx) error {
		var (
			stored int64
			exp    sql.NullInt64
		)
		err := tx.QueryRowContext(ctx, `SELECT version, expires_at FROM items WHERE pk = ? AND sk = ?`, pk, sk).Scan(&stored, &exp)
		if err == sql.ErrNoRows || (err == nil && exp.Valid && exp.Int64 <= now) {
			return errs.E(errs.NotFound, "records: no item %s/%s", pk, sk)
		}
		if err != nil {
			return err
		}
		if version != 0 && stored != version {
			return errs.E(errs.Conflict, "records: item %s/%s is at version %d, not %d", pk, sk, stored, version)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM items WHERE pk = ? AND sk = ?`, pk, sk)
		return err
	}))
}

// Query implements records.Table.
func (t *Table) Query(ctx context.Context, q records.Query) ([]records.Item, error) {
	if err := records.CheckQuery(q); err != nil {
		return nil, err
	}
	pkCol, skCol := "pk", "sk"
	switch q.Index {
	case records.GSI1:
		pkCol, skCol = "gsi1pk", "gsi1sk"
	case records.GSI2:
		pkCol, skCol = "gsi2pk", "gsi2sk"
	}
	var (
		where strings.Builder
		args  []any
	)
	fmt.Fprintf(&where, "%s = ? AND (expires_at IS NULL OR expires_at > ?)", pkCol)
	args = append(args, q.PK, t.unix())
	if q.SKPrefix != "" {
		// substr and length count characters alike, so this is an exact prefix
		// test; the >= lets SQLite use the index.
		fmt.Fprintf(&where, " AND %s >= ? AND substr(%s, 1, length(?)) = ?", skCol, skCol)
		args = append(args, q.SKPrefix, q.SKPrefix, q.SKPrefix)
	}
	if q.SKFrom != "" {
		fmt.Fprintf(&where, " AND %s >= ?", skCol)
		args = append(args, q.SKFrom)
	}
	if q.SKTo != "" {
		fmt.Fprintf(&where, " AND %s <= ?", skCol)
		args = append(args, q.SKTo)
	}
	dir := "ASC"
	if q.Desc {
		dir = "DESC"
	}
	query := fmt.Sprintf("SELECT %s FROM items WHERE %s ORDER BY %s %s, pk %s, sk %s", itemColumns, where.String(), skCol, dir, dir, dir)
	if q.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}
	rows, err := t.db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, unavailable(fmt.Errorf("query %s: %w", q.PK, err))
	}
	defer rows.Close()
	out := []records.Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, unavailable(fmt.Errorf("query %s: %w", q.PK, err))
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("query %s: %w", q.PK, err))
	}
	return out, nil
}
