package report

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// The index of dossiers by day of receipt, in the single table:
//
//	PK RECEIVED#<yyyyMMdd>   SK <agency>#<dossierId>   one per dossier, day in Vietnam's time
//
// It is written from the RECEIVED events (the Relay locally, the DynamoDB
// stream on AWS), not by the dossier service, and never expires: the events
// themselves live only 30 days, too short for a yearly report, and a scan of
// the whole table is what a single-table design must never need. A period of
// N days costs N queries, each reading one partition.
const receivedPrefix = "RECEIVED#"

// dayKey is the partition of the day t falls on in Vietnam.
func dayKey(t time.Time) string { return receivedPrefix + t.In(calendar.Location()).Format("20060102") }

// entry is one index item.
type entry struct {
	DossierID string    `json:"dossierId"`
	Agency    string    `json:"agency"`
	At        time.Time `json:"at"`
}

// Index keeps and reads the index of dossiers by day of receipt.
type Index struct {
	t records.Table
}

// NewIndex returns the Index in t.
func NewIndex(t records.Table) *Index { return &Index{t: t} }

// Record indexes the dossier of a RECEIVED event and ignores every other
// event. It is idempotent, so it can be handed the same event twice; its
// signature is that of notify.Handler, so the integrator can fan one relay
// out to it and to the notifier.
func (x *Index) Record(ctx context.Context, ev dossier.StatusChanged) error {
	if ev.Status != dossier.Received {
		return nil
	}
	if ev.DossierID == "" || ev.Agency == "" || ev.At.IsZero() || strings.Contains(ev.Agency, "#") {
		return errs.E(errs.Invalid, "report: RECEIVED event without a dossier, agency or time")
	}
	data, err := json.Marshal(entry{DossierID: ev.DossierID, Agency: ev.Agency, At: ev.At.UTC()})
	if err != nil {
		return fmt.Errorf("report: encode index entry: %w", err)
	}
	_, err = x.t.Put(ctx, records.Item{PK: dayKey(ev.At), SK: ev.Agency + "#" + ev.DossierID, Data: data})
	if err != nil && !errs.Is(err, errs.Conflict) {
		return fmt.Errorf("report: index dossier %s: %w", ev.DossierID, err)
	}
	return nil
}

// Received returns the dossiers received at or after from and before to, of
// agency (every agency if empty), oldest day first.
func (x *Index) Received(ctx context.Context, from, to time.Time, agency string) ([]Entry, error) {
	if !to.After(from) {
		return nil, nil
	}
	loc := calendar.Location()
	y, m, d := from.In(loc).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, loc)
	var out []Entry
	for ; day.Before(to); day = day.AddDate(0, 0, 1) {
		q := records.Query{PK: dayKey(day)}
		if agency != "" {
			q.SKPrefix = agency + "#"
		}
		its, err := x.t.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("report: read index of %s: %w", day.Format(time.DateOnly), err)
		}
		for _, it := range its {
			var e entry
			if err := json.Unmarshal(it.Data, &e); err != nil {
				return nil, fmt.Errorf("report: decode index entry %s/%s: %w", it.PK, it.SK, err)
			}
			if e.At.Before(from) || !e.At.Before(to) {
				continue
			}
			out = append(out, Entry(e))
		}
	}
	return out, nil
}

// Entry is a dossier in the index: its ID, agency and time of receipt.
type Entry struct {
	DossierID string
	Agency    string
	At        time.Time
}
