package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/metrics"
)

// TestEMF checks the lines against the Embedded Metric Format's rules: the
// _aws directive names each metric and dimension set, and each of them is a
// top-level member of the line.
func TestEMF(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	ctx := logctx.WithDossier(logctx.WithRequest(context.Background(), "r-1"), "d-1")
	tests := []struct {
		name     string
		metric   string
		unit     string
		value    float64
		dims     []string
		wantSets [][]string
	}{
		{"finding by code", metrics.Findings, metrics.Count, 1, []string{"Code", "scan.blank"}, [][]string{{"Function", "Code"}}},
		{"stage seconds", metrics.StageSeconds, metrics.Seconds, 2.5, []string{"Stage", "ingest"}, [][]string{{"Function", "Stage"}}},
		{"dead letters also without dimensions", metrics.JobsDeadLettered, metrics.Count, 1, []string{"Topic", "ingest"}, [][]string{{"Function", "Topic"}, {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			metrics.NewEMF(&buf, "Function", "ingest").WithClock(func() time.Time { return at }).Record(ctx, tt.metric, tt.unit, tt.value, tt.dims...)
			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("%s: %v", buf.Bytes(), err)
			}
			var meta struct {
				AWS struct {
					Timestamp         int64
					CloudWatchMetrics []struct {
						Namespace  string
						Dimensions [][]string
						Metrics    []struct{ Name, Unit string }
					}
				} `json:"_aws"`
			}
			_ = json.Unmarshal(buf.Bytes(), &meta)
			cw := meta.AWS.CloudWatchMetrics
			if meta.AWS.Timestamp != at.UnixMilli() || len(cw) != 1 || cw[0].Namespace != metrics.Namespace {
				t.Fatalf("directive %+v", meta.AWS)
			}
			if !reflect.DeepEqual(cw[0].Dimensions, tt.wantSets) {
				t.Errorf("dimension sets %v, want %v", cw[0].Dimensions, tt.wantSets)
			}
			if len(cw[0].Metrics) != 1 || cw[0].Metrics[0].Name != tt.metric || cw[0].Metrics[0].Unit != tt.unit {
				t.Errorf("metrics %+v", cw[0].Metrics)
			}
			if line[tt.metric] != tt.value || line["Function"] != "ingest" || line[tt.dims[0]] != tt.dims[1] {
				t.Errorf("members %v", line)
			}
			if line[logctx.DossierKey] != "d-1" || line[logctx.RequestKey] != "r-1" {
				t.Errorf("IDs missing: %v", line)
			}
		})
	}
}
