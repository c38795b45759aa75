package dossier

import (
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
)

func TestTransitions(t *testing.T) {
	all := []Status{Received, Scanned, Validated, NeedsSupplement, Approved, Rejected, ResultIssued, ReturnedByPost}
	allowed := map[[2]Status]bool{
		{Received, Scanned}: true, {Scanned, Validated}: true, {Scanned, NeedsSupplement}: true,
		{NeedsSupplement, Scanned}: true, {NeedsSupplement, Validated}: true, {Validated, Approved}: true, {Validated, Rejected}: true,
		{Approved, ResultIssued}: true, {ResultIssued, ReturnedByPost}: true,
	}
	at := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	for _, from := range all {
		for _, to := range all {
			d := &Dossier{Code: "X", Status: from}
			err := d.move(to, at, "tester")
			want := allowed[[2]Status{from, to}]
			switch {
			case want && err != nil:
				t.Errorf("%s → %s refused: %v", from, to, err)
			case want && (d.Status != to || len(d.History) != 1 || d.History[0].Status != to):
				t.Errorf("%s → %s did not record history: %+v", from, to, d)
			case !want && !errs.Is(err, errs.Conflict):
				t.Errorf("%s → %s allowed, want Conflict", from, to)
			case !want && (d.Status != from || len(d.History) != 0):
				t.Errorf("%s → %s changed the dossier on failure", from, to)
			}
		}
	}
}

func TestFormatCode(t *testing.T) {
	tests := []struct {
		agency string
		at     time.Time
		seq    int
		want   string
	}{
		{"000.00.01.H29", time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC), 1, "000.00.01.H29-261123-0001"},
		// 18:00 UTC is 01:00 the next day in Vietnam: the local date counts.
		{"000.00.01.H29", time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC), 42, "000.00.01.H29-261124-0042"},
		{"000.21.29.H29", time.Date(2027, 1, 2, 3, 0, 0, 0, time.UTC), 12345, "000.21.29.H29-270102-12345"},
	}
	for _, tt := range tests {
		got := FormatCode(tt.agency, tt.at, tt.seq)
		if got != tt.want {
			t.Errorf("FormatCode = %s, want %s", got, tt.want)
		}
		if !ValidCode(got) {
			t.Errorf("ValidCode(%s) = false", got)
		}
	}
	for _, bad := range []string{"", "000.00.01.H29-261123", "x-261123-0001", "000.00.01.H29-26112-0001"} {
		if ValidCode(bad) {
			t.Errorf("ValidCode(%q) = true", bad)
		}
	}
}
