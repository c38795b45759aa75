package notify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/local/sqlite"
	"github.com/sohoa/sohoa/pkg/port/records"
)

func openDB(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sohoa.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// fakeDossiers is a hand-written Dossiers port for domain tests.
type fakeDossiers map[string]*dossier.Dossier

func (f fakeDossiers) Load(_ context.Context, id string) (*dossier.Dossier, error) {
	d, ok := f[id]
	if !ok {
		return nil, errs.E(errs.NotFound, "no dossier %s", id)
	}
	return d, nil
}

// flaky fails its first n sends (all of them if n < 0), then delegates.
type flaky struct {
	next  Sender
	n     atomic.Int64
	calls atomic.Int64
}

func (f *flaky) Send(ctx context.Context, m Message) error {
	f.calls.Add(1)
	if f.n.Load() != 0 {
		f.n.Add(-1)
		return errs.E(errs.Unavailable, "gateway down")
	}
	return f.next.Send(ctx, m)
}

const (
	citizenID = "001090012345"
	agency    = "000.00.15.H29"
)

var t0 = time.Date(2026, 3, 9, 2, 0, 0, 0, time.UTC) // Monday 09:00 in Vietnam

func sampleDossier() *dossier.Dossier {
	return &dossier.Dossier{
		ID: "d1", Code: agency + "-260309-0001", Procedure: "2.000488", Agency: agency,
		Status: dossier.NeedsSupplement, ReceivedAt: t0, DueAt: t0.Add(14 * 24 * time.Hour),
		Citizen: dossier.Citizen{ID: citizenID, Name: "Nguyễn Văn An", Phone: "0912345678", Email: "an@example.vn"},
		Clerk:   "clerk-1", PostOffice: "Bưu cục Phú Nhuận", ReturnByPost: true, Waybill: "EL123456789VN",
		Findings: []dossier.Finding{
			{Component: "CCCD", Severity: dossier.SeverityError, Code: "missing", Message: "Thiếu bản sao căn cước / The ID card copy is missing"},
			{Component: "TKLLTP", Severity: dossier.SeverityWarning, Code: "skew", Message: "Trang 2 hơi nghiêng"},
		},
		History: []dossier.Event{{Status: dossier.Received, At: t0}, {Status: dossier.Scanned, At: t0.Add(time.Hour)},
			{Status: dossier.NeedsSupplement, At: t0.Add(2 * time.Hour)}},
	}
}

var directory = StaticDirectory{
	Officers: map[string][]Recipient{agency: {
		{Subject: "officer-1", Email: "o1@agency.gov.vn", Phone: "0900000001"},
		{Subject: "officer-2", Email: "o2@agency.gov.vn", Lang: "en"},
	}},
	People: map[string]Recipient{"clerk-1": {Subject: "clerk-1", Phone: "0900000009"}},
}

type rig struct {
	db     *sqlite.DB
	outbox *Outbox
	inbox  *Inbox
	sms    *flaky
	n      *Notifier
}

func newRig(t *testing.T, ds fakeDossiers, smsFailures int64) *rig {
	t.Helper()
	db := openDB(t)
	r := &rig{db: db, outbox: NewOutbox(db.Table()), inbox: NewInbox(db.Table())}
	r.sms = &flaky{next: r.outbox}
	r.sms.n.Store(smsFailures)
	var tick atomic.Int64 // a clock that moves a second per reading
	n, err := NewNotifier(Config{
		Dossiers: ds, Directory: directory, Records: db.Table(),
		Senders:   map[Channel]Sender{Email: r.outbox, SMS: r.sms, InApp: r.inbox},
		PortalURL: "https://sohoa.example.vn", Backoff: time.Millisecond,
		Now: func() time.Time { return t0.Add(3*time.Hour + time.Duration(tick.Add(1))*time.Second) },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("NewNotifier: %v", err)
	}
	r.n = n
	return r
}

// sent lists every message in the outbox and inboxes of the addresses used in these tests.
func (r *rig) sent(t *testing.T) []Message {
	t.Helper()
	ctx := context.Background()
	var out []Message
	for _, to := range []string{"an@example.vn", "0912345678", "o1@agency.gov.vn", "0900000001", "o2@agency.gov.vn", "0900000009"} {
		ms, err := r.outbox.List(ctx, to)
		if err != nil {
			t.Fatalf("outbox.List: %v", err)
		}
		out = append(out, ms...)
	}
	for _, sub := range []string{citizenID, "officer-1", "officer-2", "clerk-1"} {
		ns, err := r.inbox.List(ctx, sub)
		if err != nil {
			t.Fatalf("inbox.List: %v", err)
		}
		for _, n := range ns {
			out = append(out, Message{Channel: InApp, To: sub, Subject: n.Subject, Body: n.Body, DossierID: n.Dossier, At: n.At})
		}
	}
	return out
}

func addresses(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m.Channel)+":"+m.To)
	}
	slices.Sort(out)
	return out
}

func TestHandleRecipients(t *testing.T) {
	tests := []struct {
		status dossier.Status
		want   []string // channel:to of every message, sorted
		// words each message to the citizen must contain
		citizenSays string
	}{
		{dossier.Received, []string{"email:an@example.vn", "inapp:" + citizenID, "sms:0912345678"}, "Đã tiếp nhận"},
		{dossier.NeedsSupplement, []string{"email:an@example.vn", "inapp:" + citizenID, "inapp:clerk-1", "sms:0900000009", "sms:0912345678"}, "cần bổ sung"},
		{dossier.Validated, []string{"email:o1@agency.gov.vn", "email:o2@agency.gov.vn", "inapp:officer-1", "inapp:officer-2", "sms:0900000001"}, ""},
		// The result is in the vault: only the vault's channels (in-app here,
		// no contact on record), never the contacts typed at the counter.
		{dossier.ResultIssued, []string{"inapp:" + citizenID}, "kết quả"},
		{dossier.ReturnedByPost, []string{"email:an@example.vn", "inapp:" + citizenID, "sms:0912345678"}, "bưu điện"},
		{dossier.Scanned, nil, ""},
		{dossier.Approved, nil, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			d := sampleDossier()
			d.Status = tt.status
			d.History[len(d.History)-1].Status = tt.status
			r := newRig(t, fakeDossiers{"d1": d}, 0)
			failed, err := r.n.Handle(context.Background(), dossier.StatusChanged{DossierID: "d1", Status: tt.status, Seq: 2})
			if err != nil || len(failed) > 0 {
				t.Fatalf("Handle = %v, %v", failed, err)
			}
			got := r.sent(t)
			if a := addresses(got); !slices.Equal(a, tt.want) {
				t.Fatalf("sent to %v, want %v", a, tt.want)
			}
			for _, m := range got {
				if m.DossierID != "d1" || m.Body == "" {
					t.Errorf("message %+v lacks its dossier or body", m)
				}
				toCitizen := m.To == citizenID || m.To == "an@example.vn" || m.To == "0912345678"
				if !toCitizen && (strings.Contains(m.Body+m.Subject, citizenID) || strings.Contains(m.Body+m.Subject, "Nguyễn Văn An")) {
					t.Errorf("staff message %s:%s shows the citizen: %q", m.Channel, m.To, m.Body)
				}
				if m.Channel != SMS && toCitizen && !strings.Contains(m.Subject+m.Body, tt.citizenSays) {
					t.Errorf("citizen %s message %q does not say %q", m.Channel, m.Subject+m.Body, tt.citizenSays)
				}
				if m.Channel == SMS && strings.Contains(m.Body, citizenID) {
					t.Errorf("SMS shows the citizen ID: %q", m.Body)
				}
			}
		})
	}
}

func TestSupplementReasonsAndLanguage(t *testing.T) {
	r := newRig(t, fakeDossiers{"d1": sampleDossier()}, 0)
	if _, err := r.n.Handle(context.Background(), dossier.StatusChanged{DossierID: "d1", Status: dossier.NeedsSupplement, Seq: 2}); err != nil {
		t.Fatal(err)
	}
	ms, _ := r.outbox.List(context.Background(), "an@example.vn")
	if len(ms) != 1 {
		t.Fatalf("citizen got %d emails", len(ms))
	}
	body := ms[0].Body
	if !strings.Contains(body, "- Thiếu bản sao căn cước") {
		t.Errorf("the error finding is not a reason:\n%s", body)
	}
	if strings.Contains(body, "nghiêng") {
		t.Errorf("a warning is given as a reason:\n%s", body)
	}
	if strings.Contains(body, "Reasons:") {
		t.Errorf("English sent to a citizen without that preference:\n%s", body)
	}

	// An officer who prefers English gets Vietnamese, then English.
	d := sampleDossier()
	d.Status = dossier.Validated
	r = newRig(t, fakeDossiers{"d1": d}, 0)
	if _, err := r.n.Handle(context.Background(), dossier.StatusChanged{DossierID: "d1", Status: dossier.Validated, Seq: 3}); err != nil {
		t.Fatal(err)
	}
	ms, _ = r.outbox.List(context.Background(), "o2@agency.gov.vn")
	if len(ms) != 1 || !strings.HasPrefix(ms[0].Subject, "Hồ sơ mới") || !strings.Contains(ms[0].Subject, "/ New dossier") ||
		!strings.Contains(ms[0].Body, "waits in your agency's queue") || !strings.Contains(ms[0].Body, "09:00 23/03/2026") {
		t.Fatalf("English officer email = %+v", ms)
	}
}

func TestHandleTwiceSendsOnce(t *testing.T) {
	r := newRig(t, fakeDossiers{"d1": sampleDossier()}, 0)
	ev := dossier.StatusChanged{DossierID: "d1", Status: dossier.NeedsSupplement, Seq: 2}
	var wg sync.WaitGroup
	for range 4 { // a duplicate delivery, concurrent and later
		wg.Go(func() {
			if _, err := r.n.Handle(context.Background(), ev); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if failed, err := r.n.Handle(context.Background(), ev); err != nil || len(failed) > 0 {
		t.Fatalf("late redelivery: %v %v", failed, err)
	}
	if got := len(r.sent(t)); got != 5 {
		t.Fatalf("%d messages after 5 deliveries of one event, want 5 (each once)", got)
	}
	// Another event of the same dossier is not a duplicate.
	if _, err := r.n.Handle(context.Background(), dossier.StatusChanged{DossierID: "d1", Status: dossier.NeedsSupplement, Seq: 4}); err != nil {
		t.Fatal(err)
	}
	if got := len(r.sent(t)); got != 10 {
		t.Fatalf("%d messages after a second event, want 10", got)
	}
}

func TestFailingChannel(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, fakeDossiers{"d1": sampleDossier()}, -1) // SMS down
	ev := dossier.StatusChanged{DossierID: "d1", Status: dossier.NeedsSupplement, Seq: 2}
	failed, err := r.n.Handle(ctx, ev)
	if err != nil || !slices.Equal(failed, []Channel{SMS}) {
		t.Fatalf("Handle = %v, %v; want [sms], nil", failed, err)
	}
	// Two SMS messages (citizen and clerk), each tried Attempts times.
	if c := r.sms.calls.Load(); c != 6 {
		t.Errorf("%d SMS attempts, want 2 messages × 3", c)
	}
	if a := addresses(r.sent(t)); !slices.Equal(a, []string{"email:an@example.vn", "inapp:" + citizenID, "inapp:clerk-1"}) {
		t.Fatalf("with SMS down, sent %v", a)
	}
	// The gateway fails twice more, then works: the retry sends only SMS.
	r.sms.n.Store(2)
	if failed, err := r.n.Handle(ctx, ev, failed...); err != nil || len(failed) > 0 {
		t.Fatalf("retry = %v, %v", failed, err)
	}
	want := []string{"email:an@example.vn", "inapp:" + citizenID, "inapp:clerk-1", "sms:0900000009", "sms:0912345678"}
	if a := addresses(r.sent(t)); !slices.Equal(a, want) {
		t.Fatalf("after retry, sent %v, want %v", a, want)
	}
}

// refusing refuses every message for good.
type refusing struct{ calls atomic.Int64 }

func (r *refusing) Send(context.Context, Message) error {
	r.calls.Add(1)
	return errs.E(errs.Invalid, "bad address")
}

// blocking never answers until its context ends.
type blocking struct{}

func (blocking) Send(ctx context.Context, _ Message) error { <-ctx.Done(); return ctx.Err() }

func TestRefusedAndHungChannels(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	ref := &refusing{}
	inbox := NewInbox(db.Table())
	n, err := NewNotifier(Config{Dossiers: fakeDossiers{"d1": sampleDossier()}, Directory: directory, Records: db.Table(),
		Senders:     map[Channel]Sender{Email: ref, SMS: blocking{}, InApp: inbox},
		SendTimeout: 20 * time.Millisecond, Backoff: time.Millisecond, Attempts: 2,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ev := dossier.StatusChanged{DossierID: "d1", Status: dossier.Received, Seq: 0}
	failed, err := n.Handle(ctx, ev)
	if err != nil || !slices.Equal(failed, []Channel{SMS}) {
		t.Fatalf("Handle = %v, %v; want [sms]: a refused email is not a failure, a hung SMS is", failed, err)
	}
	if ns, _ := inbox.List(ctx, citizenID); len(ns) != 1 {
		t.Fatalf("in-app went missing behind a hung SMS gateway: %v", ns)
	}
	if _, err := n.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if c := ref.calls.Load(); c != 1 {
		t.Fatalf("a refused email was tried %d times, want 1", c)
	}
}

func TestHandleErrors(t *testing.T) {
	r := newRig(t, fakeDossiers{}, 0)
	if failed, err := r.n.Handle(context.Background(), dossier.StatusChanged{DossierID: "gone", Status: dossier.Received}); err != nil || failed != nil {
		t.Fatalf("event of a missing dossier: %v, %v; want nothing to do", failed, err)
	}
	broken := errors.New("disk on fire")
	n, _ := NewNotifier(Config{Dossiers: loadErr{broken}, Directory: directory, Records: r.db.Table(), Senders: map[Channel]Sender{InApp: r.inbox}})
	if _, err := n.Handle(context.Background(), dossier.StatusChanged{DossierID: "d1", Status: dossier.Received}); !errors.Is(err, broken) {
		t.Fatalf("Handle with a broken store = %v", err)
	}
	if _, err := NewNotifier(Config{Dossiers: fakeDossiers{}, Directory: directory, Records: r.db.Table()}); err == nil {
		t.Fatal("NewNotifier without senders succeeded")
	}
}

type loadErr struct{ err error }

func (l loadErr) Load(context.Context, string) (*dossier.Dossier, error) { return nil, l.err }

var _ records.Table = (*sqlite.Table)(nil)

// TestResultGoesToContactOnRecord: the message that a result is in the
// vault goes to the contact on record in the vault, not to the email and
// phone typed at the counter (which anyone can type).
func TestResultGoesToContactOnRecord(t *testing.T) {
	d := sampleDossier()
	d.Status = dossier.ResultIssued
	d.History[len(d.History)-1].Status = dossier.ResultIssued
	r := newRig(t, fakeDossiers{"d1": d}, 0)
	c := r.n.c
	c.Contacts = func(_ context.Context, id string) (string, string, error) {
		if id != citizenID {
			return "", "", nil
		}
		return "an@vneid.example", "0987000111", nil
	}
	n, err := NewNotifier(c)
	if err != nil {
		t.Fatal(err)
	}
	if failed, err := n.Handle(context.Background(), dossier.StatusChanged{DossierID: "d1", Status: dossier.ResultIssued, Seq: 2}); err != nil || len(failed) > 0 {
		t.Fatalf("Handle = %v, %v", failed, err)
	}
	got := r.sent(t)
	for _, to := range []string{"an@vneid.example", "0987000111"} {
		ms, _ := r.outbox.List(context.Background(), to)
		got = append(got, ms...)
	}
	if a := addresses(got); !slices.Equal(a, []string{"email:an@vneid.example", "inapp:" + citizenID, "sms:0987000111"}) {
		t.Fatalf("sent to %v", a)
	}
}
