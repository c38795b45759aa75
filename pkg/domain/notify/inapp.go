package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Notification is one in-app notification, as GET /v1/notifications lists it.
type Notification struct {
	ID      string `json:"id"`
	Dossier string `json:"dossier,omitempty"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	// SubjectEN and BodyEN are the English, when the notification has it.
	SubjectEN string    `json:"subjectEn,omitempty"`
	BodyEN    string    `json:"bodyEn,omitempty"`
	At        time.Time `json:"at"`
	Read      bool      `json:"read"`
}

// SubjectIn is the notification's subject in lang ("vi" or "en");
// Vietnamese when it has no English.
func (n Notification) SubjectIn(lang string) string {
	if lang == "en" && n.SubjectEN != "" {
		return n.SubjectEN
	}
	return n.Subject
}

// BodyIn is the notification's body in lang, as SubjectIn.
func (n Notification) BodyIn(lang string) string {
	if lang == "en" && n.BodyEN != "" {
		return n.BodyEN
	}
	return n.Body
}

// Inbox is the in-app channel: notifications kept as records per recipient
// subject, on AWS as locally (it needs only the records table).
type Inbox struct {
	t   records.Table
	ttl time.Duration
}

var _ Sender = (*Inbox)(nil)

// NewInbox returns an Inbox in t; notifications expire after a year.
func NewInbox(t records.Table) *Inbox { return &Inbox{t: t, ttl: 365 * 24 * time.Hour} }

// Send implements Sender for the in-app channel: m.To is the recipient's subject.
func (b *Inbox) Send(ctx context.Context, m Message) error {
	if m.Channel != InApp {
		return errs.E(errs.Invalid, "inbox: channel %q is not inapp", m.Channel)
	}
	if m.To == "" {
		return errs.E(errs.Invalid, "inbox: notification without a recipient")
	}
	if m.At.IsZero() {
		m.At = time.Now()
	}
	m.At = m.At.UTC()
	sk := messageSK(m)
	data, err := json.Marshal(Notification{ID: sk, Dossier: m.DossierID, Subject: m.Subject, Body: m.Body,
		SubjectEN: m.SubjectEN, BodyEN: m.BodyEN, At: m.At})
	if err != nil {
		return fmt.Errorf("inbox: encode: %w", err)
	}
	if err := putOnce(ctx, b.t, records.Item{PK: inappPrefix + m.To, SK: sk, ExpiresAt: time.Now().Add(b.ttl), Data: data}); err != nil {
		return fmt.Errorf("inbox: store notification: %w", err)
	}
	return nil
}

// List returns a recipient's notifications, newest first (at most MaxList).
func (b *Inbox) List(ctx context.Context, subject string) ([]Notification, error) {
	if subject == "" {
		return nil, errs.E(errs.Unauthorized, "inbox: no recipient")
	}
	its, err := b.t.Query(ctx, records.Query{PK: inappPrefix + subject, Desc: true, Limit: MaxList})
	if err != nil {
		return nil, fmt.Errorf("inbox: list: %w", err)
	}
	out := make([]Notification, 0, len(its))
	for _, it := range its {
		n, err := decodeNotification(it)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// MarkRead marks one of subject's notifications read; another's, or an
// unknown id, is errs.NotFound.
func (b *Inbox) MarkRead(ctx context.Context, subject, id string) error {
	for attempt := 0; attempt < 5; attempt++ {
		it, err := b.t.Get(ctx, inappPrefix+subject, id)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return errs.E(errs.NotFound, "no notification %s", id)
			}
			return fmt.Errorf("inbox: read notification: %w", err)
		}
		n, err := decodeNotification(it)
		if err != nil {
			return err
		}
		if n.Read {
			return nil
		}
		n.Read = true
		if it.Data, err = json.Marshal(n); err != nil {
			return fmt.Errorf("inbox: encode: %w", err)
		}
		if _, err = b.t.Put(ctx, it); err == nil {
			return nil
		} else if !errs.Is(err, errs.Conflict) {
			return fmt.Errorf("inbox: mark read: %w", err)
		}
	}
	return errs.E(errs.Unavailable, "notification %s is busy; try again", id)
}

func decodeNotification(it records.Item) (Notification, error) {
	var n Notification
	if err := json.Unmarshal(it.Data, &n); err != nil {
		return Notification{}, fmt.Errorf("inbox: decode %s: %w", it.SK, err)
	}
	n.ID = it.SK
	return n, nil
}
