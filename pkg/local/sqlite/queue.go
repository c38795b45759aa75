package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/queue"
)

// Queue is the durable job queue in the SQLite file; it implements queue.Queue
// with the semantics fixed by queue/queuetest. Messages, deliveries and dead
// letters live in the file, so a message received but not acked before a
// crash is delivered again once its visibility timeout has passed.
type Queue struct {
	db *DB

	mu   sync.Mutex
	wake map[string]chan struct{} // per topic, closed when a message may have become visible
}

var _ queue.Queue = (*Queue)(nil)

// The queue's limits and timings.
const (
	// MaxBody is the largest message body, as SQS's.
	MaxBody = 256 * 1024
	// DedupWindow is how long a dedupID suppresses a repeated Send.
	DedupWindow = 5 * time.Minute
	// MaxDeadLetters is the most messages DeadLetters returns, oldest first.
	MaxDeadLetters = 1000
	// pollInterval bounds how late a waiting Receive sees a message sent by
	// another process (sends in this process wake it at once).
	pollInterval = 100 * time.Millisecond
)

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// signal wakes the receivers waiting on topic.
func (q *Queue) signal(topic string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if ch, ok := q.wake[topic]; ok {
		close(ch)
		delete(q.wake, topic)
	}
}

// waiter returns a channel closed at the next signal of topic.
func (q *Queue) waiter(topic string) <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	ch, ok := q.wake[topic]
	if !ok {
		ch = make(chan struct{})
		q.wake[topic] = ch
	}
	return ch
}

func validSend(topic string, body []byte) error {
	switch {
	case topic == "":
		return errs.E(errs.Invalid, "queue: empty topic")
	case len(body) == 0:
		return errs.E(errs.Invalid, "queue: empty body")
	case len(body) > MaxBody:
		return errs.E(errs.Invalid, "queue: body of %d bytes, at most %d", len(body), MaxBody)
	case !utf8.Valid(body):
		return errs.E(errs.Invalid, "queue: body is not UTF-8")
	}
	return nil
}

// Send implements queue.Queue.
func (q *Queue) Send(ctx context.Context, topic string, body []byte, dedupID string) error {
	if err := validSend(topic, body); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	err := q.db.write(ctx, func(tx *sql.Tx) error {
		if dedupID != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM queue_dedup WHERE expires_at <= ?`, now); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO queue_dedup (topic, dedup_id, expires_at) VALUES (?, ?, ?)`,
				topic, dedupID, now+DedupWindow.Milliseconds())
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err // a duplicate: nothing to send
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO queue_messages (id, topic, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)`,
			newID(), topic, body, now, now)
		return err
	})
	if err != nil {
		return unavailable(fmt.Errorf("queue: send to %s: %w", topic, err))
	}
	q.signal(topic)
	return nil
}

// Receive implements queue.Queue.
func (q *Queue) Receive(ctx context.Context, topic string, max int, visibility, wait time.Duration) ([]queue.Message, error) {
	switch {
	case topic == "":
		return nil, errs.E(errs.Invalid, "queue: empty topic")
	case max < 1:
		return nil, errs.E(errs.Invalid, "queue: receive at least one message, not %d", max)
	case visibility < 0 || wait < 0:
		return nil, errs.E(errs.Invalid, "queue: negative duration")
	}
	deadline := time.Now().Add(wait)
	for {
		woken := q.waiter(topic)
		ms, next, err := q.claim(ctx, topic, max, visibility)
		if err != nil || len(ms) > 0 {
			return ms, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return ms, nil
		}
		sleep := min(left, pollInterval)
		if next > 0 {
			sleep = min(sleep, next)
		}
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			return []queue.Message{}, ctx.Err()
		case <-woken:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// claim delivers up to max visible messages of topic, dead-lettering those
// whose deliveries are spent. It also returns how soon the next invisible
// message becomes visible (0 if none is known).
func (q *Queue) claim(ctx context.Context, topic string, max int, visibility time.Duration) ([]queue.Message, time.Duration, error) {
	out := []queue.Message{}
	var next time.Duration
	now := time.Now().UnixMilli()
	err := q.db.write(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		if _, err := tx.ExecContext(ctx, `UPDATE queue_messages SET dead_at = ?, receipt = NULL
WHERE topic = ? AND dead_at IS NULL AND visible_at <= ? AND attempts >= ?`, now, topic, now, queue.MaxAttempts); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT seq, id, body, attempts FROM queue_messages
WHERE topic = ? AND dead_at IS NULL AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?`, topic, now, max)
		if err != nil {
			return err
		}
		var seqs []int64
		for rows.Next() {
			var (
				seq int64
				m   queue.Message
			)
			if err := rows.Scan(&seq, &m.ID, &m.Body, &m.Attempts); err != nil {
				rows.Close()
				return err
			}
			m.Topic = topic
			m.Attempts++
			m.Receipt = newID()
			seqs = append(seqs, seq)
			out = append(out, m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i, seq := range seqs {
			if _, err := tx.ExecContext(ctx, `UPDATE queue_messages SET attempts = ?, receipt = ?, visible_at = ? WHERE seq = ?`,
				out[i].Attempts, out[i].Receipt, now+visibility.Milliseconds(), seq); err != nil {
				return err
			}
		}
		if len(out) == 0 {
			var v sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT MIN(visible_at) FROM queue_messages WHERE topic = ? AND dead_at IS NULL`, topic).Scan(&v); err != nil {
				return err
			}
			if v.Valid && v.Int64 > now {
				next = time.Duration(v.Int64-now) * time.Millisecond
			}
		}
		return nil
	})
	if err != nil {
		return []queue.Message{}, 0, unavailable(fmt.Errorf("queue: receive from %s: %w", topic, err))
	}
	return out, next, nil
}

// Ack implements queue.Queue.
func (q *Queue) Ack(ctx context.Context, topic, receipt string) error {
	err := q.db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM queue_messages WHERE topic = ? AND receipt = ? AND dead_at IS NULL`, topic, receipt)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return errs.E(errs.NotFound, "queue: no delivery %q on %s", receipt, topic)
		}
		return nil
	})
	return unavailable(err)
}

// Release implements queue.Queue.
func (q *Queue) Release(ctx context.Context, topic, receipt string, delay time.Duration) error {
	if delay < 0 {
		return errs.E(errs.Invalid, "queue: negative delay")
	}
	now := time.Now().UnixMilli()
	err := q.db.write(ctx, func(tx *sql.Tx) error {
		var (
			seq      int64
			attempts int
		)
		err := tx.QueryRowContext(ctx, `SELECT seq, attempts FROM queue_messages WHERE topic = ? AND receipt = ? AND dead_at IS NULL`,
			topic, receipt).Scan(&seq, &attempts)
		if err == sql.ErrNoRows {
			return errs.E(errs.NotFound, "queue: no delivery %q on %s", receipt, topic)
		}
		if err != nil {
			return err
		}
		if attempts >= queue.MaxAttempts {
			_, err = tx.ExecContext(ctx, `UPDATE queue_messages SET dead_at = ?, receipt = NULL WHERE seq = ?`, now, seq)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE queue_messages SET visible_at = ?, receipt = NULL WHERE seq = ?`, now+delay.Milliseconds(), seq)
		}
		return err
	})
	if err != nil {
		return unavailable(err)
	}
	if delay == 0 {
		q.signal(topic)
	}
	return nil
}

// DeadLetters implements queue.Queue. It returns at most MaxDeadLetters
// messages, oldest first; Attempts is how many deliveries each had.
func (q *Queue) DeadLetters(ctx context.Context, topic string) ([]queue.Message, error) {
	rows, err := q.db.r.QueryContext(ctx, `SELECT id, body, attempts FROM queue_messages
WHERE topic = ? AND dead_at IS NOT NULL ORDER BY seq LIMIT ?`, topic, MaxDeadLetters)
	if err != nil {
		return nil, unavailable(fmt.Errorf("queue: dead letters of %s: %w", topic, err))
	}
	defer rows.Close()
	out := []queue.Message{}
	for rows.Next() {
		m := queue.Message{Topic: topic}
		if err := rows.Scan(&m.ID, &m.Body, &m.Attempts); err != nil {
			return nil, unavailable(fmt.Errorf("queue: dead letters of %s: %w", topic, err))
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(fmt.Errorf("queue: dead letters of %s: %w", topic, err))
	}
	return out, nil
}
