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
			left, err := q.Receive(context.Background(), "t", 1, time.Minute, 3*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if handled := tt.fail == nil && !tt.panics || tt.wantCalls == 3; handled != (len(left) == 0) {
				t.Errorf("handled %v, %d message(s) left", handled, len(left))
			}
		})
	}
}
