// Package calendar computes due times of administrative procedures in
// working time: processing times are given in working days of 8 hours
// (WorkingDay), counted only inside office hours (07:00–11:30 and 13:30–17:00
// by default, configurable per agency), on weekdays that are not public
// holidays, plus the weekend days swapped into working days. The clock stops
// while a dossier waits for the citizen's supplement.
//
// All computations are in Vietnam's time (UTC+7; no daylight saving) and
// every time returned is in UTC, the form in which it is stored.
//
// Holiday data is per year (Year); the built-in years are 2026 (official) and
// 2027 (provisional), see Years2026And2027. It is not for citizens' or
// companies' calendars, which differ (Saturday work, private agreements).
package calendar

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/vntime"
)

// WorkingDay is the length of one working day of processing time.
const WorkingDay = 8 * time.Hour

// MaxWorkingDays bounds the processing time Due accepts (about ten years).
const MaxWorkingDays = 2600

// Location returns Vietnam's time zone (vntime.Location), in which office
// hours and deadlines are judged.
func Location() *time.Location { return vntime.Location() }

// Span is one block of office hours, as offsets from midnight.
type Span struct {
	Start, End time.Duration
}

// DefaultHours returns the default office hours: 07:00–11:30 and 13:30–17:00.
func DefaultHours() []Span {
	return []Span{
		{7 * time.Hour, 11*time.Hour + 30*time.Minute},
		{13*time.Hour + 30*time.Minute, 17 * time.Hour},
	}
}

// ParseHours parses office hours written as "07:00-11:30,13:30-17:00".
func ParseHours(s string) ([]Span, error) {
	var out []Span
	for part := range strings.SplitSeq(s, ",") {
		a, b, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, errs.E(errs.Invalid, "office hours %q: want HH:MM-HH:MM", part)
		}
		start, err1 := parseClock(a)
		end, err2 := parseClock(b)
		if err1 != nil || err2 != nil {
			return nil, errs.E(errs.Invalid, "office hours %q: want HH:MM-HH:MM", part)
		}
		out = append(out, Span{start, end})
	}
	return out, nil
}

func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// Config configures a Calendar. The zero Config is the default calendar.
type Config struct {
	// Hours are the office hours of a working day, in order and not
	// overlapping; nil means DefaultHours.
	Hours []Span
	// Years is the holiday data; nil means Years2026And2027.
	Years []Year
}

// Calendar is an agency's working-time calendar. Safe for concurrent use.
type Calendar struct {
	hours    []Span
	daysOff  map[civil]string
	workDays map[civil]string
	years    map[int]bool
	loc      *time.Location
}

type civil struct {
	y int
	m time.Month
	d int
}

// New builds a calendar and checks its configuration: office hours inside
// one day, ordered and not overlapping; dates valid and in their year; a date
// not both a day off and a working day; no year given twice.
func New(cfg Config) (*Calendar, error) {
	hours := cfg.Hours
	if hours == nil {
		hours = DefaultHours()
	}
	if len(hours) == 0 {
		return nil, errs.E(errs.Invalid, "calendar has no office hours")
	}
	for i, s := range hours {
		if s.Start < 0 || s.End > 24*time.Hour || s.Start >= s.End || (i > 0 && s.Start < hours[i-1].End) {
			return nil, errs.E(errs.Invalid, "office hours block %d (%v-%v) is empty, outside the day, out of order or overlapping", i+1, s.Start, s.End)
		}
	}
	years := cfg.Years
	if years == nil {
		years = Years2026And2027()
	}
	c := &Calendar{
		hours:    slices.Clone(hours),
		daysOff:  map[civil]string{},
		workDays: map[civil]string{},
		years:    map[int]bool{},
		loc:      Location(),
	}
	for _, y := range years {
		if c.years[y.Year] {
			return nil, errs.E(errs.Invalid, "holiday data for %d given twice", y.Year)
		}
		c.years[y.Year] = true
		for _, d := range y.DaysOff {
			k, err := parseDay(d.Date, y.Year)
			if err != nil {
				return nil, err
			}
			c.daysOff[k] = d.Name
		}
		for _, d := range y.WorkDays {
			k, err := parseDay(d.Date, y.Year)
			if err != nil {
				return nil, err
			}
			if _, off := c.daysOff[k]; off {
				return nil, errs.E(errs.Invalid, "%s is both a day off and a working day", d.Date)
			}
			c.workDays[k] = d.Name
		}
	}
	return c, nil
}

// Default returns the calendar with default office hours and the built-in
// years.
func Default() *Calendar {
	c, err := New(Config{})
	if err != nil { // the built-in data is checked by the package's tests
		panic("calendar: built-in data invalid: " + err.Error())
	}
	return c
}

func parseDay(s string, year int) (civil, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return civil{}, errs.E(errs.Invalid, "date %q is not YYYY-MM-DD", s)
	}
	if t.Year() != year {
		return civil{}, errs.E(errs.Invalid, "date %s is listed under year %d", s, year)
	}
	return civil{t.Year(), t.Month(), t.Day()}, nil
}

// maxYearsSize bounds LoadYears input.
const maxYearsSize = 1 << 20

// LoadYears reads holiday data as a JSON array of Year, for a deployment
// that must add or correct a year without a new build.
func LoadYears(r io.Reader) ([]Year, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxYearsSize+1))
	if err != nil {
		return nil, fmt.Errorf("read holiday data: %w", err)
	}
	if len(data) > maxYearsSize {
		return nil, errs.E(errs.TooLarge, "holiday data is larger than %d bytes", maxYearsSize)
	}
	var ys []Year
	if err := json.Unmarshal(data, &ys); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "holiday data is not a JSON array of years")
	}
	return ys, nil
}

// Covers reports whether the calendar has holiday data for t's year; outside
// it only weekends are skipped, so due dates there would be wrong.
func (c *Calendar) Covers(t time.Time) bool { return c.years[t.In(c.loc).Year()] }

// Horizon is how far ahead of today the holiday data must reach: the longest
// processing time in the catalog is a few weeks of working days, and the
// operators need time to load next year's official calendar (published by the
// Ministry of Home Affairs each autumn). CheckHorizon fails this long before the
// data runs out, so no due date is ever computed past it silently.
const Horizon = 120 * 24 * time.Hour

// CheckHorizon returns an Unavailable error unless the holiday data covers
// every day from now to now+Horizon. Stacks call it at start-up and in their
// readiness check.
func (c *Calendar) CheckHorizon(now time.Time) error {
	for _, t := range []time.Time{now, now.Add(Horizon)} {
		if !c.Covers(t) {
			return errs.E(errs.Unavailable,
				"calendar: no public-holiday data for %d (due dates from %s on would be wrong); load that year's official calendar",
				t.In(c.loc).Year(), time.Date(t.In(c.loc).Year(), 1, 1, 0, 0, 0, 0, c.loc).Format(time.DateOnly))
		}
	}
	return nil
}

// IsWorkingDay reports whether the Vietnamese civil date of t is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	t = t.In(c.loc)
	k := civil{t.Year(), t.Month(), t.Day()}
	if _, ok := c.workDays[k]; ok {
		return true
	}
	if _, ok := c.daysOff[k]; ok {
		return false
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// Holiday returns why the date of t is a day off, if it is a listed one.
func (c *Calendar) Holiday(t time.Time) (string, bool) {
	t = t.In(c.loc)
	name, ok := c.daysOff[civil{t.Year(), t.Month(), t.Day()}]
	return name, ok
}

// midnight returns the start of t's day in Vietnam.
func (c *Calendar) midnight(t time.Time) time.Time {
	y, m, d := t.In(c.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc)
}

// nextDay returns midnight of the day after day (a midnight).
func (c *Calendar) nextDay(day time.Time) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, c.loc)
}

// Start returns when the clock starts for something received at t: t itself
// inside office hours, else the start of the next office-hours block (a
// dossier received after 17:00 starts the next working morning).
func (c *Calendar) Start(t time.Time) time.Time { return c.AddWorking(t, 0) }

// AddWorking returns the time at which d of working time has passed since t,
// in UTC. When the time runs out exactly at the end of a block (11:30,
// 17:00), that end is returned, not the next block's start. A negative d is
// taken as zero.
func (c *Calendar) AddWorking(t time.Time, d time.Duration) time.Time {
	d = max(d, 0)
	t = t.In(c.loc)
	for day := c.midnight(t); ; day = c.nextDay(day) {
		if !c.IsWorkingDay(day) {
			continue
		}
		for _, s := range c.hours {
			start, end := day.Add(s.Start), day.Add(s.End)
			if !t.Before(end) {
				continue
			}
			if t.Before(start) {
				t = start
			}
			avail := end.Sub(t)
			if d <= avail {
				return t.Add(d).UTC()
			}
			d -= avail
			t = end
		}
	}
}

// WorkingBetween returns the working time in [from, to).
func (c *Calendar) WorkingBetween(from, to time.Time) time.Duration {
	if !from.Before(to) {
		return 0
	}
	var total time.Duration
	for day := c.midnight(from); day.Before(to); day = c.nextDay(day) {
		if !c.IsWorkingDay(day) {
			continue
		}
		for _, s := range c.hours {
			start, end := day.Add(s.Start), day.Add(s.End)
			if start.Before(from) {
				start = from
			}
			if end.After(to) {
				end = to
			}
			if start.Before(end) {
				total += end.Sub(start)
			}
		}
	}
	return total
}

// Interval is the half-open span [Start, End). An open interval (End zero)
// lasts until now: callers close it with the current time before Elapsed.
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end,omitzero"`
}

// Elapsed returns the working time covered by the intervals during which a
// dossier's clock ran (overlaps are counted once).
func (c *Calendar) Elapsed(intervals []Interval) time.Duration {
	iv := make([]Interval, 0, len(intervals))
	for _, i := range intervals {
		if i.Start.Before(i.End) {
			iv = append(iv, i)
		}
	}
	slices.SortFunc(iv, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	var total time.Duration
	var cur Interval
	for k, i := range iv {
		switch {
		case k == 0:
			cur = i
		case !i.Start.After(cur.End):
			if i.End.After(cur.End) {
				cur.End = i.End
			}
		default:
			total += c.WorkingBetween(cur.Start, cur.End)
			cur = i
		}
	}
	if len(iv) > 0 {
		total += c.WorkingBetween(cur.Start, cur.End)
	}
	return total
}

// Due returns the legal due time of a dossier received at received with a
// processing time of workingDays working days of 8 hours, in UTC.
// workingDays is clamped to [0, MaxWorkingDays].
func (c *Calendar) Due(received time.Time, workingDays int) time.Time {
	return c.AddWorking(received, budget(workingDays))
}

func budget(workingDays int) time.Duration {
	return time.Duration(min(max(workingDays, 0), MaxWorkingDays)) * WorkingDay
}

// DueWithPauses is Due for a dossier whose clock stopped during pauses:
// each pause runs from a supplement request (NEEDS_SUPPLEMENT) to the
// receipt of the new scan. Working time inside a pause is not counted, so
// the due time moves later by it. If the last pause is still open (End zero)
// the due time is unknown while the clock is stopped: ok is false.
// Pauses may come in any order; a pause that begins after the due time
// changes nothing.
func (c *Calendar) DueWithPauses(received time.Time, workingDays int, pauses []Interval) (due time.Time, ok bool) {
	rem := budget(workingDays)
	ps := slices.Clone(pauses)
	slices.SortFunc(ps, func(a, b Interval) int { return a.Start.Compare(b.Start) })
	t := received
	for _, p := range ps {
		if p.Start.After(t) {
			run := c.WorkingBetween(t, p.Start)
			if run >= rem {
				return c.AddWorking(t, rem), true
			}
			rem -= run
		}
		if p.End.IsZero() {
			return time.Time{}, false
		}
		if p.End.After(t) {
			t = p.End
		}
	}
	return c.AddWorking(t, rem), true
}

// Remaining returns the working time left before due at now (negative when
// overdue), e.g. to warn an officer one working day ahead.
func (c *Calendar) Remaining(now, due time.Time) time.Duration {
	if now.After(due) {
		return -c.WorkingBetween(due, now)
	}
	return c.WorkingBetween(now, due)
}
