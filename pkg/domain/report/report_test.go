package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/local/sqlite"
)

func vn(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Location())
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

// fakeDossiers is a hand-written Dossiers port.
type fakeDossiers map[string]*dossier.Dossier

func (f fakeDossiers) Load(_ context.Context, id string) (*dossier.Dossier, error) {
	d, ok := f[id]
	if !ok {
		return nil, errs.E(errs.NotFound, "no dossier %s", id)
	}
	return d, nil
}

const (
	agencyA = "000.00.15.H29" // procedure P10: 10 working days
	agencyB = "000.21.29.H29" // procedure P1: 1 working day
)

var processingDays = map[string]int{"P10": 10, "P1": 1}

// step is "STATUS@YYYY-MM-DD HH:MM" in Vietnam's time.
func mk(t testing.TB, id, agency, proc, channel string, comps string, steps ...string) *dossier.Dossier {
	t.Helper()
	d := &dossier.Dossier{ID: id, Code: agency + "-" + id, Agency: agency, Procedure: proc, Channel: channel}
	for _, s := range steps {
		st, at, _ := strings.Cut(s, "@")
		e := dossier.Event{Status: dossier.Status(st), At: vn(t, at)}
		if !e.Status.Valid() {
			t.Fatalf("bad status in %q", s)
		}
		d.History = append(d.History, e)
		d.Status = e.Status
		if e.Status == dossier.NeedsSupplement {
			d.SupplementRequests++
		}
		if e.Status == dossier.ResultIssued {
			d.Result = &dossier.Result{DocumentID: "doc-" + id}
		}
	}
	d.ReceivedAt = d.History[0].At
	// The stored due time, as the service computes it at the counter (no pauses).
	d.DueAt = calendar.Default().Due(d.ReceivedAt, processingDays[proc])
	// comps: C = scanned and certified, U = scanned uncertified, V = from the vault.
	for _, c := range comps {
		switch c {
		case 'C':
			d.Components = append(d.Components, dossier.Component{Source: dossier.SourceScan, Certified: true})
		case 'U':
			d.Components = append(d.Components, dossier.Component{Source: dossier.SourceScan})
		case 'V':
			d.Components = append(d.Components, dossier.Component{Source: dossier.SourceVault, Certified: true})
		}
	}
	return d
}

// script is the scripted set of dossiers; times are Vietnam's.
//
// P10 received Mon 2 Mar 08:00 is due Mon 16 Mar 08:00: Mon 08:00–11:30 and
// 13:30–17:00 give 7h, then 9 working days (3–6, 9–13 Mar) give 72h, and the
// last hour is Mon 16 07:00–08:00 (80h in all). March 2026 has no holiday.
func script(t testing.TB) fakeDossiers {
	ds := fakeDossiers{}
	for _, d := range []*dossier.Dossier{
		// A1 early: resolved Thu 12 Mar, before the due day.
		mk(t, "A1", agencyA, "P10", "postal", "CCV", "RECEIVED@2026-03-02 08:00", "SCANNED@2026-03-02 09:00", "VALIDATED@2026-03-02 10:00",
			"APPROVED@2026-03-11 10:00", "RESULT_ISSUED@2026-03-12 10:00"),
		// A2 on time: resolved Mon 16 Mar 07:30, the due day, before 08:00.
		mk(t, "A2", agencyA, "P10", "postal", "CU", "RECEIVED@2026-03-02 08:00", "SCANNED@2026-03-02 09:00", "VALIDATED@2026-03-02 10:00",
			"APPROVED@2026-03-13 10:00", "RESULT_ISSUED@2026-03-16 07:30"),
		// A3 late: rejected Tue 17 Mar 09:00, after the due time.
		mk(t, "A3", agencyA, "P10", "online", "U", "RECEIVED@2026-03-02 08:00", "SCANNED@2026-03-02 09:00", "VALIDATED@2026-03-02 10:00",
			"REJECTED@2026-03-17 09:00"),
		// A4 overdue: still VALIDATED after Mon 16 Mar 08:00.
		mk(t, "A4", agencyA, "P10", "counter", "CC", "RECEIVED@2026-03-02 08:00", "SCANNED@2026-03-02 09:00", "VALIDATED@2026-03-02 10:00"),
		// A5 in time: received Wed 18 Mar, due 1 Apr.
		mk(t, "A5", agencyA, "P10", "postal", "CV", "RECEIVED@2026-03-18 08:00", "SCANNED@2026-03-18 09:00", "VALIDATED@2026-03-18 10:00"),
		// A6 early thanks to the pause: 8h run (Mon 7h + Tue 07:00–08:00), paused
		// Tue 3 08:00 → Tue 10 08:00, then 72h from Tue 10 08:00: Tue 7h, Wed–Fri
		// 24h, Mon–Fri 16–20 Mar 40h = 71h, last hour Mon 23 07:00–08:00: due Mon 23 Mar
		// 08:00. Resolved Tue 17 Mar: early (its stored DueAt, 16 Mar, would make it late).
		mk(t, "A6", agencyA, "P10", "postal", "C", "RECEIVED@2026-03-02 08:00", "SCANNED@2026-03-02 09:00", "NEEDS_SUPPLEMENT@2026-03-03 08:00",
			"SCANNED@2026-03-10 08:00", "VALIDATED@2026-03-10 09:00", "APPROVED@2026-03-16 09:00", "RESULT_ISSUED@2026-03-17 10:00"),
		// A7 late: asked to supplement twice, so late however early it ended.
		mk(t, "A7", agencyA, "P10", "postal", "CV", "RECEIVED@2026-03-02 08:00", "SCANNED@2026-03-02 09:00", "NEEDS_SUPPLEMENT@2026-03-02 10:00",
			"SCANNED@2026-03-03 08:00", "NEEDS_SUPPLEMENT@2026-03-03 10:00", "SCANNED@2026-03-04 08:00", "VALIDATED@2026-03-04 09:00",
			"APPROVED@2026-03-04 10:00", "RESULT_ISSUED@2026-03-05 10:00"),
		// A8 waiting on its only supplement request, made Wed 18 Mar 10:00: handled at
		// the request, before the due day: early.
		mk(t, "A8", agencyA, "P10", "postal", "C", "RECEIVED@2026-03-18 08:00", "SCANNED@2026-03-18 09:00", "NEEDS_SUPPLEMENT@2026-03-18 10:00"),
		// B1 late: P1 received Fri 13 Mar 16:00 is due Mon 16 Mar 16:00 (Fri 1h,
		// Mon 07:00–11:30 4h30 and 13:30–16:00 2h30); resolved 16:30.
		mk(t, "B1", agencyB, "P1", "postal", "VC", "RECEIVED@2026-03-13 16:00", "SCANNED@2026-03-13 16:10", "VALIDATED@2026-03-13 16:20",
			"APPROVED@2026-03-16 10:00", "RESULT_ISSUED@2026-03-16 16:30"),
		// B2 received the day before the period; B3 the minute after it.
		mk(t, "B2", agencyB, "P1", "postal", "C", "RECEIVED@2026-02-28 23:59"),
		mk(t, "B3", agencyB, "P1", "postal", "C", "RECEIVED@2026-03-21 00:00"),
	} {
		ds[d.ID] = d
	}
	return ds
}

func newReporter(t *testing.T, now time.Time) (*Reporter, *Index) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sohoa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ds := script(t)
	x := NewIndex(db.Table())
	for _, d := range ds {
		for i, h := range d.History { // every event, twice: only RECEIVED is indexed, once
			ev := dossier.StatusChanged{DossierID: d.ID, Agency: d.Agency, Status: h.Status, At: h.At, Seq: i}
			for range 2 {
				if err := x.Record(context.Background(), ev); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	r, err := New(Config{Source: x, Dossiers: ds, Calendar: calendar.Default(),
		ProcessingDays: func(p string) (int, bool) { n, ok := processingDays[p]; return n, ok },
		Now:            func() time.Time { return now }, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	return r, x
}

func TestSLA(t *testing.T) {
	ctx := context.Background()
	from, to := vn(t, "2026-03-01 00:00"), vn(t, "2026-03-21 00:00")

	// Report of Fri 20 Mar 12:00, inside the period: classified as of then.
	r, _ := newReporter(t, vn(t, "2026-03-20 12:00"))
	got, err := r.SLA(ctx, from, to, "")
	if err != nil {
		t.Fatal(err)
	}
	asOf := vn(t, "2026-03-20 12:00")
	want := []AgencyStats{
		{
			Agency: agencyA, From: from, To: to, AsOf: asOf,
			// A1–A8; A3 online, A4 at the counter, the rest postal.
			Received: 8, ReceivedByChannel: ByChannel{Postal: 6, Online: 1, Counter: 1},
			// early A1 A6 A8, on time A2, late A3 A7; in time A5, overdue A4.
			Resolved: 6, Early: 3, OnTime: 1, Late: 2, InProgress: 2, InTime: 1, Overdue: 1, OnTimeRate: 4.0 / 6,
			// A6 once, A7 twice, A8 once.
			SupplementRequests: 4, Supplemented: 3,
			// scanned: A1 2, A2 2, A3 1, A4 2, A5 1, A6 1, A7 1, A8 1 = 11; certified: 2+1+0+2+1+1+1+1 = 9;
			// vault: A1, A5, A7 = 3 of 14 components.
			ScannedComponents: 11, CertifiedComponents: 9, DigitizationRate: 9.0 / 11, VaultComponents: 3, ReuseRate: 3.0 / 14,
			// ended: A1 A2 A3 A6 A7; with a result in the vault: all but the rejected A3.
			ElectronicResults: 4, ElectronicResultRate: 4.0 / 5,
		},
		{
			Agency: agencyB, From: from, To: to, AsOf: asOf,
			// B1 only: B2 and B3 fall outside the period.
			Received: 1, ReceivedByChannel: ByChannel{Postal: 1},
			Resolved: 1, Late: 1, OnTimeRate: 0,
			ScannedComponents: 1, CertifiedComponents: 1, DigitizationRate: 1, VaultComponents: 1, ReuseRate: 0.5,
			ElectronicResults: 1, ElectronicResultRate: 1,
		},
	}
	compare(t, got, want)

	// An officer's view: one agency.
	got, err = r.SLA(ctx, from, to, agencyB)
	if err != nil {
		t.Fatal(err)
	}
	compare(t, got, want[1:])

	// Report of 15 Apr on the period 1–16 Mar (to = 17 Mar 00:00): as of its end.
	r, _ = newReporter(t, vn(t, "2026-04-15 10:00"))
	to = vn(t, "2026-03-17 00:00")
	got, err = r.SLA(ctx, from, to, "")
	if err != nil {
		t.Fatal(err)
	}
	want = []AgencyStats{
		{
			Agency: agencyA, From: from, To: to, AsOf: to,
			// A1–A4, A6, A7 (A5 and A8 came on 18 Mar).
			Received: 6, ReceivedByChannel: ByChannel{Postal: 4, Online: 1, Counter: 1},
			// early A1, on time A2, late A7; A3 (rejected 17 Mar) overdue since 16 Mar 08:00,
			// A4 overdue, A6 (resolved 17 Mar, due 23 Mar) in time.
			Resolved: 3, Early: 1, OnTime: 1, Late: 1, InProgress: 3, InTime: 1, Overdue: 2, OnTimeRate: 2.0 / 3,
			SupplementRequests: 3, Supplemented: 2,
			// scanned: A1 2, A2 2, A3 1, A4 2, A6 1, A7 1 = 9; certified 2+1+0+2+1+1 = 7; vault A1, A7: 2 of 11.
			ScannedComponents: 9, CertifiedComponents: 7, DigitizationRate: 7.0 / 9, VaultComponents: 2, ReuseRate: 2.0 / 11,
			// ended by 17 Mar 00:00: A1 A2 A7, all with results.
			ElectronicResults: 3, ElectronicResultRate: 1,
		},
		{
			Agency: agencyB, From: from, To: to, AsOf: to,
			Received: 1, ReceivedByChannel: ByChannel{Postal: 1},
			Resolved: 1, Late: 1,
			ScannedComponents: 1, CertifiedComponents: 1, DigitizationRate: 1, VaultComponents: 1, ReuseRate: 0.5,
			ElectronicResults: 1, ElectronicResultRate: 1,
		},
	}
	compare(t, got, want)
}

func compare(t *testing.T, got, want []AgencyStats) {
	t.Helper()
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	if !bytes.Equal(g, w) {
		t.Fatalf("SLA =\n%s\nwant\n%s", g, w)
	}
}

func TestSLAWithoutCalendar(t *testing.T) {
	// Without a calendar the stored due time is used: A6's stored DueAt (16 Mar
	// 08:00) ignores its pause, so it counts late instead of early.
	r, x := newReporter(t, vn(t, "2026-03-20 12:00"))
	r2, err := New(Config{Source: x, Dossiers: r.c.Dossiers, Now: r.c.Now})
	if err != nil {
		t.Fatal(err)
	}
	got, err := r2.SLA(context.Background(), vn(t, "2026-03-01 00:00"), vn(t, "2026-03-21 00:00"), agencyA)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Early != 2 || got[0].Late != 3 {
		t.Fatalf("without a calendar: early %d late %d, want 2 and 3", got[0].Early, got[0].Late)
	}
}

type failing struct{}

func (failing) Load(context.Context, string) (*dossier.Dossier, error) {
	return nil, errors.New("disk on fire")
}

func TestSLAErrors(t *testing.T) {
	ctx := context.Background()
	r, x := newReporter(t, vn(t, "2026-03-20 12:00"))
	d1, d2 := vn(t, "2026-03-01 00:00"), vn(t, "2026-03-21 00:00")
	for _, tt := range []struct {
		name     string
		from, to time.Time
	}{{"empty", d1, d1}, {"backwards", d2, d1}, {"zero", time.Time{}, d2}, {"too long", d1, d1.AddDate(2, 0, 0)}} {
		if _, err := r.SLA(ctx, tt.from, tt.to, ""); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s period: %v, want invalid", tt.name, err)
		}
	}
	small, _ := New(Config{Source: x, Dossiers: r.c.Dossiers, MaxDossiers: 3})
	if _, err := small.SLA(ctx, d1, d2, ""); !errs.Is(err, errs.Invalid) {
		t.Errorf("a period over MaxDossiers: %v", err)
	}
	broken, _ := New(Config{Source: x, Dossiers: failing{}})
	if _, err := broken.SLA(ctx, d1, d2, ""); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("a failing store: %v", err)
	}
	// A dossier gone from the store is left out, not an error.
	gone, _ := New(Config{Source: x, Dossiers: fakeDossiers{}})
	if got, err := gone.SLA(ctx, d1, d2, ""); err != nil || len(got) != 0 {
		t.Errorf("missing dossiers: %v, %v", got, err)
	}
	if err := x.Record(ctx, dossier.StatusChanged{Status: dossier.Received}); !errs.Is(err, errs.Invalid) {
		t.Errorf("Record of an empty event: %v", err)
	}
}

func TestEncoders(t *testing.T) {
	r, _ := newReporter(t, vn(t, "2026-03-20 12:00"))
	stats, err := r.SLA(context.Background(), vn(t, "2026-03-01 00:00"), vn(t, "2026-03-21 00:00"), "")
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, stats); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Agencies []map[string]any `json:"agencies"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// The fields the API promises (pkg/api/openapi.json).
	a := doc.Agencies[0]
	for _, k := range []string{"agency", "received", "resolved", "onTime", "late", "overdue"} {
		if _, ok := a[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, js.String())
		}
	}
	if a["agency"] != agencyA || a["received"] != 8.0 || a["overdue"] != 1.0 {
		t.Errorf("JSON agency = %v", a)
	}
	var empty bytes.Buffer
	_ = WriteJSON(&empty, nil)
	if strings.TrimSpace(empty.String()) != `{
  "agencies": []
}` {
		t.Errorf("empty JSON = %s", empty.String())
	}

	var cb bytes.Buffer
	if err := WriteCSV(&cb, stats); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&cb).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || len(rows[0]) != len(csvHeader) {
		t.Fatalf("CSV has %d rows", len(rows))
	}
	want := map[string]string{"agency": agencyA, "from": "2026-02-28T17:00:00Z", "received": "8", "receivedPostal": "6",
		"early": "3", "overdue": "1", "onTimeRate": "0.6667", "digitizationRate": "0.8182", "reuseRate": "0.2143"}
	for i, h := range rows[0] {
		if w, ok := want[h]; ok && rows[1][i] != w {
			t.Errorf("CSV %s = %q, want %q", h, rows[1][i], w)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		from, to         string
		wantFrom, wantTo string // RFC 3339 UTC; empty: an error
	}{
		{"2026-03-01", "2026-03-31", "2026-02-28T17:00:00Z", "2026-03-31T17:00:00Z"},
		{"2026-03-01", "2026-03-01", "2026-02-28T17:00:00Z", "2026-03-01T17:00:00Z"},
		{"2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"},
		{"2026-03-02", "2026-03-01", "", ""},
		{"yesterday", "2026-03-01", "", ""},
		{"2026-03-01", "", "", ""},
	}
	for _, tt := range tests {
		f, to, err := ParsePeriod(tt.from, tt.to)
		if tt.wantFrom == "" {
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("ParsePeriod(%q, %q) = %v, want invalid", tt.from, tt.to, err)
			}
			continue
		}
		if err != nil || f.Format(time.RFC3339) != tt.wantFrom || to.Format(time.RFC3339) != tt.wantTo {
			t.Errorf("ParsePeriod(%q, %q) = %v, %v, %v", tt.from, tt.to, f, to, err)
		}
	}
}

func BenchmarkSLA(b *testing.B) {
	ds := script(b)
	// 10,000 dossiers received over March, cloned from the script.
	big := fakeDossiers{}
	var entries []Entry
	for i := range 10_000 {
		src := ds[[]string{"A1", "A2", "A3", "A4", "A6", "A7", "B1"}[i%7]]
		d := *src
		d.ID = src.ID + "-" + strings.Repeat("x", i%3) + time.Duration(i).String()
		big[d.ID] = &d
		entries = append(entries, Entry{DossierID: d.ID, Agency: d.Agency, At: d.ReceivedAt})
	}
	r, _ := New(Config{Source: staticSource(entries), Dossiers: big, Calendar: calendar.Default(),
		ProcessingDays: func(p string) (int, bool) { n, ok := processingDays[p]; return n, ok },
		Now:            func() time.Time { return vn(b, "2026-03-20 12:00") }})
	from, to := vn(b, "2026-03-01 00:00"), vn(b, "2026-04-01 00:00")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.SLA(context.Background(), from, to, ""); err != nil {
			b.Fatal(err)
		}
	}
}

type staticSource []Entry

func (s staticSource) Received(context.Context, time.Time, time.Time, string) ([]Entry, error) {
	return s, nil
}
