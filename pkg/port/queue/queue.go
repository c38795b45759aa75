// Package queue declares the port for Sohoa's background jobs (ingesting a scan,
// batch signing, sending notifications): an at-least-once queue with a
// visibility timeout, bounded retries and a dead-letter state, as SQS with a
// redrive policy gives.
//
// Adapters: a durable table in the local SQLite file, and SQS on AWS; both pass
// queue/queuetest. Consumers must be idempotent: a message may be delivered twice.
package queue

import (
	"context"
	"time"
)

// Message is one job. Body is opaque (JSON by convention).
type Message struct {
	ID      string // assigned by the queue on Send
	Topic   string // which kind of job: "ingest", "sign", "notify", ...
	Body    []byte
	Receipt string // handle to Ack/Release this delivery; set by Receive
	// Attempts counts deliveries, including this one (1 on the first).
	Attempts int
}

// Queue is the queue port.
type Queue interface {
	// Send enqueues a message on its topic. If dedupID is not empty and a message
	// with the same topic and dedupID was sent in the last dedup window (at least
	// 5 minutes), Send does nothing (as SQS FIFO deduplication).
	Send(ctx context.Context, topic string, body []byte, dedupID string) error
	// Receive returns up to max messages of topic that are visible, making them
	// invisible for visibility. It waits at most wait for the first message and
	// returns an empty slice, not an error, when none came.
	Receive(ctx context.Context, topic string, max int, visibility, wait time.Duration) ([]Message, error)
	// Ack deletes a delivered message: its job is done.
	Ack(ctx context.Context, topic, receipt string) error
	// Release makes a delivered message visible again after delay (a failed
	// attempt). A message that has been delivered MaxAttempts times goes to the
	// dead-letter state instead and is never delivered again.
	Release(ctx context.Context, topic, receipt string, delay time.Duration) error
	// DeadLetters returns the messages of topic in the dead-letter state.
	DeadLetters(ctx context.Context, topic string) ([]Message, error)
	// Redrive moves every dead-lettered message of topic back to the queue,
	// visible at once with a fresh count of deliveries, and returns how
	// many it moved (an operator's command once the cause is fixed).
	Redrive(ctx context.Context, topic string) (int, error)
}

// MaxAttempts is how many deliveries a message gets before it is dead-lettered
// (SQS maxReceiveCount in the template matches it).
const MaxAttempts = 5
