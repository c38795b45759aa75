// Package sqlite is the local adapter of Sohoa's records and queue ports: one
// SQLite file (modernc.org/sqlite, pure Go, WAL) holds the records table and a
// durable job queue, so that the local stack needs no server and survives a
// restart.
//
// DB.Table implements records.Table and DB.Queue implements queue.Queue; both
// pass the ports' conformance suites (recordstest, queuetest) against a real
// file. It is not for blobs: those are files (package blobs).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// BusyTimeout is how long a writer waits for another process's write lock.
const BusyTimeout = 10 * time.Second

// readers is the size of the read connection pool.
const readers = 4

// DB is an open SQLite file holding the records and the queue.
// It is safe for concurrent use. Writes in this process are serialised on one
// connection; reads run on a small pool of their own (WAL lets them proceed
// during a write). Other processes may open the same file.
type DB struct {
	w, r *sql.DB

	table *Table
	queue *Queue
}

// Open opens (creating if needed) the SQLite file at path and brings its
// schema up to date. The caller must Close the DB.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsRune(path, '?') || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, errs.E(errs.Invalid, "sqlite: bad database path %q", path)
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	w, err := sql.Open("sqlite", path+"?"+q.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	rq := url.Values{}
	rq.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	rq.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	if err := r.PingContext(ctx); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
	}
	db := &DB{w: w, r: r}
	db.table = &Table{db: db}
	db.queue = &Queue{db: db, wake: map[string]chan struct{}{}}
	return db, nil
}

// Close closes the file. Calls in flight fail.
func (db *DB) Close() error {
	return errors.Join(db.r.Close(), db.w.Close())
}

// Table returns the records table kept in the file.
func (db *DB) Table() *Table { return db.table }

// Queue returns the job queue kept in the file.
func (db *DB) Queue() *Queue { return db.queue }

// write runs fn in a write transaction (BEGIN IMMEDIATE), committing if fn
// returns nil.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return unavailable(err)
	}
	return nil
}

// unavailable wraps a backend failure: a locked or closed file is worth a retry.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	if errs.KindOf(err) != errs.Internal {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("sqlite: %w", err)
	}
	return errs.Wrap(errs.Unavailable, err, "sqlite")
}

// migration is one step of the schema; Version numbers are dense from 1 and
// a released migration is never edited, only followed by a new one.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// migrations is the schema history, oldest first. It is never modified at run time.
var migrations = []migration{
	{1, "records", `
CREATE TABLE items (
	pk TEXT NOT NULL,
	sk TEXT NOT NULL,
	gsi1pk TEXT,
	gsi1sk TEXT,
	gsi2pk TEXT,
	gsi2sk TEXT,
	version INTEGER NOT NULL,
	expires_at INTEGER, -- Unix seconds; NULL: never
	data BLOB,
	PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
CREATE INDEX items_gsi1 ON items (gsi1pk, gsi1sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX items_gsi2 ON items (gsi2pk, gsi2sk) WHERE gsi2pk IS NOT NULL;
CREATE INDEX items_expires ON items (expires_at) WHERE expires_at IS NOT NULL;
`},
	{2, "queue", `
CREATE TABLE queue_messages (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	id TEXT NOT NULL UNIQUE,
	topic TEXT NOT NULL,
	body BLOB NOT NULL,
	sent_at INTEGER NOT NULL,    -- Unix ms
	visible_at INTEGER NOT NULL, -- Unix ms
	attempts INTEGER NOT NULL DEFAULT 0,
	receipt TEXT,                -- of the latest delivery
	dead_at INTEGER              -- Unix ms; NULL: live
);
CREATE INDEX queue_ready ON queue_messages (topic, visible_at, seq) WHERE dead_at IS NULL;
CREATE INDEX queue_dead ON queue_messages (topic, seq) WHERE dead_at IS NOT NULL;
CREATE UNIQUE INDEX queue_receipt ON queue_messages (receipt) WHERE receipt IS NOT NULL;
CREATE TABLE queue_dedup (
	topic TEXT NOT NULL,
	dedup_id TEXT NOT NULL,
	expires_at INTEGER NOT NULL, -- Unix ms
	PRIMARY KEY (topic, dedup_id)
) WITHOUT ROWID;
CREATE INDEX queue_dedup_expires ON queue_dedup (expires_at);
`},
	{3, "queue interruptions", `
ALTER TABLE queue_messages ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0; -- deliveries refunded after a crash
`},
}

// migrate applies the migrations the file lacks, each in its own transaction.
// A file made by a newer program (a version above ours) is refused.
func migrate(ctx context.Context, w *sql.DB) error {
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at TEXT NOT NULL
)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if latest := migrations[len(migrations)-1].Version; current > latest {
		return fmt.Errorf("schema version %d is newer than this program's %d", current, latest)
	}
	for _, m := range migrations {
		if m.Version <= current {
			continue
		}
		err := func() error {
			tx, err := w.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			// Another process may have migrated since we read the version.
			var done int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&done); err != nil {
				return err
			}
			if done > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
				return err
			}
			return tx.Commit()
		}()
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
	}
	return nil
}
