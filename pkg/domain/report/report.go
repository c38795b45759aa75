// Package report computes the statistics agencies are judged by (Decision
// 766/QĐ-TTg's service index; report form II.06a): per agency and period,
// dossiers received by channel, resolved early, on time or late, in progress
// in time or overdue, supplement requests, digitization, reuse and
// electronic results — served by GET /v1/reports/sla as JSON or CSV.
//
// The dossiers of a period are found through an Index of dossiers by day of
// receipt, kept from the status-change events; the figures are computed from
// each dossier's history with calendar.Classify. It is not for anything the
// dossier service decides.
package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
)

// Dossiers loads a dossier; dossier.Service is expected to provide it.
type Dossiers interface {
	Load(ctx context.Context, id string) (*dossier.Dossier, error)
}

// Source lists the dossiers received in a period; *Index implements it.
type Source interface {
	Received(ctx context.Context, from, to time.Time, agency string) ([]Entry, error)
}

// Calendar computes due times with the clock stopped during supplement
// requests; *calendar.Calendar implements it.
type Calendar interface {
	DueWithPauses(received time.Time, workingDays int, pauses []calendar.Interval) (time.Time, bool)
}

// Config holds a Reporter's dependencies. Source and Dossiers are required.
type Config struct {
	Source   Source
	Dossiers Dossiers
	// Calendar and ProcessingDays, when both set, recompute each due time
	// from the receipt, the procedure's processing time and the supplement
	// pauses of the dossier's history (the clock stops while a supplement is
	// awaited); a procedure ProcessingDays does not know keeps its stored
	// DueAt, as do all dossiers when they are not set.
	Calendar       Calendar
	ProcessingDays func(procedure string) (int, bool)
	Now            func() time.Time
	// Workers bounds how many dossiers are loaded at once (default 8).
	Workers int
	// MaxDossiers bounds one report (default 200,000): a larger period is
	// refused as errs.Invalid rather than read.
	MaxDossiers int
}

// MaxPeriod is the longest period a report covers.
const MaxPeriod = 400 * 24 * time.Hour

// Reporter computes reports.
type Reporter struct {
	c Config
}

// New returns a Reporter; it fails if a required dependency is missing.
func New(c Config) (*Reporter, error) {
	if c.Source == nil || c.Dossiers == nil {
		return nil, errors.New("report: Source and Dossiers are required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.MaxDossiers <= 0 {
		c.MaxDossiers = 200_000
	}
	return &Reporter{c: c}, nil
}

// Channels of receipt (Decision 766 index 3.3): postal (BCCI), online, at the counter.
const (
	ChannelPostal  = "postal"
	ChannelOnline  = "online"
	ChannelCounter = "counter"
)

// ByChannel counts dossiers by channel of receipt.
type ByChannel struct {
	Postal  int `json:"postal"`
	Online  int `json:"online"`
	Counter int `json:"counter"`
}

// AgencyStats are one agency's figures for a period. The dossiers counted are
// those received in the period [From, To); each is classified as of AsOf, the
// earlier of To and the time of the report: a dossier resolved after AsOf is
// still in progress in this report.
type AgencyStats struct {
	Agency string    `json:"agency"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	AsOf   time.Time `json:"asOf"`

	Received          int       `json:"received"`
	ReceivedByChannel ByChannel `json:"receivedByChannel"`

	// Resolved = Early + OnTime + Late, as calendar.Classify counts them (a
	// dossier waiting on its only supplement request counts as handled at
	// the time of the request; one asked twice counts late).
	Resolved int `json:"resolved"`
	Early    int `json:"early"`
	OnTime   int `json:"onTime"`
	Late     int `json:"late"`
	// InProgress = InTime + Overdue.
	InProgress int `json:"inProgress"`
	InTime     int `json:"inTime"`
	Overdue    int `json:"overdue"`
	// OnTimeRate is (Early + OnTime) / Resolved (index 2.1).
	OnTimeRate float64 `json:"onTimeRate"`

	// SupplementRequests counts requests (a dossier asked twice counts 2);
	// Supplemented counts the dossiers asked at least once.
	SupplementRequests int `json:"supplementRequests"`
	Supplemented       int `json:"supplemented"`

	// ScannedComponents are components digitized from paper, of which
	// CertifiedComponents carry the certified-copy seal; DigitizationRate is
	// their ratio (index 4.2, by component).
	ScannedComponents   int     `json:"scannedComponents"`
	CertifiedComponents int     `json:"certifiedComponents"`
	DigitizationRate    float64 `json:"digitizationRate"`
	// VaultComponents were taken from the citizen's vault instead of paper;
	// ReuseRate is VaultComponents over all components (index 4.3, by component).
	VaultComponents int     `json:"vaultComponents"`
	ReuseRate       float64 `json:"reuseRate"`

	// ElectronicResults counts the dossiers whose signed result went to the
	// citizen's vault by AsOf; ElectronicResultRate is that over the dossiers
	// whose processing ended by AsOf (result issued, returned or rejected;
	// index 4.1).
	ElectronicResults    int     `json:"electronicResults"`
	ElectronicResultRate float64 `json:"electronicResultRate"`

	finished int
}

// SLA returns the figures of every agency (or only agency, if not empty) for
// the dossiers received at or after from and before to, sorted by agency.
// An agency without dossiers in the period is absent.
func (r *Reporter) SLA(ctx context.Context, from, to time.Time, agency string) ([]AgencyStats, error) {
	switch {
	case from.IsZero() || to.IsZero() || !to.After(from):
		return nil, errs.FieldError("to", "the period must end after it starts")
	case to.Sub(from) > MaxPeriod:
		return nil, errs.FieldError("from", "a report covers at most %d days", int(MaxPeriod/(24*time.Hour)))
	}
	entries, err := r.c.Source.Received(ctx, from, to, agency)
	if err != nil {
		return nil, err
	}
	if len(entries) > r.c.MaxDossiers {
		return nil, errs.FieldError("from", "the period holds %d dossiers, more than the %d a report reads; choose a shorter one", len(entries), r.c.MaxDossiers)
	}
	ds, err := r.load(ctx, entries)
	if err != nil {
		return nil, err
	}
	asOf := r.c.Now().UTC()
	if to.Before(asOf) {
		asOf = to.UTC()
	}
	byAgency := map[string]*AgencyStats{}
	for _, d := range ds {
		s := byAgency[d.Agency]
		if s == nil {
			s = &AgencyStats{Agency: d.Agency, From: from.UTC(), To: to.UTC(), AsOf: asOf}
			byAgency[d.Agency] = s
		}
		r.count(s, d, asOf)
	}
	out := make([]AgencyStats, 0, len(byAgency))
	for _, s := range byAgency {
		s.OnTimeRate = ratio(s.Early+s.OnTime, s.Resolved)
		s.DigitizationRate = ratio(s.CertifiedComponents, s.ScannedComponents)
		s.ReuseRate = ratio(s.VaultComponents, s.ScannedComponents+s.VaultComponents)
		s.ElectronicResultRate = ratio(s.ElectronicResults, s.finished)
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b AgencyStats) int {
		if a.Agency < b.Agency {
			return -1
		}
		if a.Agency > b.Agency {
			return 1
		}
		return 0
	})
	return out, nil
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// load reads the dossiers of entries, Workers at a time; a dossier that no
// longer exists is left out.
func (r *Reporter) load(ctx context.Context, entries []Entry) ([]*dossier.Dossier, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]*dossier.Dossier, len(entries))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, r.c.Workers)
	for i, e := range entries {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			d, err := r.c.Dossiers.Load(ctx, e.DossierID)
			if err != nil && !errs.Is(err, errs.NotFound) {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("report: load dossier %s: %w", e.DossierID, err)
				}
				mu.Unlock()
				cancel()
				return
			}
			out[i] = d
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return slices.DeleteFunc(out, func(d *dossier.Dossier) bool { return d == nil }), nil
}

// count adds dossier d, as it stood at asOf, to s.
func (r *Reporter) count(s *AgencyStats, d *dossier.Dossier, asOf time.Time) {
	s.Received++
	switch d.Channel {
	case ChannelOnline:
		s.ReceivedByChannel.Online++
	case ChannelCounter:
		s.ReceivedByChannel.Counter++
	default: // Sohoa's own intake is the post office
		s.ReceivedByChannel.Postal++
	}
	rec, issued := r.record(d, asOf)
	switch calendar.Classify(rec, asOf) {
	case calendar.Early:
		s.Early++
		s.Resolved++
	case calendar.OnTime:
		s.OnTime++
		s.Resolved++
	case calendar.Late:
		s.Late++
		s.Resolved++
	case calendar.InTime:
		s.InTime++
		s.InProgress++
	case calendar.Overdue:
		s.Overdue++
		s.InProgress++
	}
	s.SupplementRequests += rec.Supplements
	if rec.Supplements > 0 {
		s.Supplemented++
	}
	for _, c := range d.Components {
		switch c.Source {
		case dossier.SourceVault:
			s.VaultComponents++
		default:
			s.ScannedComponents++
			if c.Certified {
				s.CertifiedComponents++
			}
		}
	}
	if !rec.Resolved.IsZero() {
		s.finished++
		if issued && d.Result != nil && d.Result.DocumentID != "" {
			s.ElectronicResults++
		}
	}
}

// record reads d's history up to asOf into what Classify needs; issued tells
// whether the result was issued (not rejected) by then.
func (r *Reporter) record(d *dossier.Dossier, asOf time.Time) (rec calendar.Record, issued bool) {
	var (
		pauses []calendar.Interval
		status dossier.Status
		since  time.Time
	)
	for _, h := range d.History {
		if h.At.After(asOf) {
			break
		}
		switch {
		case h.Status == dossier.NeedsSupplement:
			rec.Supplements++
			pauses = append(pauses, calendar.Interval{Start: h.At})
		case h.Status == dossier.Scanned && status == dossier.NeedsSupplement:
			pauses[len(pauses)-1].End = h.At
		case h.Status.Resolved() && rec.Resolved.IsZero():
			rec.Resolved = h.At
			issued = h.Status != dossier.Rejected
		}
		status, since = h.Status, h.At
	}
	if status == dossier.NeedsSupplement {
		rec.PendingSupplementSince = since
		pauses = pauses[:len(pauses)-1] // the due time before the open pause is what the request is judged by
	}
	rec.Due = d.DueAt
	if r.c.Calendar != nil && r.c.ProcessingDays != nil {
		if days, ok := r.c.ProcessingDays(d.Procedure); ok {
			if due, ok := r.c.Calendar.DueWithPauses(d.ReceivedAt, days, pauses); ok {
				rec.Due = due
			}
		}
	}
	return rec, issued
}
