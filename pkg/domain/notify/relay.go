package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Handler consumes one status-change event. It must be idempotent: an event
// may be handed over more than once.
type Handler func(ctx context.Context, ev dossier.StatusChanged) error

// Fanout returns a Handler that hands each event to every h in turn and stops
// at the first error (the event is then handed over again, to all of them).
func Fanout(hs ...Handler) Handler {
	return func(ctx context.Context, ev dossier.StatusChanged) error {
		for _, h := range hs {
			if err := h(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	}
}

// The events the dossier store writes with each status change, and the
// relay's cursor:
//
//	PK EVENTS#ALL      SK <at>#<dossierId>#<seq>   dossier.StatusChanged (written by pkg/domain/dossier)
//	PK RELAY#<name>    SK CURSOR                   the SK of the last event handed over
const skCursor = "CURSOR"

// RelayOptions tunes a Relay; nil or zero fields take the defaults.
type RelayOptions struct {
	// Poll is the wait between passes when there was nothing to do (default 500ms).
	Poll time.Duration
	// Settle is how old an event must be before it is handed over (default
	// 2s), so that an event whose transaction commits a little after a newer
	// one's is not skipped: events are ordered by the time written in them,
	// not by commit.
	Settle time.Duration
	// Batch is how many events one query reads (default 100).
	Batch int
	Now   func() time.Time
	Log   *slog.Logger
}

// Relay is the local stack's stand-in for the DynamoDB stream: it reads the
// EVENTS#ALL items in order, hands each to a Handler and remembers how far it
// got in a cursor record, so a restart resumes where it stopped. Delivery is
// at least once.
type Relay struct {
	t      records.Table
	cursor string
	h      Handler
	o      RelayOptions
}

// NewRelay returns a Relay named name (one cursor per name) handing events to h.
func NewRelay(t records.Table, name string, h Handler, o *RelayOptions) (*Relay, error) {
	if t == nil || h == nil || name == "" {
		return nil, errors.New("notify: a relay needs a table, a name and a handler")
	}
	var opts RelayOptions
	if o != nil {
		opts = *o
	}
	if opts.Poll <= 0 {
		opts.Poll = 500 * time.Millisecond
	}
	if opts.Settle <= 0 {
		opts.Settle = 2 * time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 100
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Relay{t: t, cursor: "RELAY#" + name, h: h, o: opts}, nil
}

// Run relays events until ctx is done, then returns nil. A failing pass is
// logged and tried again after a growing pause (at most a minute). Run is
// meant to be the body of a goroutine its caller owns and waits for.
func (r *Relay) Run(ctx context.Context) error {
	wait := r.o.Poll
	for {
		n, err := r.Pass(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			r.o.Log.ErrorContext(ctx, "relay: pass failed", "cursor", r.cursor, "err", err)
			wait = min(max(wait*2, time.Second), time.Minute)
		case n > 0:
			wait = 0
		default:
			wait = r.o.Poll
		}
		if wait > 0 {
			if sleep(ctx, wait) != nil {
				return nil
			}
		}
	}
}

// Pass hands over every settled event after the cursor and returns how many.
// On a handler error it saves the cursor before the failed event and returns
// the error.
func (r *Relay) Pass(ctx context.Context) (int, error) {
	cur, err := r.t.Get(ctx, r.cursor, skCursor)
	switch {
	case err == nil:
	case errs.Is(err, errs.NotFound):
		cur = records.Item{PK: r.cursor, SK: skCursor}
	default:
		return 0, fmt.Errorf("relay: read cursor: %w", err)
	}
	last := string(cur.Data)
	upTo := r.o.Now().Add(-r.o.Settle).UTC().Format(timeKey)
	total := 0
	for {
		q := records.Query{PK: dossier.EventsPK, SKFrom: last, SKTo: upTo, Limit: r.o.Batch + 1}
		if last == "" {
			q.SKFrom = " " // below every timestamp
		}
		its, err := r.t.Query(ctx, q)
		if err != nil {
			return total, fmt.Errorf("relay: read events: %w", err)
		}
		n := 0
		var herr error
		for _, it := range its {
			if it.SK <= last {
				continue // the cursor's own event, read again by the inclusive bound
			}
			var ev dossier.StatusChanged
			if err := json.Unmarshal(it.Data, &ev); err != nil {
				r.o.Log.ErrorContext(ctx, "relay: skipping an undecodable event", "sk", it.SK, "err", err)
			} else if herr = r.h(ctx, ev); herr != nil {
				break
			}
			last = it.SK
			n++
		}
		total += n
		if n > 0 {
			cur.Data = []byte(last)
			saved, err := r.t.Put(ctx, cur)
			if err != nil {
				return total, fmt.Errorf("relay: save cursor (is another relay named %q running?): %w", r.cursor, err)
			}
			cur = saved
		}
		if herr != nil {
			return total, fmt.Errorf("relay: handle event after %s: %w", last, herr)
		}
		if n == 0 || len(its) <= r.o.Batch {
			return total, nil
		}
	}
}
