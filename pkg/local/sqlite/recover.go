package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// MaxInterruptions is how many deliveries of one message a crash may cut
// short without their being counted: beyond it, a message that kills the
// process every time it runs is charged as any failure, and still reaches
// the dead-letter state.
const MaxInterruptions = 20

// RecoverInflight makes every message that was received but neither acked nor
// released visible again at once, and returns how many there were. The local
// stack calls it on start, before its workers run: it is the only consumer of
// its file, so a delivery still in flight then belongs to a process that died
// (SIGKILL, power loss), and waiting out the visibility timeout would only
// delay the job. Such a delivery never ran to its end, so it is not charged
// to the job: its attempt is given back, up to MaxInterruptions times.
func (q *Queue) RecoverInflight(ctx context.Context) (int64, error) {
	now := time.Now().UnixMilli()
	var n int64
	err := q.db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE queue_messages SET visible_at = ?, receipt = NULL,
	attempts = CASE WHEN interrupted < ? AND attempts > 0 THEN attempts - 1 ELSE attempts END,
	interrupted = interrupted + 1
WHERE dead_at IS NULL AND receipt IS NOT NULL AND visible_at > ?`, now, MaxInterruptions, now)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, unavailable(fmt.Errorf("queue: recover in-flight messages: %w", err))
	}
	return n, nil
}

// Redrive implements queue.Queue.
func (q *Queue) Redrive(ctx context.Context, topic string) (int, error) {
	now := time.Now().UnixMilli()
	var n int64
	err := q.db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE queue_messages SET dead_at = NULL, receipt = NULL, attempts = 0,
	interrupted = 0, visible_at = ? WHERE topic = ? AND dead_at IS NOT NULL`, now, topic)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, unavailable(fmt.Errorf("queue: redrive %s: %w", topic, err))
	}
	if n > 0 {
		q.signal(topic)
	}
	return int(n), nil
}
