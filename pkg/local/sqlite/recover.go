package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RecoverInflight makes every message that was received but neither acked nor
// released visible again at once, and returns how many there were. The local
// stack calls it on start, before its workers run: it is the only consumer of
// its file, so a delivery still in flight then belongs to a process that died
// (SIGKILL, power loss), and waiting out the visibility timeout would only
// delay the job. Attempts are kept, so a job that kills its worker every time
// still reaches the dead-letter state.
func (q *Queue) RecoverInflight(ctx context.Context) (int64, error) {
	now := time.Now().UnixMilli()
	var n int64
	err := q.db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE queue_messages SET visible_at = ?, receipt = NULL
WHERE dead_at IS NULL AND receipt IS NOT NULL AND visible_at > ?`, now, now)
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
