package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/port/queue/queuetest"
	"github.com/sohoa/sohoa/pkg/port/records"
	"github.com/sohoa/sohoa/pkg/port/records/recordstest"
)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sohoa.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db, path
}

func TestTableConformance(t *testing.T) {
	recordstest.RunConformance(t, func(t *testing.T) records.Table {
		db, _ := openTemp(t)
		return db.Table()
	})
}

func TestTableClock(t *testing.T) {
	for _, at := range []time.Time{time.Date(2019, 5, 1, 8, 0, 0, 0, time.UTC), time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)} {
		t.Run(at.Format(time.DateOnly), func(t *testing.T) {
			db, _ := openTemp(t)
			recordstest.RunClock(t, db.Table().WithClock(func() time.Time { return at }), at)
		})
	}
}

func TestQueueConformance(t *testing.T) {
	queuetest.RunConformance(t, func(t *testing.T) queue.Queue {
		db, _ := openTemp(t)
		return db.Queue()
	})
}

func TestOpenBadPath(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "a.db?mode=ro"} {
		if _, err := Open(context.Background(), p); !errs.Is(err, errs.Invalid) {
			t.Errorf("Open(%q): %v, want errs.Invalid", p, err)
		}
	}
	if _, err := Open(context.Background(), filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	var n, max int
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) || max != migrations[len(migrations)-1].Version {
		t.Fatalf("schema_migrations has %d rows up to %d, want %d", n, max, len(migrations))
	}
	for i, m := range migrations {
		if m.Version != i+1 {
			t.Fatalf("migration %d has version %d: versions must be dense from 1", i, m.Version)
		}
	}
	// Reopening applies nothing twice.
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if err := db2.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	db2.Close()
	if n != len(migrations) {
		t.Fatalf("after reopen, %d migration rows", n)
	}
	// A file from a newer program is refused rather than misread.
	if _, err := db.w.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 'x')`); err != nil {
		t.Fatal(err)
	}
	if db3, err := Open(ctx, path); err == nil {
		db3.Close()
		t.Fatal("Open of a file with a newer schema succeeded")
	}
	var mode string
	if err := db.r.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q %v, want wal", mode, err)
	}
}

// TestSurvivesRestart is a crash in the middle of a job: the process held a
// delivery and died; after a restart the message is delivered again once its
// visibility timeout has passed, and records written before are there.
func TestSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sohoa.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Table().Put(ctx, records.Item{PK: "D#1", SK: "META", Data: []byte("RECEIVED")}); err != nil {
		t.Fatal(err)
	}
	q := db.Queue()
	for _, b := range []string{"in flight", "waiting"} {
		if err := q.Send(ctx, "ingest", []byte(b), b); err != nil {
			t.Fatal(err)
		}
	}
	got, err := q.Receive(ctx, "ingest", 1, 300*time.Millisecond, 0)
	if err != nil || len(got) != 1 || string(got[0].Body) != "in flight" {
		t.Fatalf("Receive: %v %v", got, err)
	}
	first := got[0]
	// No Ack: the "process" dies (the file is closed under it).
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q = db.Queue()
	if _, err := db.Table().Get(ctx, "D#1", "META"); err != nil {
		t.Fatalf("record lost across restart: %v", err)
	}
	seen := map[string]queue.Message{}
	deadline := time.Now().Add(5 * time.Second)
	for len(seen) < 2 && time.Now().Before(deadline) {
		ms, err := q.Receive(ctx, "ingest", 2, time.Minute, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			seen[string(m.Body)] = m
		}
	}
	m, ok := seen["in flight"]
	if !ok || m.ID != first.ID || m.Attempts != 2 {
		t.Fatalf("after restart, in-flight message: %+v (present %v), want ID %s Attempts 2", m, ok, first.ID)
	}
	if w, ok := seen["waiting"]; !ok || w.Attempts != 1 {
		t.Fatalf("after restart, waiting message: %+v (present %v)", w, ok)
	}
	// Dedup state is durable too.
	if err := q.Send(ctx, "ingest", []byte("again"), "waiting"); err != nil {
		t.Fatal(err)
	}
	if ms, err := q.Receive(ctx, "ingest", 10, time.Minute, 200*time.Millisecond); err != nil || len(ms) != 0 {
		t.Fatalf("a duplicate sent after restart was delivered: %v %v", ms, err)
	}
}

// TestTwoHandles is two processes on one file (two DBs): writes of one are
// seen by the other, and version conflicts hold across them.
func TestTwoHandles(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	it, err := a.Table().Put(ctx, records.Item{PK: "P", SK: "S"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Table().Put(ctx, records.Item{PK: "P", SK: "S", Version: it.Version}); err != nil {
		t.Fatalf("replace through the other handle: %v", err)
	}
	if _, err := a.Table().Put(ctx, records.Item{PK: "P", SK: "S", Version: it.Version}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("stale replace through the first handle: %v, want Conflict", err)
	}
	if err := a.Queue().Send(ctx, "ingest", []byte("x"), ""); err != nil {
		t.Fatal(err)
	}
	ms, err := b.Queue().Receive(ctx, "ingest", 1, time.Minute, 2*time.Second)
	if err != nil || len(ms) != 1 {
		t.Fatalf("message sent through one handle, received through the other: %v %v", ms, err)
	}
}

func BenchmarkPut(b *testing.B) {
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	tb := db.Table()
	it, err := tb.Put(ctx, records.Item{PK: "P", SK: "S", Data: make([]byte, 512)})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if it, err = tb.Put(ctx, it); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQueueRoundTrip(b *testing.B) {
	db, err := Open(context.Background(), filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	q := db.Queue()
	for b.Loop() {
		if err := q.Send(ctx, "ingest", []byte(`{"k":"v"}`), ""); err != nil {
			b.Fatal(err)
		}
		ms, err := q.Receive(ctx, "ingest", 1, time.Minute, 0)
		if err != nil || len(ms) != 1 {
			b.Fatal(ms, err)
		}
		if err := q.Ack(ctx, "ingest", ms[0].Receipt); err != nil {
			b.Fatal(err)
		}
	}
}
