package logctx_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/logctx"
)

func TestHandler(t *testing.T) {
	req := func() context.Context { return logctx.WithRequest(context.Background(), "req-1") }
	tests := []struct {
		name string
		ctx  context.Context
		want []string
		not  []string
	}{
		{"nothing", context.Background(), nil, []string{"dossierId", "requestId"}},
		{"request", req(), []string{"requestId=req-1"}, []string{"dossierId"}},
		{"dossier of a request", logctx.WithDossier(req(), "d-9"), []string{"requestId=req-1", "dossierId=d-9"}, nil},
		{"dossier alone", logctx.WithDossier(context.Background(), "d-8"), []string{"dossierId=d-8"}, []string{"requestId"}},
		{"a delivery keeps its dossier", logctx.WithRequest(logctx.WithDossier(context.Background(), "d-7"), "m-1"), []string{"dossierId=d-7", "requestId=m-1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(logctx.NewHandler(slog.NewTextHandler(&buf, nil))).With("k", "v")
			log.InfoContext(tt.ctx, "hello")
			line := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(line, w) {
					t.Errorf("%q lacks %q", line, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(line, n) {
					t.Errorf("%q has %q", line, n)
				}
			}
		})
	}
}

// TestDossierTagsTheRequest: a dossier learned inside a request also tags
// the request's own closing line, logged with the request's context.
func TestDossierTagsTheRequest(t *testing.T) {
	req := logctx.WithRequest(context.Background(), "req-2")
	_ = logctx.WithDossier(req, "d-1")
	_ = logctx.WithDossier(req, "d-2") // the first one stays the request's
	if got := logctx.Dossier(req); got != "d-1" {
		t.Errorf("request's dossier %q, want d-1", got)
	}
	if got := logctx.Request(req); got != "req-2" {
		t.Errorf("request %q", got)
	}
}
