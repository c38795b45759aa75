package notify

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// fakeQueue is a hand-written AgencyQueue: dossiers by agency and status, kept
// earliest due first as the real one.
type fakeQueue map[string][]*dossier.Dossier

func (f fakeQueue) AgencyQueue(_ context.Context, a identity.Actor, st dossier.Status) ([]*dossier.Dossier, error) {
	if a.Role != identity.Officer {
		return nil, errs.E(errs.Forbidden, "officers only")
	}
	var out []*dossier.Dossier
	for _, d := range f[a.Agency] {
		if d.Status == st {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *dossier.Dossier) int { return a.DueAt.Compare(b.DueAt) })
	return out, nil
}

func vn(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Location())
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

func TestDueSoon(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	inbox := NewInbox(db.Table())
	outbox := NewOutbox(db.Table())
	now := vn(t, "2026-03-09 09:00") // Monday
	mk := func(id, due string, st dossier.Status) *dossier.Dossier {
		return &dossier.Dossier{ID: id, Code: agency + "-260301-" + id, Procedure: "2.000488", Agency: agency, Status: st,
			DueAt: vn(t, due), Citizen: dossier.Citizen{ID: citizenID, Name: "Nguyễn Văn An"}}
	}
	q := fakeQueue{agency: {
		// Working time left at Mon 09:00 until Tue 08:00: Mon 09:00–11:30 (2h30) +
		// 13:30–17:00 (3h30) + Tue 07:00–08:00 (1h) = 7h ≤ one working day: due soon.
		mk("0001", "2026-03-10 08:00", dossier.Validated),
		// Until Wed 09:00: 6h + Tue 8h + Wed 2h = 16h: not yet.
		mk("0002", "2026-03-11 09:00", dossier.Approved),
		// Due last Friday: overdue.
		mk("0003", "2026-03-06 16:00", dossier.Approved),
		// Overdue but waiting on the citizen, not the agency: nobody is told.
		mk("0004", "2026-03-06 16:00", dossier.NeedsSupplement),
	}}
	n, err := NewNotifier(Config{Dossiers: fakeDossiers{}, Directory: directory, Records: db.Table(),
		Senders: map[Channel]Sender{Email: outbox, SMS: outbox, InApp: inbox},
		Now:     func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	w, err := n.DueSoon(DueSoonConfig{Queue: q, Clock: calendar.Default(), Agencies: []string{agency}})
	if err != nil {
		t.Fatal(err)
	}
	subjects := func() []string {
		ns, err := inbox.List(ctx, "officer-1")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			out = append(out, n.Subject)
		}
		slices.Sort(out)
		return out
	}
	for range 2 { // the second check sends nothing new
		if failed, err := w.Check(ctx); err != nil || len(failed) > 0 {
			t.Fatalf("Check = %v, %v", failed, err)
		}
	}
	want := []string{"Hồ sơ " + agency + "-260301-0001 sắp đến hạn", "Hồ sơ " + agency + "-260301-0003 đã quá hạn"}
	if got := subjects(); !slices.Equal(got, want) {
		t.Fatalf("officer told %q, want %q", got, want)
	}
	if ms, _ := outbox.List(ctx, "0900000001"); len(ms) != 2 || strings.Contains(ms[0].Body+ms[1].Body, "Nguyễn") {
		t.Fatalf("officer SMS = %+v", ms)
	}
	// Tuesday 09:00: 0001 is now overdue as well; 0002 due within a day (Tue 09:00 → Wed 09:00 is 8h).
	now = vn(t, "2026-03-10 09:00")
	if _, err := w.Check(ctx); err != nil {
		t.Fatal(err)
	}
	want = append(want, "Hồ sơ "+agency+"-260301-0001 đã quá hạn", "Hồ sơ "+agency+"-260301-0002 sắp đến hạn")
	slices.Sort(want)
	if got := subjects(); !slices.Equal(got, want) {
		t.Fatalf("on Tuesday officer told %q, want %q", got, want)
	}
}
