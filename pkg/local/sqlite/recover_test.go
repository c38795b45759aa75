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
		// The delivery the crash cut short is not counted.
		if m.Attempts != 1 {
			t.Errorf("recovered message %q attempts = %d, want 1", m.Body, m.Attempts)
		}
	}
	if n, _ := q.RecoverInflight(ctx); n != 2 {
		t.Errorf("second recovery = %d, want 2 (both now in flight)", n)
	}
}

// TestRecoverInflightCharges: a message that kills its process every time
// is given back its deliveries only MaxInterruptions times; then each one
// counts, and it reaches the dead-letter state.
func TestRecoverInflightCharges(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	q := db.Queue()
	if err := q.Send(ctx, "ingest", []byte("poison"), ""); err != nil {
		t.Fatal(err)
	}
	for crash := 1; ; crash++ {
		got, err := q.Receive(ctx, "ingest", 1, time.Hour, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			if want := MaxInterruptions + 5; crash != want+1 {
				t.Fatalf("dead after %d crashes, want %d", crash-1, want)
			}
			break
		}
		if want := max(1, crash-MaxInterruptions); got[0].Attempts != want {
			t.Fatalf("crash %d: attempts %d, want %d", crash, got[0].Attempts, want)
		}
		if _, err := q.RecoverInflight(ctx); err != nil {
			t.Fatal(err)
		}
	}
	dl, err := q.DeadLetters(ctx, "ingest")
	if err != nil || len(dl) != 1 {
		t.Fatalf("dead letters %v %v", dl, err)
	}
	// Redrive gives it a fresh count.
	if n, err := q.Redrive(ctx, "ingest"); err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v", n, err)
	}
	got, err := q.Receive(ctx, "ingest", 1, time.Hour, 0)
	if err != nil || len(got) != 1 || got[0].Attempts != 1 {
		t.Fatalf("after redrive %+v %v", got, err)
	}
}
