// Package notify tells citizens, postal clerks and agency officers about each
// step of a dossier, on three channels: email, SMS and in-app notifications.
//
// It is driven by dossier.StatusChanged events, never by the code that changed
// the status: a Relay (local stack) or the DynamoDB stream (AWS) hands each
// event to a Notifier, which renders the embedded Vietnamese templates (English
// second where the recipient prefers it) and sends each message once per
// (event, recipient, channel), retrying a failing channel without holding up
// the others. DueSoon warns officers of dossiers about to fall, or fallen,
// overdue.
//
// Channels are reached through the Sender port: Outbox (local email and SMS)
// and InApp live here; the AWS adapters are in notify/ses and notify/sns.
// This package is not for deciding anything about a dossier.
package notify

import (
	"context"
	"slices"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
)

// Channel is a way to reach someone.
type Channel string

// The channels: email (SES), SMS (SNS) and in-app records.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
	InApp Channel = "inapp"
)

// Channels lists every channel, in the order they are tried.
func Channels() []Channel { return []Channel{Email, SMS, InApp} }

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c == Email || c == SMS || c == InApp }

// Message is one notification on one channel. To is an email address, a phone
// number or, for in-app notifications, the recipient's subject (JWT sub).
type Message struct {
	Channel Channel `json:"channel"`
	To      string  `json:"to"`
	Subject string  `json:"subject"`
	Body    string  `json:"body"`
	// SubjectEN and BodyEN are the English of an in-app notification, which
	// the pages show in the reader's language (Subject and Body are then
	// Vietnamese only).
	SubjectEN string    `json:"subjectEn,omitempty"`
	BodyEN    string    `json:"bodyEn,omitempty"`
	DossierID string    `json:"dossier,omitempty"`
	At        time.Time `json:"at"`
}

// Sender delivers messages of one channel.
//
// Errors: errs.Invalid for a message that can never be delivered (a malformed
// address): it is not retried; any other error is retried with backoff.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Recipient is a person to notify: Subject is their JWT subject (in-app),
// Email and Phone are optional, Lang is "vi" (default) or "en".
type Recipient struct {
	Subject string `json:"subject"`
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Lang    string `json:"lang,omitempty"`
}

// Directory finds the staff to notify.
type Directory interface {
	// OfficersOf returns the officers of an agency (none is not an error).
	OfficersOf(ctx context.Context, agency string) ([]Recipient, error)
	// Person returns the staff member with a subject (a postal clerk), or
	// errs.NotFound: such a person then gets in-app notifications only.
	Person(ctx context.Context, subject string) (Recipient, error)
}

// Dossiers loads a dossier for the notifier; dossier.Service is expected to
// provide it (no access check: the notifier is the system).
type Dossiers interface {
	Load(ctx context.Context, id string) (*dossier.Dossier, error)
}

// StaticDirectory is a Directory held in memory, for the local stack: the
// officers of each agency and the other staff by subject.
type StaticDirectory struct {
	Officers map[string][]Recipient
	People   map[string]Recipient
}

var _ Directory = StaticDirectory{}

// OfficersOf implements Directory.
func (d StaticDirectory) OfficersOf(_ context.Context, agency string) ([]Recipient, error) {
	return slices.Clone(d.Officers[agency]), nil
}

// Person implements Directory: People first, then the officers.
func (d StaticDirectory) Person(_ context.Context, subject string) (Recipient, error) {
	if r, ok := d.People[subject]; ok {
		return r, nil
	}
	for _, rs := range d.Officers {
		for _, r := range rs {
			if r.Subject == subject {
				return r, nil
			}
		}
	}
	return Recipient{}, errs.E(errs.NotFound, "no staff member %s", subject)
}
