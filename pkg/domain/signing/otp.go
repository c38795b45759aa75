package signing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
	"github.com/sohoa/sohoa/pkg/vntime"
)

// OTPLimits bounds the one-time codes of one officer's credential: at most
// MaxSends codes sent per SendWindow, and after MaxFailures wrong codes in a
// row the credential is locked for Lockout (no code sent, nothing signed),
// and the officer is told until when and what to do. The counters are
// records, so every instance of the API and the signer sees the same ones.
//
// Records:
//
//	PK OTPLIMIT#<officer>#<credential>  SK OTPLIMIT   TTL: when nothing in it counts any more
type OTPLimits struct {
	Records records.Table
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxSends codes per SendWindow (defaults 5 per 15 minutes).
	MaxSends   int
	SendWindow time.Duration
	// MaxFailures wrong codes in a row lock the credential for Lockout
	// (defaults 5 and 30 minutes).
	MaxFailures int
	Lockout     time.Duration
}

type otpCounters struct {
	Sends    []time.Time `json:"sends,omitempty"`
	Failures int         `json:"failures,omitempty"`
	Locked   time.Time   `json:"lockedUntil,omitzero"`
}

func (l *OTPLimits) defaults() (now time.Time, maxSends int, window time.Duration, maxFail int, lockout time.Duration) {
	now = time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	maxSends, window, maxFail, lockout = l.MaxSends, l.SendWindow, l.MaxFailures, l.Lockout
	if maxSends <= 0 {
		maxSends = 5
	}
	if window <= 0 {
		window = 15 * time.Minute
	}
	if maxFail <= 0 {
		maxFail = 5
	}
	if lockout <= 0 {
		lockout = 30 * time.Minute
	}
	return
}

// update applies f to the counters of userID's credentialID under the
// table's optimistic concurrency; f answers an error to refuse (nothing is
// written then).
func (l *OTPLimits) update(ctx context.Context, userID, credentialID string, f func(c *otpCounters, now time.Time) error) error {
	pk := "OTPLIMIT#" + userID + "#" + credentialID
	for range 5 {
		var c otpCounters
		var version int64
		it, err := l.Records.Get(ctx, pk, "OTPLIMIT")
		switch {
		case err == nil:
			version = it.Version
			if err := json.Unmarshal(it.Data, &c); err != nil {
				return fmt.Errorf("otp limits: %w", err)
			}
		case !errs.Is(err, errs.NotFound):
			return fmt.Errorf("otp limits: %w", err)
		}
		now, _, window, _, _ := l.defaults()
		if err := f(&c, now); err != nil {
			return err
		}
		until := c.Locked
		if n := len(c.Sends); n > 0 && c.Sends[n-1].Add(window).After(until) {
			until = c.Sends[n-1].Add(window)
		}
		if c.Failures > 0 && now.Add(window).After(until) {
			until = now.Add(window)
		}
		data, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("otp limits: %w", err)
		}
		_, err = l.Records.Put(ctx, records.Item{PK: pk, SK: "OTPLIMIT", Version: version, ExpiresAt: until, Data: data})
		if errs.Is(err, errs.Conflict) {
			continue // another request counted at the same time: count again
		}
		if err != nil {
			return fmt.Errorf("otp limits: %w", err)
		}
		return nil
	}
	return errs.E(errs.Unavailable, "quá nhiều yêu cầu cùng lúc cho chứng thư này; hãy thử lại / too many requests at once for this credential; try again")
}

// lockedErr tells the officer that the credential is locked, until when and
// what to do.
func lockedErr(until, now time.Time, failures int) error {
	at := until.In(vntime.Location()).Format("15:04")
	return &errs.Error{Kind: errs.TooMany, RetryAfter: until.Sub(now), Message: fmt.Sprintf(
		"Mã OTP đã bị nhập sai %d lần liên tiếp nên việc ký bằng chứng thư số này tạm khoá đến %s. "+
			"Hãy đợi đến %s rồi bấm «Gửi mã OTP» để nhận mã mới và nhập đúng mã vừa nhận. "+
			"Nếu không phải bạn đã nhập các mã sai đó, hãy báo ngay cho quản trị viên của cơ quan. / "+
			"A wrong code was entered %d times in a row, so signing with this credential is locked until %s (Vietnam time). "+
			"Wait until then, send a new code and enter the code you receive. If you did not enter those codes, tell your agency's administrator now.",
		failures, at, at, failures, at)}
}

// allowSend counts a code about to be sent, or refuses it.
func (l *OTPLimits) allowSend(ctx context.Context, userID, credentialID string) error {
	_, maxSends, window, maxFail, _ := l.defaults()
	return l.update(ctx, userID, credentialID, func(c *otpCounters, now time.Time) error {
		if now.Before(c.Locked) {
			return lockedErr(c.Locked, now, maxFail)
		}
		kept := c.Sends[:0]
		for _, t := range c.Sends {
			if now.Before(t.Add(window)) {
				kept = append(kept, t)
			}
		}
		c.Sends = kept
		if len(c.Sends) >= maxSends {
			next := c.Sends[0].Add(window)
			at := next.In(vntime.Location()).Format("15:04")
			mins := int(window / time.Minute)
			return &errs.Error{Kind: errs.TooMany, RetryAfter: next.Sub(now), Message: fmt.Sprintf(
				"Bạn đã yêu cầu %d mã OTP trong %d phút. Hãy dùng mã mới nhất đã nhận qua tin nhắn, hoặc gửi mã mới sau %s. / "+
					"You asked for %d codes within %d minutes. Use the latest code you received by text, or send a new one after %s (Vietnam time).",
				maxSends, mins, at, maxSends, mins, at)}
		}
		c.Sends = append(c.Sends, now)
		return nil
	})
}

// allowSign refuses to sign with a locked credential.
func (l *OTPLimits) allowSign(ctx context.Context, userID, credentialID string) error {
	it, err := l.Records.Get(ctx, "OTPLIMIT#"+userID+"#"+credentialID, "OTPLIMIT")
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("otp limits: %w", err)
	}
	var c otpCounters
	if err := json.Unmarshal(it.Data, &c); err != nil {
		return fmt.Errorf("otp limits: %w", err)
	}
	now, _, _, maxFail, _ := l.defaults()
	if now.Before(c.Locked) {
		return lockedErr(c.Locked, now, maxFail)
	}
	return nil
}

// outcome records how a code was received: a wrong one counts towards the
// lockout (and, the last one, locks: the answer says so), a right one starts
// the count again.
func (l *OTPLimits) outcome(ctx context.Context, userID, credentialID string, wrong bool) error {
	_, _, _, maxFail, lockout := l.defaults()
	var locked error
	err := l.update(ctx, userID, credentialID, func(c *otpCounters, now time.Time) error {
		if !wrong {
			c.Failures = 0
			return nil
		}
		c.Failures++
		if c.Failures >= maxFail {
			c.Failures, c.Locked = 0, now.Add(lockout)
			locked = lockedErr(c.Locked, now, maxFail)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return locked
}
