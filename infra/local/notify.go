package main

import (
	"context"
	"time"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/app"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/domain/report"
)

// notifications is the notification side of the local stack: email and SMS go
// to the outbox (GET /v1/dev/outbox), in-app ones to the inbox.
type notifications struct {
	outbox     *notify.Outbox
	inbox      *notify.Inbox
	reports    *report.Reporter
	background []func(ctx context.Context)
}

func newNotifications(st *Stack, a *app.App, outbox *notify.Outbox, staff notify.StaffFile, o Options) (*notifications, error) {
	t := st.DB.Table()
	n := &notifications{outbox: outbox, inbox: notify.NewInbox(t)}
	notifier, err := notify.NewNotifier(notify.Config{
		Dossiers: st.Dossiers, Directory: staff.Directory(), Records: t,
		Senders:   map[notify.Channel]notify.Sender{notify.Email: n.outbox, notify.SMS: n.outbox, notify.InApp: n.inbox},
		PortalURL: st.URL, Now: o.Now, Log: o.Log, Metrics: o.Metrics,
		Contacts: func(ctx context.Context, id string) (string, string, error) {
			c, err := st.Vault.ContactOnRecord(ctx, id)
			return c.Email, c.Phone, err
		},
	})
	if err != nil {
		return nil, err
	}
	// One relay reads the status-change events for both consumers: the
	// notification queue and the statistics index.
	index := report.NewIndex(t)
	relay, err := notify.NewRelay(t, "events", notify.Fanout(notify.Enqueue(st.DB.Queue()), index.Record), nil)
	if err != nil {
		return nil, err
	}
	n.reports, err = report.New(report.Config{Source: index, Dossiers: st.Dossiers, Calendar: a.Calendar, Now: o.Now,
		ProcessingDays: a.Catalog.ProcessingDays})
	if err != nil {
		return nil, err
	}
	due, err := notifier.DueSoon(notify.DueSoonConfig{Queue: st.Dossiers, Clock: a.Calendar, Agencies: a.Catalog.Agencies()})
	if err != nil {
		return nil, err
	}
	run := func(name string, f func(context.Context) error) func(context.Context) {
		return func(ctx context.Context) {
			for ctx.Err() == nil {
				if err := f(ctx); err != nil && ctx.Err() == nil {
					o.Log.Error("background task stopped; restarting", "task", name, "err", err)
					sleep(ctx, time.Second)
				}
			}
		}
	}
	q := st.DB.Queue()
	n.background = []func(context.Context){
		run("relay", relay.Run),
		run("notify", func(ctx context.Context) error { return notifier.Work(ctx, q) }),
		run("due-soon", due.Run),
	}
	return n, nil
}

// outboxMessages serves GET /v1/dev/outbox.
func (n *notifications) outboxMessages(ctx context.Context, to string) ([]sohoaapi.OutboxMessage, error) {
	ms, err := n.outbox.List(ctx, to)
	if err != nil {
		return nil, err
	}
	out := make([]sohoaapi.OutboxMessage, 0, len(ms))
	for _, m := range ms {
		out = append(out, sohoaapi.OutboxMessage{Channel: string(m.Channel), To: m.To, Subject: m.Subject, Body: m.Body, At: m.At})
	}
	return out, nil
}
