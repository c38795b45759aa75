package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/metrics"
	"github.com/sohoa/sohoa/pkg/port/queue"
)

// Topic is the queue topic of notification jobs.
const Topic = "notify"

// Job is one notification job on the queue: an event, and the channels to
// send it on (all when empty).
type Job struct {
	Event    dossier.StatusChanged `json:"event"`
	Channels []Channel             `json:"channels,omitempty"`
}

// maxJobBytes bounds a job body; an event is a few hundred bytes.
const maxJobBytes = 64 << 10

// Enqueue returns a Handler that puts each event on q as a Job, deduplicated
// by dossier and sequence number within the queue's window: the Relay (or the
// stream consumer) stays fast, and the sending is retried by the queue.
func Enqueue(q queue.Queue) Handler {
	return func(ctx context.Context, ev dossier.StatusChanged) error {
		body, err := json.Marshal(Job{Event: ev})
		if err != nil {
			return fmt.Errorf("notify: encode job: %w", err)
		}
		if err := q.Send(ctx, Topic, body, ev.DossierID+"#"+strconv.Itoa(ev.Seq)); err != nil {
			return fmt.Errorf("notify: enqueue %s#%d: %w", ev.DossierID, ev.Seq, err)
		}
		return nil
	}
}

// Process runs one queued Job. A malformed job is errs.Invalid (drop it). A
// nil error with failed channels means: deliver the job again later; the
// channels already sent are skipped by their idempotency keys, so only the
// failed ones go out again.
func (n *Notifier) Process(ctx context.Context, body []byte) (failed []Channel, err error) {
	if len(body) > maxJobBytes {
		return nil, errs.E(errs.Invalid, "notify: job of %d bytes is too large", len(body))
	}
	var j Job
	if err := json.Unmarshal(body, &j); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "notify: malformed job")
	}
	if j.Event.DossierID == "" || j.Event.Seq < 0 {
		return nil, errs.E(errs.Invalid, "notify: job without an event")
	}
	for _, c := range j.Channels {
		if !c.Valid() {
			return nil, errs.E(errs.Invalid, "notify: job names unknown channel %q", c)
		}
	}
	return n.Handle(ctx, j.Event, j.Channels...)
}

// Work consumes Topic from q until ctx is done, then returns nil: each job is
// acknowledged once every channel went out, and released after
// queue.Backoff of its deliveries otherwise, until the queue dead-letters it
// after queue.MaxAttempts deliveries. It is the local stack's worker; on AWS
// the SQS-triggered function calls Process and reports failures per message.
func (n *Notifier) Work(ctx context.Context, q queue.Queue) error {
	for ctx.Err() == nil {
		msgs, err := q.Receive(ctx, Topic, 10, 5*time.Minute, 2*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			n.c.Log.ErrorContext(ctx, "notify: receive jobs", "err", err)
			if sleep(ctx, 5*time.Second) != nil {
				break
			}
			continue
		}
		for _, m := range msgs {
			n.work(ctx, q, m)
		}
	}
	return nil
}

func (n *Notifier) work(ctx context.Context, q queue.Queue, m queue.Message) {
	ctx = logctx.WithDossier(logctx.WithRequest(ctx, m.ID), jobDossier(m.Body))
	failed, err := n.Process(ctx, m.Body)
	if err == nil && len(failed) == 0 || errs.Is(err, errs.Invalid) {
		if err != nil {
			n.c.Log.ErrorContext(ctx, "notify: dropping a malformed job", "id", m.ID, "err", err)
		} else {
			n.c.Log.DebugContext(ctx, "notify: job done", "id", m.ID)
		}
		if aerr := q.Ack(context.WithoutCancel(ctx), Topic, m.Receipt); aerr != nil {
			n.c.Log.WarnContext(ctx, "notify: ack job", "id", m.ID, "err", aerr)
		}
		return
	}
	delay := queue.Backoff(m.Attempts)
	if queue.LastAttempt(m.Attempts) {
		// The queue dead-letters it next: the operators re-send it
		// (make ops ARGS="rerun-notify <dossier>") once the channel works.
		n.c.Log.ErrorContext(ctx, "job ran out of attempts: notification not sent", "topic", Topic, "id", m.ID,
			"attempts", m.Attempts, "failed", failed, "err", err)
		n.c.Metrics.Record(ctx, metrics.JobsDeadLettered, metrics.Count, 1, "Topic", Topic)
	} else {
		n.c.Log.WarnContext(ctx, "notify: job will be retried", "id", m.ID, "attempt", m.Attempts, "failed", failed, "err", err, "in", delay)
	}
	if rerr := q.Release(context.WithoutCancel(ctx), Topic, m.Receipt, delay); rerr != nil {
		n.c.Log.WarnContext(ctx, "notify: release job", "id", m.ID, "err", rerr)
	}
}

// jobDossier is the dossier a job body is about ("" if it names none).
func jobDossier(body []byte) string {
	var j Job
	_ = json.Unmarshal(body, &j)
	return j.Event.DossierID
}

// Requeue puts ev on q as a job again, without deduplication: an
// operator's re-run of a dossier's notifications. Channels already sent
// are skipped by their idempotency keys; only what failed goes out.
func Requeue(ctx context.Context, q queue.Queue, ev dossier.StatusChanged) error {
	body, err := json.Marshal(Job{Event: ev})
	if err != nil {
		return fmt.Errorf("notify: encode job: %w", err)
	}
	if err := q.Send(ctx, Topic, body, ""); err != nil {
		return fmt.Errorf("notify: requeue %s#%d: %w", ev.DossierID, ev.Seq, err)
	}
	return nil
}
