package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/metrics"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Config holds a Notifier's dependencies. Dossiers, Directory, Records and at
// least one Sender are required; zero durations take the defaults.
type Config struct {
	Dossiers  Dossiers
	Directory Directory
	// Records keeps the idempotency keys (PK SENT#...).
	Records records.Table
	// Senders maps each channel to its adapter; a channel without one is
	// not used.
	Senders map[Channel]Sender
	// PortalURL is the citizen portal's base URL, shown in messages.
	PortalURL string
	// Contacts returns the contact on record in a citizen's vault. Messages
	// that speak of the vault (a result issued into it) go there and in-app,
	// never to the contacts a clerk typed at the counter. Nil: in-app only.
	Contacts func(ctx context.Context, citizenID string) (email, phone string, err error)
	// Attempts is how many times one Handle tries a message (default 3);
	// Backoff the wait before the second try, doubled after (default 500ms).
	Attempts int
	Backoff  time.Duration
	// SendTimeout bounds one attempt (default 15s).
	SendTimeout time.Duration
	// Lease is how long a claimed message belongs to the worker sending it
	// before another may take it over (default 2m).
	Lease time.Duration
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	Log   *slog.Logger
	// Metrics counts the jobs that ran out of attempts; nil: none.
	Metrics metrics.Sink
}

// Notifier turns dossier events into messages and sends each once.
type Notifier struct {
	c  Config
	tm *templates
}

// NewNotifier returns a Notifier; it fails if a required dependency is missing.
func NewNotifier(c Config) (*Notifier, error) {
	if c.Dossiers == nil || c.Directory == nil || c.Records == nil || len(c.Senders) == 0 {
		return nil, errors.New("notify: Dossiers, Directory, Records and a Sender are required")
	}
	for ch := range c.Senders {
		if !ch.Valid() {
			return nil, fmt.Errorf("notify: unknown channel %q", ch)
		}
	}
	if c.Attempts <= 0 {
		c.Attempts = 3
	}
	if c.Backoff <= 0 {
		c.Backoff = 500 * time.Millisecond
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 15 * time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = metrics.Nop{}
	}
	tm, err := loadTemplates()
	if err != nil {
		return nil, err
	}
	return &Notifier{c: c, tm: tm}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// outgoing is a message with its idempotency key.
type outgoing struct {
	key string
	m   Message
}

// Handle sends the notifications of ev on the given channels (every channel
// if none is given). Each (event, recipient, channel) goes out once however
// often the event is handled. Channels are sent concurrently, so a slow or
// failing one never holds up the others; within a channel each message is
// tried Config.Attempts times with backoff.
//
// failed lists the channels on which a message is still unsent: handle the
// event again later for those channels. err is a failure before anything
// could be sent (the dossier or the directory could not be read): handle the
// whole event again later. A message a channel refuses for good (errs.Invalid,
// e.g. a malformed address) is logged and not retried.
func (n *Notifier) Handle(ctx context.Context, ev dossier.StatusChanged, only ...Channel) (failed []Channel, err error) {
	out, err := n.messages(ctx, ev)
	if err != nil {
		return nil, err
	}
	return n.sendAll(ctx, out, only), nil
}

// messages builds the messages of ev; nil for a status nobody is told about.
func (n *Notifier) messages(ctx context.Context, ev dossier.StatusChanged) ([]outgoing, error) {
	switch ev.Status {
	case dossier.Received, dossier.NeedsSupplement, dossier.Validated, dossier.ResultIssued, dossier.ReturnedByPost:
	default:
		return nil, nil
	}
	d, err := n.c.Dossiers.Load(ctx, ev.DossierID)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			n.c.Log.WarnContext(ctx, "notify: event for a dossier that does not exist", "dossier", ev.DossierID, "seq", ev.Seq)
			return nil, nil
		}
		return nil, fmt.Errorf("notify: load dossier %s: %w", ev.DossierID, err)
	}
	evKey := ev.DossierID + "#" + strconv.Itoa(ev.Seq)
	citizenData := data{Code: d.Code, Procedure: d.Procedure, Name: d.Citizen.Name, Due: localTime(d.DueAt),
		Waybill: d.Waybill, PortalURL: n.c.PortalURL}
	staffData := data{Code: d.Code, Procedure: d.Procedure, Due: localTime(d.DueAt), PortalURL: n.c.PortalURL}
	citizen := Recipient{Subject: d.Citizen.ID, Email: d.Citizen.Email, Phone: d.Citizen.Phone}
	var out []outgoing
	add := func(k kind, r Recipient, dt data) error {
		msgs, err := n.compose(evKey, k, r, dt, d.ID)
		out = append(out, msgs...)
		return err
	}
	switch ev.Status {
	case dossier.Received:
		err = add(kindReceipt, citizen, citizenData)
	case dossier.NeedsSupplement:
		// The findings are those of the event only while it is the dossier's latest change.
		if len(d.History) == ev.Seq+1 && d.Status == ev.Status {
			citizenData.Reasons, citizenData.ReasonsEN = reasons(d.Findings, "vi"), reasons(d.Findings, "en")
			staffData.Reasons, staffData.ReasonsEN = citizenData.Reasons, citizenData.ReasonsEN
		}
		if err = add(kindSupplement, citizen, citizenData); err != nil {
			break
		}
		clerk, lerr := n.c.Directory.Person(ctx, d.Clerk)
		switch {
		case lerr == nil:
		case errs.Is(lerr, errs.NotFound):
			clerk = Recipient{Subject: d.Clerk}
		default:
			return nil, fmt.Errorf("notify: find clerk of %s: %w", d.Code, lerr)
		}
		if clerk.Subject == "" {
			clerk.Subject = d.Clerk
		}
		err = add(kindClerkSupplement, clerk, staffData)
	case dossier.Validated:
		officers, lerr := n.c.Directory.OfficersOf(ctx, d.Agency)
		if lerr != nil {
			return nil, fmt.Errorf("notify: officers of %s: %w", d.Agency, lerr)
		}
		for _, o := range officers {
			if err = add(kindOfficerValidated, o, staffData); err != nil {
				break
			}
		}
	case dossier.ResultIssued:
		// The result is in the vault: the message goes to the vault's own
		// channels only (in-app, the contact on record in the vault).
		onRecord := Recipient{Subject: d.Citizen.ID}
		if n.c.Contacts != nil {
			email, phone, cerr := n.c.Contacts(ctx, d.Citizen.ID)
			if cerr != nil {
				return nil, fmt.Errorf("notify: contact on record for %s: %w", d.Code, cerr)
			}
			onRecord.Email, onRecord.Phone = email, phone
		}
		err = add(kindResult, onRecord, citizenData)
	case dossier.ReturnedByPost:
		err = add(kindReturned, citizen, citizenData)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// maxReasons bounds the reasons listed in one message.
const maxReasons = 20

// reasons returns the distinct texts, in lang, of the findings that ask
// something now (open errors; never an officer's note).
func reasons(fs []dossier.Finding, lang string) []string {
	var out []string
	for _, f := range fs {
		text := f.Text(lang)
		if f.Task() && text != "" && !slices.Contains(out, text) && len(out) < maxReasons {
			out = append(out, text)
		}
	}
	return out
}

// compose renders kind k for r on each channel r can be reached by.
func (n *Notifier) compose(evKey string, k kind, r Recipient, dt data, dossierID string) ([]outgoing, error) {
	rd, err := n.tm.render(k, r.Lang, dt)
	if err != nil {
		return nil, err
	}
	// In the app the page picks the language: each is kept apart.
	vi, err := n.tm.render(k, "vi", dt)
	if err != nil {
		return nil, err
	}
	en := dt
	en.Reasons = dt.ReasonsEN
	enr, err := renderOne(n.tm.en, k, en)
	if err != nil {
		return nil, err
	}
	now := n.c.Now().UTC()
	var out []outgoing
	for _, m := range []Message{
		{Channel: Email, To: r.Email, Subject: rd.Subject, Body: rd.Body},
		{Channel: SMS, To: r.Phone, Body: rd.SMS},
		{Channel: InApp, To: r.Subject, Subject: vi.Subject, Body: vi.Body, SubjectEN: enr.Subject, BodyEN: enr.Body},
	} {
		if m.To == "" {
			continue
		}
		m.DossierID, m.At = dossierID, now
		out = append(out, outgoing{key: sentKey(evKey, m.Channel, m.To), m: m})
	}
	return out, nil
}

// sentKey is the idempotency key of one message: SENT#<dossierId>#<seq>#<channel>#<to>,
// with the address hashed so that no phone number, email or citizen ID is a key.
func sentKey(evKey string, ch Channel, to string) string {
	h := sha256.Sum256([]byte(to))
	return "SENT#" + evKey + "#" + string(ch) + "#" + hex.EncodeToString(h[:12])
}

// sendAll sends out, one goroutine per channel, and returns the channels
// with a message left unsent, in Channels order.
func (n *Notifier) sendAll(ctx context.Context, out []outgoing, only []Channel) []Channel {
	byChannel := map[Channel][]outgoing{}
	for _, o := range out {
		if len(only) > 0 && !slices.Contains(only, o.m.Channel) {
			continue
		}
		if _, ok := n.c.Senders[o.m.Channel]; !ok {
			continue
		}
		byChannel[o.m.Channel] = append(byChannel[o.m.Channel], o)
	}
	var (
		mu     sync.Mutex
		failed []Channel
		wg     sync.WaitGroup
	)
	for ch, os := range byChannel {
		wg.Go(func() {
			ok := true
			for _, o := range os {
				if err := n.deliver(ctx, o); err != nil {
					n.c.Log.WarnContext(ctx, "notify: message not sent", "channel", ch, "dossier", o.m.DossierID, "key", o.key, "err", err)
					ok = false
				}
			}
			if !ok {
				mu.Lock()
				failed = append(failed, ch)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(failed, func(a, b Channel) int {
		return slices.Index(Channels(), a) - slices.Index(Channels(), b)
	})
	return failed
}

// sent is the idempotency record of one message.
type sent struct {
	State string    `json:"state"` // "sending", "sent" or "refused"
	Until time.Time `json:"until,omitzero"`
	At    time.Time `json:"at"`
}

const (
	stateSending = "sending"
	stateSent    = "sent"
	stateRefused = "refused"
	skSent       = "SENT"
	// sentTTL outlives any redelivery: events themselves expire after 30 days.
	sentTTL = 90 * 24 * time.Hour
)

// Expiry times (TTL) are counted on the wall clock, which is the store's,
// whatever Config.Now says.

// errBusy says that another worker holds the message's lease.
var errBusy = errs.E(errs.Unavailable, "message is being sent by another worker")

// deliver sends o unless it was sent already, claiming its key first so two
// workers never send it both.
func (n *Notifier) deliver(ctx context.Context, o outgoing) error {
	ver, done, err := n.claim(ctx, o.key)
	if err != nil || done {
		return err
	}
	s := n.c.Senders[o.m.Channel]
	for attempt := 0; attempt < n.c.Attempts; attempt++ {
		if attempt > 0 {
			if err := n.c.Sleep(ctx, n.c.Backoff<<(attempt-1)); err != nil {
				break
			}
		}
		sctx, cancel := context.WithTimeout(ctx, n.c.SendTimeout)
		err = s.Send(sctx, o.m)
		cancel()
		if err == nil {
			n.finish(ctx, o.key, ver, stateSent)
			return nil
		}
		if errs.Is(err, errs.Invalid) {
			n.c.Log.WarnContext(ctx, "notify: channel refused the message for good", "channel", o.m.Channel, "dossier", o.m.DossierID, "err", err)
			n.finish(ctx, o.key, ver, stateRefused)
			return nil
		}
	}
	// Give the claim back so that the next try need not wait for the lease.
	if derr := n.c.Records.Delete(context.WithoutCancel(ctx), o.key, skSent, ver); derr != nil {
		n.c.Log.WarnContext(ctx, "notify: release claim", "key", o.key, "err", derr)
	}
	return fmt.Errorf("send %s after %d attempts: %w", o.m.Channel, n.c.Attempts, err)
}

// claim takes the lease on key. done is true if the message was already sent
// (or refused); errBusy if another worker holds a live lease.
func (n *Notifier) claim(ctx context.Context, key string) (version int64, done bool, err error) {
	now := n.c.Now().UTC()
	data, err := json.Marshal(sent{State: stateSending, Until: now.Add(n.c.Lease), At: now})
	if err != nil {
		return 0, false, err
	}
	it := records.Item{PK: key, SK: skSent, ExpiresAt: time.Now().Add(sentTTL), Data: data}
	for attempt := 0; attempt < 3; attempt++ {
		stored, err := n.c.Records.Put(ctx, it)
		if err == nil {
			return stored.Version, false, nil
		}
		if !errs.Is(err, errs.Conflict) {
			return 0, false, fmt.Errorf("claim %s: %w", key, err)
		}
		cur, err := n.c.Records.Get(ctx, key, skSent)
		if errs.Is(err, errs.NotFound) {
			it.Version = 0 // released meanwhile: claim again
			continue
		}
		if err != nil {
			return 0, false, fmt.Errorf("read claim %s: %w", key, err)
		}
		var st sent
		if err := json.Unmarshal(cur.Data, &st); err != nil {
			return 0, false, fmt.Errorf("decode claim %s: %w", key, err)
		}
		if st.State != stateSending {
			return 0, true, nil
		}
		if st.Until.After(now) {
			return 0, false, errBusy
		}
		it.Version = cur.Version // the lease ran out: take it over
	}
	return 0, false, errBusy
}

// finish records the fate of a claimed message. A failure to record it is
// logged: the lease then runs out and the message may go out a second time,
// which is the at-least-once end of the trade.
func (n *Notifier) finish(ctx context.Context, key string, ver int64, state string) {
	now := n.c.Now().UTC()
	data, err := json.Marshal(sent{State: state, At: now})
	if err == nil {
		_, err = n.c.Records.Put(context.WithoutCancel(ctx), records.Item{PK: key, SK: skSent, Version: ver, ExpiresAt: time.Now().Add(sentTTL), Data: data})
	}
	if err != nil {
		n.c.Log.WarnContext(ctx, "notify: record sent message", "key", key, "err", err)
	}
}
