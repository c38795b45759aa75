package identity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// MinSessionKey is the shortest key Sessions accepts: 256 bits.
const MinSessionKey = 32

// Sessions keeps the web pages' sign-in sessions as records, so that a
// session ends the moment it is ended (sign-out, an account disabled) or
// expires, on every instance at once: the same code over SQLite locally and
// DynamoDB on AWS.
//
// A session's token is a random identifier and its HMAC under the key: a
// made-up token is refused before the table is read, and a new key ends
// every session. The record is keyed by the identifier's SHA-256, so the
// table never holds a token. A token is opaque, never a JWT: it is no API
// bearer token.
//
// Records:
//
//	PK SESSION#<sha256(id)>  SK SESSION   GSI1 SESSIONS#<subject> / <started>#<hash>   TTL: its end
type Sessions struct {
	t   records.Table
	key []byte
	now func() time.Time
}

// NewSessions returns sessions kept in t under key (at least MinSessionKey
// bytes); now is the clock (default time.Now).
func NewSessions(t records.Table, key []byte, now func() time.Time) (*Sessions, error) {
	if t == nil {
		return nil, fmt.Errorf("identity: sessions need a records table")
	}
	if len(key) < MinSessionKey {
		return nil, fmt.Errorf("identity: the session key must have at least %d bytes", MinSessionKey)
	}
	if now == nil {
		now = time.Now
	}
	return &Sessions{t: t, key: append([]byte(nil), key...), now: now}, nil
}

type sessionRecord struct {
	Actor   Actor     `json:"actor"`
	Started time.Time `json:"started"`
	Until   time.Time `json:"until"`
}

// maxSessionToken bounds a token read from a cookie.
const maxSessionToken = 256

func (s *Sessions) mac(id string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("sohoa-session\n" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func sessionPK(id string) string {
	h := sha256.Sum256([]byte(id))
	return "SESSION#" + hex.EncodeToString(h[:])
}

const sessionSK = "SESSION"

// Start records a session of a that lasts until until and returns its token.
func (s *Sessions) Start(ctx context.Context, a Actor, until time.Time) (string, error) {
	if err := a.Check(); err != nil {
		return "", err
	}
	now := s.now()
	if !until.After(now) {
		return "", errs.E(errs.Unauthorized, "Phiên đăng nhập đã hết hạn; hãy đăng nhập lại / The sign-in has expired; sign in again")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(raw)
	data, err := json.Marshal(sessionRecord{Actor: a, Started: now.UTC(), Until: until.UTC()})
	if err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	pk := sessionPK(id)
	if _, err := s.t.Put(ctx, records.Item{PK: pk, SK: sessionSK,
		GSI1PK: "SESSIONS#" + a.Subject, GSI1SK: now.UTC().Format(time.RFC3339Nano) + "#" + pk,
		ExpiresAt: until, Data: data}); err != nil {
		return "", fmt.Errorf("session: %w", err)
	}
	return id + "." + s.mac(id), nil
}

// id returns the identifier of a token whose HMAC holds.
func (s *Sessions) id(token string) (string, bool) {
	id, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > maxSessionToken || !hmac.Equal([]byte(sig), []byte(s.mac(id))) {
		return "", false
	}
	return id, true
}

// Check returns the actor of the live session token names; errs.Unauthorized
// if it is made up, ended or expired.
func (s *Sessions) Check(ctx context.Context, token string) (Actor, error) {
	bad := errs.E(errs.Unauthorized, "Phiên đăng nhập không hợp lệ hoặc đã kết thúc / The session is not valid or has ended")
	id, ok := s.id(token)
	if !ok {
		return Actor{}, bad
	}
	it, err := s.t.Get(ctx, sessionPK(id), sessionSK)
	if errs.Is(err, errs.NotFound) {
		return Actor{}, bad
	}
	if err != nil {
		return Actor{}, fmt.Errorf("session: %w", err)
	}
	var rec sessionRecord
	if err := json.Unmarshal(it.Data, &rec); err != nil || rec.Actor.Check() != nil {
		return Actor{}, bad
	}
	if !s.now().Before(rec.Until) {
		return Actor{}, bad
	}
	return rec.Actor, nil
}

// End ends the session token names (sign-out). Ending a session that is
// already over, or a made-up token, is not an error.
func (s *Sessions) End(ctx context.Context, token string) error {
	id, ok := s.id(token)
	if !ok {
		return nil
	}
	if err := s.t.Delete(ctx, sessionPK(id), sessionSK, 0); err != nil && !errs.Is(err, errs.NotFound) {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndAll ends every session of subject, as when the account is disabled.
func (s *Sessions) EndAll(ctx context.Context, subject string) error {
	return EndSessions(ctx, s.t, subject)
}

// EndSessions ends every session of subject kept in t, at once: what an
// operator does when an account is disabled (the operator command's
// end-sessions), needing no session key.
func EndSessions(ctx context.Context, t records.Table, subject string) error {
	if subject == "" {
		return errs.E(errs.Invalid, "end sessions: no subject")
	}
	its, err := t.Query(ctx, records.Query{Index: records.GSI1, PK: "SESSIONS#" + subject})
	if err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	for _, it := range its {
		if err := t.Delete(ctx, it.PK, it.SK, 0); err != nil && !errs.Is(err, errs.NotFound) {
			return fmt.Errorf("end sessions: %w", err)
		}
	}
	return nil
}
