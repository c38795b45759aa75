// Package metrics is the port of Sohoa's metrics, with its one writer:
// it writes Sohoa's metrics as CloudWatch Embedded Metric
// Format: one JSON log line per data point, which CloudWatch Logs turns
// into a metric on AWS (no API call, no extra permission) and which stays a
// readable log line locally. The line also carries the dossier and request
// IDs of its context (pkg/logctx), so a metric leads back to its dossier.
//
// The domain records through the Sink interface; the edges choose the
// writer (a Lambda's stdout, the local stack's log output).
package metrics

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/sohoa/sohoa/pkg/logctx"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "Sohoa"

// The metric names; alarms and dashboards use them.
const (
	// PagesIngested counts the pages of scans read by an ingestion.
	PagesIngested = "PagesIngested"
	// StageSeconds is how long one stage of a job took (dimension Stage:
	// ingest, split, ocr, sign, notify).
	StageSeconds = "StageSeconds"
	// Findings counts the findings recorded on dossiers (dimension Code).
	Findings = "Findings"
	// SigningSeconds is how long signing one result took.
	SigningSeconds = "SigningSeconds"
	// VerifyVerdicts counts signature verifications (dimension Verdict).
	VerifyVerdicts = "VerifyVerdicts"
	// JobsDeadLettered counts jobs that ran out of deliveries (dimension
	// Topic, and without dimensions for one alarm over all topics).
	JobsDeadLettered = "JobsDeadLettered"
)

// Units of CloudWatch.
const (
	Count   = "Count"
	Seconds = "Seconds"
)

// Sink records metrics.
type Sink interface {
	// Record adds one data point of name; dims are name, value pairs.
	Record(ctx context.Context, name, unit string, value float64, dims ...string)
}

// Nop records nothing (a service built without metrics).
type Nop struct{}

// Record implements Sink.
func (Nop) Record(context.Context, string, string, float64, ...string) {}

// EMF is a Sink writing Embedded Metric Format lines.
type EMF struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
	// Static dimensions of every point (e.g. Function: ingest).
	static []string
}

// NewEMF returns a Sink writing to w (a Lambda's stdout); static are name,
// value pairs added as dimensions to every point.
func NewEMF(w io.Writer, static ...string) *EMF {
	return &EMF{w: w, now: time.Now, static: static}
}

// WithClock sets the clock of the points' timestamps (tests).
func (e *EMF) WithClock(now func() time.Time) *EMF { e.now = now; return e }

type metricDef struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type directive struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []metricDef `json:"Metrics"`
}

type awsMeta struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// Record implements Sink. A point is published under its dimensions and,
// for JobsDeadLettered, also without any (one alarm over every topic).
func (e *EMF) Record(ctx context.Context, name, unit string, value float64, dims ...string) {
	line := map[string]any{}
	var keys []string
	all := append(append([]string{}, e.static...), dims...)
	for i := 0; i+1 < len(all); i += 2 {
		if _, dup := line[all[i]]; !dup {
			keys = append(keys, all[i])
		}
		line[all[i]] = all[i+1]
	}
	sets := [][]string{keys}
	if name == JobsDeadLettered {
		sets = append(sets, []string{})
	}
	line[name] = value
	if d := logctx.Dossier(ctx); d != "" {
		line[logctx.DossierKey] = d
	}
	if r := logctx.Request(ctx); r != "" {
		line[logctx.RequestKey] = r
	}
	line["_aws"] = awsMeta{Timestamp: e.now().UnixMilli(), CloudWatchMetrics: []directive{{
		Namespace: Namespace, Dimensions: sets, Metrics: []metricDef{{Name: name, Unit: unit}}}}}
	b, err := json.Marshal(line)
	if err != nil {
		return // only strings and a float: cannot happen
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, _ = e.w.Write(append(b, '\n'))
}

// Since records the seconds elapsed since start under name.
func Since(ctx context.Context, s Sink, name string, start time.Time, dims ...string) {
	s.Record(ctx, name, Seconds, time.Since(start).Seconds(), dims...)
}
