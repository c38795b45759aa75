package queue_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

var errEarly = errors.New("too early")

// TestWorker runs a Worker over the SQLite queue: a handled message is
// acknowledged once; a failing or panicking handler gets the message again
// only after its backoff, an early one at once.
func TestWorker(t *testing.T) {
	tests := []struct {
		name      string
		fail      func(attempt int32) error // nil: handled
		panics    bool
		wantCalls int32 // within the test's window
	}{
		{"handled once", nil, false, 1},
		{"failure waits for its backoff", func(int32) error { return errors.New("boom") }, false, 1},
		{"a panic fails only its message", nil, true, 1},
		{"early is retried at once", func(a int32) error {
			if a < 3 {
				return errEarly
			}
			return nil
		}, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := localtest.DB(t).Queue()
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			if err := q.Send(ctx, "t", []byte("job"), ""); err != nil {
				t.Fatal(err)
			}
			var calls atomic.Int32
			queue.Worker{Queue: q, Topic: "t", Visibility: time.Minute, Early: func(err error) bool { return errors.Is(err, errEarly) },
				Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Handle: func(_ context.Context, m queue.Message) error {
					n := calls.Add(1)
					if string(m.Body) != "job" {
						t.Errorf("body %q", m.Body)
					}
					if tt.panics {
						panic("a bug met by one file")
					}
					if tt.fail != nil {
						return tt.fail(n)
					}
					return nil
				}}.Run(ctx)
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
			// A handled message is gone; a failed one is still there, later.
			left, err := q.Receive(context.Background(), "t", 1, time.Minute, queue.Backoff(1)+time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if handled := tt.fail == nil && !tt.panics || tt.wantCalls == 3; handled != (len(left) == 0) {
				t.Errorf("handled %v, %d message(s) left", handled, len(left))
			}
		})
	}
}

// TestWorkerExhausted: the last delivery's failure is told to Exhausted
// before the message is dead-lettered; earlier failures are not.
func TestWorkerExhausted(t *testing.T) {
	ctx := context.Background()
	q := localtest.DB(t).Queue()
	if err := q.Send(ctx, "t", []byte("job"), ""); err != nil {
		t.Fatal(err)
	}
	// Spend every delivery but the last.
	for i := 1; i < queue.MaxAttempts; i++ {
		ms, err := q.Receive(ctx, "t", 1, time.Minute, time.Second)
		if err != nil || len(ms) != 1 {
			t.Fatalf("delivery %d: %v %v", i, ms, err)
		}
		if err := q.Release(ctx, "t", ms[0].Receipt, 0); err != nil {
			t.Fatal(err)
		}
	}
	var told []queue.Message
	wctx, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
	defer cancel()
	queue.Worker{Queue: q, Topic: "t", Visibility: time.Minute, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Handle:    func(context.Context, queue.Message) error { return errors.New("still broken") },
		Exhausted: func(_ context.Context, m queue.Message, _ error) { told = append(told, m) },
	}.Run(wctx)
	if len(told) != 1 || told[0].Attempts != queue.MaxAttempts {
		t.Fatalf("Exhausted told %+v, want the one last delivery", told)
	}
	dl, err := q.DeadLetters(ctx, "t")
	if err != nil || len(dl) != 1 {
		t.Fatalf("dead letters %v %v", dl, err)
	}
}

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		attempts int
		want     time.Duration
	}{{0, 5 * time.Second}, {1, 5 * time.Second}, {2, 15 * time.Second}, {3, time.Minute}, {4, 5 * time.Minute}, {5, 15 * time.Minute}, {50, 15 * time.Minute}} {
		if got := queue.Backoff(tt.attempts); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.attempts, got, tt.want)
		}
	}
	if queue.LastAttempt(queue.MaxAttempts-1) || !queue.LastAttempt(queue.MaxAttempts) {
		t.Error("LastAttempt is not the MaxAttempts-th delivery")
	}
}
