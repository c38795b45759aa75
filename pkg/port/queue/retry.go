package queue

import "time"

// backoff is the wait after each failed delivery, by attempt: seconds
// first (most failures are a dependency that blinked: a citizen may be
// standing at the counter), then minutes. The last entry is repeated.
var backoff = [...]time.Duration{5 * time.Second, 15 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute}

// Backoff is how long a message that failed on its attempts-th delivery
// stays invisible before the next: 5 s, 15 s, 1 min, 5 min, then 15 min.
// It is the one retry schedule of every queue consumer, the local workers'
// Release and the Lambda handlers' ChangeMessageVisibility alike.
func Backoff(attempts int) time.Duration {
	return backoff[min(max(attempts, 1), len(backoff))-1]
}

// LastAttempt reports whether a delivery counted attempts is the last the
// queue makes before it dead-letters the message: a consumer that fails
// it must leave a trace a person will see (a finding on the dossier, an
// alarm), not just an error.
func LastAttempt(attempts int) bool { return attempts >= MaxAttempts }
