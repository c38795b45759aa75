package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Record keys of the local channels in the single table.
//
//	PK OUTBOX#<to>        SK <at>#<hash>   email or SMS the local stack "sent" (GET /v1/dev/outbox)
//	PK INAPP#<subject>    SK <at>#<hash>   an in-app notification (GET /v1/notifications); the SK is its id
const (
	outboxPrefix = "OUTBOX#"
	inappPrefix  = "INAPP#"
	timeKey      = "20060102T150405.000000000Z"
)

// MaxList is the most messages Outbox.List and InApp.List return (the newest).
const MaxList = 200

// messageSK orders items by time and tells apart two messages of the same
// instant; the same message written twice has the same key.
func messageSK(m Message) string {
	h := sha256.New()
	for _, s := range []string{string(m.Channel), m.To, m.Subject, m.Body, m.DossierID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return m.At.UTC().Format(timeKey) + "#" + hex.EncodeToString(h.Sum(nil)[:8])
}

// putOnce creates it; an identical item already there is success.
func putOnce(ctx context.Context, t records.Table, it records.Item) error {
	_, err := t.Put(ctx, it)
	if errs.Is(err, errs.Conflict) {
		return nil
	}
	return err
}

// Outbox is the local stack's email and SMS channel: each message is kept as a
// record that GET /v1/dev/outbox lists, instead of being sent.
type Outbox struct {
	t   records.Table
	ttl time.Duration
}

var _ Sender = (*Outbox)(nil)

// NewOutbox returns an Outbox in t; messages expire after 30 days.
func NewOutbox(t records.Table) *Outbox { return &Outbox{t: t, ttl: 30 * 24 * time.Hour} }

// Send implements Sender for the email and SMS channels.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if m.Channel != Email && m.Channel != SMS {
		return errs.E(errs.Invalid, "outbox: channel %q is not email or sms", m.Channel)
	}
	if m.To == "" {
		return errs.E(errs.Invalid, "outbox: message without a recipient")
	}
	if m.At.IsZero() {
		m.At = time.Now()
	}
	m.At = m.At.UTC()
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("outbox: encode: %w", err)
	}
	it := records.Item{PK: outboxPrefix + m.To, SK: messageSK(m), ExpiresAt: time.Now().Add(o.ttl), Data: data}
	if err := putOnce(ctx, o.t, it); err != nil {
		return fmt.Errorf("outbox: store %s message: %w", m.Channel, err)
	}
	return nil
}

// List returns what was sent to an address, oldest first (at most MaxList,
// the newest).
func (o *Outbox) List(ctx context.Context, to string) ([]Message, error) {
	if to == "" {
		return nil, errs.FieldError("to", "an address is required")
	}
	its, err := o.t.Query(ctx, records.Query{PK: outboxPrefix + to, Desc: true, Limit: MaxList})
	if err != nil {
		return nil, fmt.Errorf("outbox: list: %w", err)
	}
	out := make([]Message, 0, len(its))
	for _, it := range its {
		var m Message
		if err := json.Unmarshal(it.Data, &m); err != nil {
			return nil, fmt.Errorf("outbox: decode %s: %w", it.SK, err)
		}
		out = append(out, m)
	}
	slices.Reverse(out)
	return out, nil
}
