package calendar

import (
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
)

// at returns a Vietnamese wall-clock time "2006-01-02 15:04".
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, Location())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDue(t *testing.T) {
	c := Default()
	tests := []struct {
		name     string
		received string
		days     int
		want     string
		// how the expected value was worked out by hand
		why string
	}{
		{"same day", "2026-03-09 07:00", 1, "2026-03-09 17:00",
			"Mon 07:00: 4.5h to 11:30 + 3.5h 13:30-17:00 = 8h, ends at the close, not the next morning"},
		{"overnight", "2026-03-10 10:00", 1, "2026-03-11 10:00",
			"Tue 10:00-11:30 1.5h + 13:30-17:00 3.5h = 5h; Wed 07:00 + 3h = 10:00"},
		{"weekend", "2026-03-06 10:00", 1, "2026-03-09 10:00",
			"Fri 6 Mar: 1.5h + 3.5h = 5h; Sat 7, Sun 8 skipped; Mon 9 07:00 + 3h = 10:00"},
		{"after hours", "2026-03-10 17:30", 1, "2026-03-11 17:00",
			"received after 17:00: starts Wed 11 07:00; 8h = Wed 17:00"},
		{"exactly at closing", "2026-03-10 17:00", 1, "2026-03-11 17:00",
			"17:00 is outside [13:30,17:00): starts Wed 07:00"},
		{"before opening", "2026-03-10 06:00", 1, "2026-03-10 17:00",
			"starts Tue 07:00; 8h = Tue 17:00"},
		{"lunch break", "2026-03-10 12:00", 1, "2026-03-11 11:30",
			"starts 13:30: 3.5h Tue; Wed 07:00 + 4.5h = 11:30"},
		{"friday night", "2026-03-13 18:00", 2, "2026-03-17 17:00",
			"starts Mon 16 07:00; day 1 ends Mon 17:00, day 2 Tue 17 17:00"},
		{"seven days", "2026-03-09 07:00", 7, "2026-03-17 17:00",
			"Mon 9..Fri 13 = 5 days; Mon 16 = 6; Tue 17 17:00 = 7"},
		{"Tết 2026 across", "2026-02-12 09:00", 3, "2026-02-24 09:00",
			"Thu 12 Feb: 2.5h + 3.5h = 6h; Fri 13: 8h (14h); Sat 14 - Sun 22 Tết (Mon 16 - Fri 20 off); Mon 23: 8h (22h); Tue 24 07:00 + 2h = 09:00"},
		{"received during Tết 2026", "2026-02-18 10:00", 1, "2026-02-23 17:00",
			"mùng 2, holiday: starts Mon 23 Feb 07:00; 8h = 17:00"},
		{"New Year 2026 swap", "2026-01-01 08:00", 2, "2026-01-06 17:00",
			"Thu 1 Jan holiday, Fri 2 swapped off, Sat 3 / Sun 4 weekend; Mon 5 = day 1, Tue 6 17:00 = day 2"},
		{"swapped working Saturday 2026-01-10", "2026-01-09 13:30", 1, "2026-01-10 11:30",
			"Fri 9 Jan 13:30-17:00 3.5h; Sat 10 is a make-up working day: 07:00 + 4.5h = 11:30"},
		{"Hùng Kings compensation 2026", "2026-04-24 13:30", 1, "2026-04-28 11:30",
			"Fri 24 Apr 3.5h; Sat 25, Sun 26 (Giỗ Tổ), Mon 27 compensatory off; Tue 28 07:00 + 4.5h = 11:30"},
		{"30/4 and 1/5 2026", "2026-04-29 13:30", 1, "2026-05-04 11:30",
			"Wed 29 Apr 3.5h; Thu 30, Fri 1 May off, weekend; Mon 4 May 07:00 + 4.5h = 11:30"},
		{"National Day 2026", "2026-08-28 07:00", 2, "2026-09-03 17:00",
			"Fri 28 Aug = day 1; Sat 29, Sun 30, Mon 31 (swapped), Tue 1, Wed 2 Sep off; Thu 3 Sep 17:00 = day 2"},
		{"make-up Saturday 2026-08-22", "2026-08-21 17:00", 1, "2026-08-22 17:00",
			"received at closing Fri 21 Aug: starts Sat 22 (make-up working day) 07:00; 8h = 17:00"},
		{"Tết 2027 (provisional)", "2027-02-04 07:00", 2, "2027-02-12 17:00",
			"Thu 4 Feb = day 1; Fri 5 - Thu 11 off (29 Tết, weekend, mùng 3-4, two compensations); Fri 12 17:00 = day 2"},
		{"received in Tết 2027", "2027-02-10 09:00", 1, "2027-02-12 17:00",
			"Wed 10 Feb compensatory day off, Thu 11 too: starts Fri 12 07:00; 8h = 17:00"},
		{"1/5/2027 on Saturday", "2027-04-29 07:00", 2, "2027-05-04 17:00",
			"Thu 29 Apr = day 1; Fri 30 off, Sat 1 / Sun 2, Mon 3 May compensation; Tue 4 May 17:00 = day 2"},
		{"zero days", "2026-03-10 17:30", 0, "2026-03-11 07:00",
			"no processing time: the clock's start, next working morning"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Due(at(t, tt.received), tt.days)
			want := at(t, tt.want)
			if !got.Equal(want) {
				t.Fatalf("Due(%s, %d) = %s, want %s (%s)", tt.received, tt.days, got.In(Location()).Format("2006-01-02 15:04 Mon"), tt.want, tt.why)
			}
			if got.Location() != time.UTC {
				t.Errorf("Due returned %v, want UTC", got.Location())
			}
		})
	}
}

func TestDueWithPauses(t *testing.T) {
	c := Default()
	received := at(t, "2026-03-02 09:00") // Monday
	tests := []struct {
		name   string
		pauses []Interval
		want   string // "" = unknown (open pause)
		why    string
	}{
		{"no pause", nil, "2026-03-05 09:00",
			"24h: Mon 2 Mar 6h, Tue 8h (14), Wed 8h (22), Thu 07:00 + 2h = 09:00"},
		{"one pause", []Interval{{at(t, "2026-03-03 15:00"), at(t, "2026-03-09 10:00")}}, "2026-03-10 16:00",
			"ran Mon 09:00-17:00 6h + Tue 07:00-15:00 6h = 12h, 12h left; resumed Mon 9 Mar 10:00: 5h that day (7h left), Tue 10 07:00-11:30 4.5h (2.5h left), 13:30 + 2.5h = 16:00"},
		{"resumed after hours", []Interval{{at(t, "2026-03-03 15:00"), at(t, "2026-03-06 18:00")}}, "2026-03-10 11:00",
			"12h left; new scan Fri 6 Mar 18:00, clock restarts Mon 9 07:00: 8h (4h left), Tue 10 07:00 + 4h = 11:00"},
		{"still waiting", []Interval{{Start: at(t, "2026-03-03 15:00")}}, "",
			"the supplement has not come: the clock is stopped"},
		{"pause after due", []Interval{{at(t, "2026-03-06 08:00"), at(t, "2026-03-09 08:00")}}, "2026-03-05 09:00",
			"the 24h run out Thu 5 Mar 09:00, before the request"},
		{"two pauses, out of order", []Interval{
			{at(t, "2026-03-04 07:00"), at(t, "2026-03-05 07:00")},
			{at(t, "2026-03-02 13:30"), at(t, "2026-03-03 07:00")},
		}, "2026-03-06 14:30",
			"ran Mon 09:00-11:30 2.5h (pause from 13:30); resumed Tue 07:00: 8h (10.5h); paused all Wed; Thu 8h (18.5h); Fri 6 Mar 07:00-11:30 4.5h (23h), 13:30 + 1h = 14:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := c.DueWithPauses(received, 3, tt.pauses)
			if tt.want == "" {
				if ok {
					t.Fatalf("due %v with an open pause", got)
				}
				return
			}
			if !ok || !got.Equal(at(t, tt.want)) {
				t.Fatalf("due = %s (%v), want %s (%s)", got.In(Location()).Format("2006-01-02 15:04"), ok, tt.want, tt.why)
			}
		})
	}
}

func TestElapsed(t *testing.T) {
	c := Default()
	tests := []struct {
		name string
		iv   []Interval
		want time.Duration
	}{
		{"none", nil, 0},
		// Mon 2 Mar 09:00-17:00 = 2.5h + 3.5h; Tue 07:00-15:00 = 4.5h + 1.5h.
		{"two days", []Interval{{at(t, "2026-03-02 09:00"), at(t, "2026-03-03 15:00")}}, 12 * time.Hour},
		// overlap counted once: same as above.
		{"overlap", []Interval{
			{at(t, "2026-03-02 09:00"), at(t, "2026-03-03 10:00")},
			{at(t, "2026-03-03 08:00"), at(t, "2026-03-03 15:00")},
		}, 12 * time.Hour},
		// Tết: Fri 13 Feb 16:00-17:00 = 1h, then nothing until Mon 23 07:00-08:00 = 1h.
		{"across Tết", []Interval{{at(t, "2026-02-13 16:00"), at(t, "2026-02-23 08:00")}}, 2 * time.Hour},
		// lunch and night only.
		{"outside hours", []Interval{{at(t, "2026-03-02 11:30"), at(t, "2026-03-02 13:30")}, {at(t, "2026-03-02 17:00"), at(t, "2026-03-03 07:00")}}, 0},
		{"reversed", []Interval{{at(t, "2026-03-03 10:00"), at(t, "2026-03-02 10:00")}}, 0},
	}
	for _, tt := range tests {
		if got := c.Elapsed(tt.iv); got != tt.want {
			t.Errorf("%s: Elapsed = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAddWorkingInverse(t *testing.T) {
	// For any start inside office hours, WorkingBetween(t, AddWorking(t, d)) == d.
	c := Default()
	start := at(t, "2026-01-01 00:00")
	for h := 0; h < 24*400; h += 7 {
		from := c.Start(start.Add(time.Duration(h) * time.Hour))
		for _, d := range []time.Duration{time.Minute, 3 * time.Hour, WorkingDay, 10 * WorkingDay} {
			to := c.AddWorking(from, d)
			if got := c.WorkingBetween(from, to); got != d {
				t.Fatalf("from %v +%v = %v, but WorkingBetween = %v", from, d, to, got)
			}
		}
	}
}

func TestRemaining(t *testing.T) {
	c := Default()
	due := at(t, "2026-03-10 16:00")
	// Mon 9 Mar 16:00 → Tue 16:00: 1h Mon + 4.5h + 2.5h Tue = 8h.
	if got := c.Remaining(at(t, "2026-03-09 16:00"), due); got != 8*time.Hour {
		t.Errorf("remaining %v, want 8h", got)
	}
	// Wed 11 Mar 08:00: overdue by Tue 16:00-17:00 1h + Wed 07:00-08:00 1h.
	if got := c.Remaining(at(t, "2026-03-11 08:00"), due); got != -2*time.Hour {
		t.Errorf("remaining %v, want -2h", got)
	}
}

func TestAgencyHours(t *testing.T) {
	hours, err := ParseHours("07:30-11:30, 13:00-17:00")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Hours: hours})
	if err != nil {
		t.Fatal(err)
	}
	// Mon 9 Mar 2026 10:00: 1.5h + 4h = 5.5h; Tue 07:30 + 2.5h = 10:00.
	if got := c.Due(at(t, "2026-03-09 10:00"), 1); !got.Equal(at(t, "2026-03-10 10:00")) {
		t.Errorf("due %v", got.In(Location()))
	}
	// 12:30 is lunch for this agency: starts 13:00.
	if got := c.Start(at(t, "2026-03-09 12:30")); !got.Equal(at(t, "2026-03-09 13:00")) {
		t.Errorf("start %v", got.In(Location()))
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no hours", Config{Hours: []Span{}}, "no office hours"},
		{"overlap", Config{Hours: []Span{{7 * time.Hour, 12 * time.Hour}, {11 * time.Hour, 17 * time.Hour}}}, "overlapping"},
		{"inverted", Config{Hours: []Span{{17 * time.Hour, 7 * time.Hour}}}, "empty"},
		{"past midnight", Config{Hours: []Span{{20 * time.Hour, 25 * time.Hour}}}, "outside the day"},
		{"bad date", Config{Years: []Year{{Year: 2026, DaysOff: []Day{{"2026-02-30", "x"}}}}}, "not YYYY-MM-DD"},
		{"wrong year", Config{Years: []Year{{Year: 2026, DaysOff: []Day{{"2027-01-01", "x"}}}}}, "listed under year"},
		{"both", Config{Years: []Year{{Year: 2026, DaysOff: []Day{{"2026-01-10", "x"}}, WorkDays: []Day{{"2026-01-10", "y"}}}}}, "both"},
		{"twice", Config{Years: []Year{{Year: 2026}, {Year: 2026}}}, "twice"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) || errs.KindOf(err) != errs.Invalid {
			t.Errorf("%s: err %v, want Invalid %q", tt.name, err, tt.want)
		}
	}
	if _, err := ParseHours("7-11"); err == nil {
		t.Error("ParseHours accepted 7-11")
	}
}

func TestBuiltInYears(t *testing.T) {
	c := Default()
	for _, s := range []string{"2026-06-15 10:00", "2027-06-15 10:00"} {
		if !c.Covers(at(t, s)) {
			t.Errorf("no data for %s", s)
		}
	}
	if c.Covers(at(t, "2028-01-03 10:00")) {
		t.Error("claims to cover 2028")
	}
	// Without data, 2028 still skips weekends: Fri 7 Jan 2028 13:30 + 1 day.
	if got := c.Due(at(t, "2028-01-07 13:30"), 1); !got.Equal(at(t, "2028-01-10 11:30")) {
		t.Errorf("2028 due %v", got.In(Location()))
	}
	for _, y := range Years2026And2027() {
		if y.Source == "" {
			t.Errorf("%d has no source", y.Year)
		}
		// every listed day off is a weekday (weekend holidays are compensated on a listed weekday).
		for _, d := range y.DaysOff {
			day, _ := time.Parse(time.DateOnly, d.Date)
			if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
				t.Errorf("%s (%s) is a weekend day listed as a day off", d.Date, d.Name)
			}
		}
		for _, d := range y.WorkDays {
			day, _ := time.Parse(time.DateOnly, d.Date)
			if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
				t.Errorf("%s is a weekday listed as a make-up day", d.Date)
			}
		}
	}
	if name, ok := c.Holiday(at(t, "2026-02-17 10:00")); !ok || !strings.Contains(name, "mùng 1") {
		t.Errorf("17 Feb 2026 = %q, %v", name, ok)
	}
}

func TestLoadYears(t *testing.T) {
	ys, err := LoadYears(strings.NewReader(`[{"year":2028,"daysOff":[{"date":"2028-01-03","name":"Nghỉ bù"}],"source":"test"}]`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Years: ys})
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkingDay(at(t, "2028-01-03 10:00")) {
		t.Error("loaded day off is a working day")
	}
	if _, err := LoadYears(strings.NewReader(`{`)); errs.KindOf(err) != errs.Invalid {
		t.Errorf("bad JSON: %v", err)
	}
}

func BenchmarkDue(b *testing.B) {
	c := Default()
	received := time.Date(2026, 2, 12, 2, 0, 0, 0, time.UTC)
	for b.Loop() {
		c.Due(received, 15)
	}
}

// TestCheckHorizon: the stack refuses to compute due dates well before the
// built-in holiday data runs out, and says which year to load.
func TestCheckHorizon(t *testing.T) {
	c := Default()
	ict := Location()
	tests := []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"start of the data", time.Date(2026, 1, 1, 0, 0, 0, 0, ict), true},
		{"today's tests", time.Date(2026, 11, 30, 9, 0, 0, 0, ict), true},
		{"horizon still inside 2027", time.Date(2027, 9, 2, 9, 0, 0, 0, ict), true},
		{"horizon reaches 2028", time.Date(2027, 9, 4, 9, 0, 0, 0, ict), false},
		{"last day of the data", time.Date(2027, 12, 31, 9, 0, 0, 0, ict), false},
		{"after the data", time.Date(2028, 1, 1, 9, 0, 0, 0, ict), false},
		{"before the data", time.Date(2025, 12, 31, 9, 0, 0, 0, ict), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.CheckHorizon(tt.now)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckHorizon(%v) = %v, want ok=%v", tt.now, err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "load that year") {
				t.Fatalf("error %q does not say what to do", err)
			}
		})
	}
}
