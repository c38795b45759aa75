package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestRecoverInflight(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "q.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	q := db.Queue()
	for _, body := range []string{"a", "b"} {
		if err := q.Send(ctx, "ingest", []byte(body), ""); err != nil {
			t.Fatal(err)
		}
	}
	got, err := q.Receive(ctx, "ingest", 1, time.Hour, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("receive: %v %v", got, err)
	}
	db.Close() // the process "dies" with one message in flight

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q = db.Queue()
	n, err := q.RecoverInflight(ctx)
	if err != nil || n != 1 {
		t.Fatalf("RecoverInflight = %d, %v; want 1", n, err)
	}
	again, err := q.Receive(ctx, "ingest", 10, time.Hour, 0)
	if err != nil || len(again) != 2 {
		t.Fatalf("after recovery got %d messages, %v; want 2", len(again), err)
	}
	for _, m := range again {
		if string(m.Body) == string(got[0].Body) && m.Attempts != 2 {
			t.Errorf("recovered message attempts = %d, want 2", m.Attempts)
		}
	}
	if n, _ := q.RecoverInflight(ctx); n != 2 {
		t.Errorf("second recovery = %d, want 2 (both now in flight)", n)
	}
}
