package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
)

// AgencyQueue lists an agency's dossiers in a status, earliest due first;
// dossier.Service implements it.
type AgencyQueue interface {
	AgencyQueue(ctx context.Context, a identity.Actor, st dossier.Status) ([]*dossier.Dossier, error)
}

// WorkingClock measures working time; *calendar.Calendar implements it.
type WorkingClock interface {
	Remaining(now, due time.Time) time.Duration
}

// DueSoonConfig configures a deadline watcher. Queue, Clock and Agencies are required.
type DueSoonConfig struct {
	Queue    AgencyQueue
	Clock    WorkingClock
	Agencies []string
	// Every is the wait between checks (default 15 minutes).
	Every time.Duration
}

// DueSoon warns the officers of an agency about each dossier waiting on them
// (VALIDATED or APPROVED) that is due within one working day, and again once
// it is overdue: each warning once per dossier and due time, on every channel.
type DueSoon struct {
	n *Notifier
	c DueSoonConfig
}

// awaitingOfficers are the statuses in which the agency, not the citizen or
// the post office, must act.
var awaitingOfficers = [...]dossier.Status{dossier.Validated, dossier.Approved}

// DueSoon returns a deadline watcher that sends through n.
func (n *Notifier) DueSoon(c DueSoonConfig) (*DueSoon, error) {
	if c.Queue == nil || c.Clock == nil || len(c.Agencies) == 0 {
		return nil, errors.New("notify: the deadline watcher needs a queue, a clock and agencies")
	}
	if c.Every <= 0 {
		c.Every = 15 * time.Minute
	}
	return &DueSoon{n: n, c: c}, nil
}

// Check warns about every dossier due within a working day or overdue now,
// and returns the channels on which a warning is still unsent (the next
// Check tries them again).
func (w *DueSoon) Check(ctx context.Context) (failed []Channel, err error) {
	now := w.n.c.Now()
	var out []outgoing
	for _, agency := range w.c.Agencies {
		var officers []Recipient
		for _, st := range awaitingOfficers {
			ds, err := w.c.Queue.AgencyQueue(ctx, identity.Actor{Subject: "system:notify", Role: identity.Officer, Agency: agency}, st)
			if err != nil {
				return nil, fmt.Errorf("notify: %s queue of %s: %w", st, agency, err)
			}
			for _, d := range ds {
				left := w.c.Clock.Remaining(now, d.DueAt)
				if left > calendar.WorkingDay {
					break // the rest are due later still
				}
				k, tag := kindOfficerDueSoon, "due-"
				if now.After(d.DueAt) {
					k, tag = kindOfficerOverdue, "overdue-"
				}
				if officers == nil {
					if officers, err = w.n.c.Directory.OfficersOf(ctx, agency); err != nil {
						return nil, fmt.Errorf("notify: officers of %s: %w", agency, err)
					}
				}
				evKey := d.ID + "#" + tag + strconv.FormatInt(d.DueAt.Unix(), 10)
				dt := data{Code: d.Code, Procedure: d.Procedure, Due: localTime(d.DueAt), PortalURL: w.n.c.PortalURL}
				for _, o := range officers {
					msgs, err := w.n.compose(evKey, k, o, dt, d.ID)
					if err != nil {
						return nil, err
					}
					out = append(out, msgs...)
				}
			}
		}
	}
	return w.n.sendAll(ctx, out, nil), nil
}

// Run checks every Config.Every until ctx is done, then returns nil; it is
// meant to be the body of a goroutine its caller owns and waits for.
func (w *DueSoon) Run(ctx context.Context) error {
	for {
		if failed, err := w.Check(ctx); err != nil || len(failed) > 0 {
			if ctx.Err() != nil {
				return nil
			}
			w.n.c.Log.WarnContext(ctx, "notify: deadline check incomplete", "failed", failed, "err", err)
		}
		if sleep(ctx, w.c.Every) != nil {
			return nil
		}
	}
}
