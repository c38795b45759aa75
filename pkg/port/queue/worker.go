package queue

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/sohoa/sohoa/pkg/logctx"
)

// Worker consumes one topic of a Queue until its context ends, a message at
// a time: what a Lambda event source mapping does on AWS, for a platform
// without one (the local stack). A handled message is acknowledged; a
// failed one comes back after a backoff that grows with its deliveries (2,
// 4, … 64 s), or at once when Early says the failure only means "too
// early"; after MaxAttempts deliveries the queue dead-letters it. A handler
// that panics fails its one message, never the worker.
type Worker struct {
	Queue      Queue
	Topic      string
	Visibility time.Duration // how long a received message stays invisible
	Handle     func(context.Context, Message) error
	// Drain lets a message in progress finish when Run's context ends (its
	// own context is not derived from Run's); without it the message is
	// interrupted and delivered again on the next start.
	Drain bool
	// Early, when set, tells the errors that only mean the message came
	// before what it needs (retried at once).
	Early func(error) bool
	// Exhausted, when set, is called when the last delivery of a message
	// (LastAttempt) failed, before the queue dead-letters it: the job's
	// owner records that it could not finish, so no dead letter is silent.
	Exhausted func(context.Context, Message, error)
	Log       *slog.Logger
}

// Run consumes messages until ctx ends.
func (w Worker) Run(ctx context.Context) {
	for ctx.Err() == nil {
		msgs, err := w.Queue.Receive(ctx, w.Topic, 1, w.Visibility, 2*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				w.Log.Error("receive", "topic", w.Topic, "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		for _, m := range msgs {
			parent := context.Background()
			if !w.Drain {
				parent = ctx
			}
			w.run(parent, m)
		}
	}
}

func (w Worker) run(parent context.Context, m Message) {
	jctx, cancel := context.WithTimeout(logctx.WithRequest(parent, m.ID), w.Visibility-10*time.Second)
	defer cancel()
	err := safely(func() error { return w.Handle(jctx, m) })
	if err == nil {
		if err := w.Queue.Ack(context.Background(), w.Topic, m.Receipt); err != nil {
			w.Log.Error("ack", "topic", w.Topic, "err", err)
		}
		return
	}
	delay := Backoff(m.Attempts)
	if (w.Early != nil && w.Early(err)) || parent.Err() != nil {
		delay = 50 * time.Millisecond // what it waits for lands within milliseconds; or we are stopping
	} else {
		w.Log.ErrorContext(jctx, "job failed", "topic", w.Topic, "attempt", m.Attempts, "retryIn", delay, "err", err)
		if LastAttempt(m.Attempts) && w.Exhausted != nil {
			w.Exhausted(context.WithoutCancel(jctx), m, err)
		}
	}
	if err := w.Queue.Release(context.Background(), w.Topic, m.Receipt, delay); err != nil {
		w.Log.Error("release", "topic", w.Topic, "err", err)
	}
}

// safely runs f, turning a panic into an error for this one message: a bug
// met by one file never takes the worker down.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return f()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
