package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/functions/internal/assemble"
	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/report"
	"github.com/sohoa/sohoa/pkg/port/blobs"
)

// ReportPrefix is where the daily reports go in the reports bucket:
// sla/daily/<yyyy-mm-dd>.json and .csv, the day in Vietnam's time.
const ReportPrefix = "sla/daily/"

// Report writes the SLA report of the day before the schedule fired. The day
// comes from the event's time, not the clock, so a redelivered or retried
// event rewrites the same two objects.
type Report struct {
	Reporter *report.Reporter
	Bucket   *blob.Bucket
	Log      *slog.Logger
}

// newHandler builds the report function's handler over AWS.
func newHandler(ctx context.Context, cfg assemble.Config) (*Report, error) {
	c, err := assemble.NewStores(ctx, cfg, assemble.Logger())
	if err != nil {
		return nil, err
	}
	a, err := c.Build(ctx, assemble.Ports{})
	if err != nil {
		return nil, err
	}
	out, err := c.AWS.Bucket(ctx, c.AWS.S3(), cfg.ReportsBucket)
	if err != nil {
		return nil, err
	}
	r, err := report.New(report.Config{Source: report.NewIndex(c.Table), Dossiers: a.Dossiers,
		Calendar: a.Calendar, ProcessingDays: a.Catalog.ProcessingDays})
	if err != nil {
		return nil, err
	}
	return &Report{Reporter: r, Bucket: out, Log: c.Log}, nil
}

// ReportResult is the function's answer: the keys written.
type ReportResult struct {
	Day      string   `json:"day"`
	Agencies int      `json:"agencies"`
	Keys     []string `json:"keys"`
}

// PreviousDay returns the Vietnamese calendar day before t, as [from, to).
func PreviousDay(t time.Time) (from, to time.Time) {
	l := t.In(calendar.Location())
	to = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, calendar.Location())
	return to.AddDate(0, 0, -1), to
}

// Handle implements the function.
func (h *Report) Handle(ctx context.Context, ev events.EventBridgeEvent) (ReportResult, error) {
	at := ev.Time
	if at.IsZero() {
		at = time.Now()
	}
	from, to := PreviousDay(at)
	stats, err := h.Reporter.SLA(ctx, from, to, "")
	if err != nil {
		return ReportResult{}, fmt.Errorf("report of %s: %w", from.Format(time.DateOnly), err)
	}
	day := from.Format(time.DateOnly)
	res := ReportResult{Day: day, Agencies: len(stats)}
	var js, cs bytes.Buffer
	if err := report.WriteJSON(&js, stats); err != nil {
		return ReportResult{}, err
	}
	if err := report.WriteCSV(&cs, stats); err != nil {
		return ReportResult{}, err
	}
	for _, f := range []struct {
		ext, ctype string
		b          []byte
	}{{".json", "application/json", js.Bytes()}, {".csv", "text/csv; charset=utf-8", cs.Bytes()}} {
		key := ReportPrefix + day + f.ext
		if err := blobs.Put(ctx, h.Bucket, key, f.b, &blob.WriterOptions{ContentType: f.ctype}); err != nil {
			return ReportResult{}, fmt.Errorf("write %s: %w", key, err)
		}
		res.Keys = append(res.Keys, key)
	}
	h.Log.Info("SLA report written", "day", day, "agencies", len(stats))
	return res, nil
}
