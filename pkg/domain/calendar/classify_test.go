package calendar

import (
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	due := at(t, "2026-03-10 16:00") // Tuesday
	var zero time.Time
	tests := []struct {
		name string
		r    Record
		now  string
		want Outcome
	}{
		{"resolved a day before", Record{Due: due, Resolved: at(t, "2026-03-09 15:00")}, "2026-03-20 10:00", Early},
		{"resolved the morning of the due day", Record{Due: due, Resolved: at(t, "2026-03-10 08:00")}, "2026-03-20 10:00", OnTime},
		{"resolved exactly at due", Record{Due: due, Resolved: due}, "2026-03-20 10:00", OnTime},
		{"resolved a minute late", Record{Due: due, Resolved: at(t, "2026-03-10 16:01")}, "2026-03-20 10:00", Late},
		{"resolved next day", Record{Due: due, Resolved: at(t, "2026-03-11 07:30")}, "2026-03-20 10:00", Late},
		// 23:30 UTC on 9 Mar is 06:30 on 10 Mar in Vietnam: the due day, so on time, not early.
		{"day is Vietnam's", Record{Due: due, Resolved: time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC)}, "2026-03-20 10:00", OnTime},
		{"two supplements, early", Record{Due: due, Resolved: at(t, "2026-03-09 09:00"), Supplements: 2}, "2026-03-20 10:00", Late},
		{"one supplement, early", Record{Due: due, Resolved: at(t, "2026-03-09 09:00"), Supplements: 1}, "2026-03-20 10:00", Early},
		{"open, before due", Record{Due: due}, "2026-03-10 15:59", InTime},
		{"open, at due", Record{Due: due}, "2026-03-10 16:00", InTime},
		{"open, after due", Record{Due: due}, "2026-03-10 16:30", Overdue},
		{"open, two supplements", Record{Due: due, Supplements: 2}, "2026-03-09 10:00", Overdue},
		{"waiting on one supplement asked in time", Record{Due: due, Supplements: 1, PendingSupplementSince: at(t, "2026-03-10 09:00")}, "2026-03-30 10:00", OnTime},
		{"waiting on one supplement asked late", Record{Due: due, Supplements: 1, PendingSupplementSince: at(t, "2026-03-11 09:00")}, "2026-03-30 10:00", Late},
		{"waiting on a second supplement", Record{Due: due, Supplements: 2, PendingSupplementSince: at(t, "2026-03-09 09:00")}, "2026-03-09 10:00", Overdue},
		{"resolved wins over pending", Record{Due: due, Resolved: at(t, "2026-03-12 09:00"), Supplements: 1, PendingSupplementSince: at(t, "2026-03-09 09:00")}, "2026-03-30 10:00", Late},
		{"zero due, open", Record{Due: zero}, "2026-03-10 10:00", Overdue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.r, at(t, tt.now)); got != tt.want {
				t.Fatalf("Classify = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestOutcomeResolved(t *testing.T) {
	for o, want := range map[Outcome]bool{Early: true, OnTime: true, Late: true, InTime: false, Overdue: false} {
		if o.Resolved() != want {
			t.Errorf("%s.Resolved() = %v", o, !want)
		}
	}
}

// The whole path: a dossier received Monday, paused for a supplement, resolved.
func TestDueThenClassify(t *testing.T) {
	c := Default()
	received := at(t, "2026-03-02 09:00")
	pause := Interval{at(t, "2026-03-03 15:00"), at(t, "2026-03-09 10:00")}
	due, ok := c.DueWithPauses(received, 3, []Interval{pause})
	if !ok {
		t.Fatal("no due")
	}
	// due Tue 10 Mar 16:00 (see TestDueWithPauses); resolved Tue 10 Mar 11:00: on time.
	if got := Classify(Record{Due: due, Resolved: at(t, "2026-03-10 11:00"), Supplements: 1}, at(t, "2026-03-20 10:00")); got != OnTime {
		t.Fatalf("got %s", got)
	}
	// Without counting the pause (due Thu 5 Mar 09:00) it would have been late.
	if got := Classify(Record{Due: c.Due(received, 3), Resolved: at(t, "2026-03-10 11:00")}, at(t, "2026-03-20 10:00")); got != Late {
		t.Fatalf("got %s", got)
	}
}
