package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/app"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

func TestBuild(t *testing.T) {
	db := localtest.DB(t)
	b := localtest.Bucket(t)
	ctx := context.Background()
	if _, err := app.Build(ctx, app.Ports{Dossiers: b}, app.Options{}); err == nil ||
		!strings.Contains(err.Error(), "Records") || !strings.Contains(err.Error(), "Queue") {
		t.Fatalf("missing ports: %v, want both named", err)
	}
	tests := []struct {
		name  string
		now   time.Time
		vault bool
		ok    bool
	}{
		{"with the vault", time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC), true, true},
		{"without the vault (notify, report)", time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC), false, true},
		{"holiday data too short", time.Date(2027, 11, 1, 2, 0, 0, 0, time.UTC), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := func() time.Time { return tt.now }
			p := app.Ports{Records: db.Table().WithClock(now), Dossiers: b, Queue: db.Queue()}
			if tt.vault {
				p.Vault = b
			}
			a, err := app.Build(ctx, p, app.Options{Now: now})
			if !tt.ok {
				if err == nil || !strings.Contains(err.Error(), "2028") {
					t.Fatalf("Build = %v, want the missing year named", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (a.Vault != nil) != tt.vault || a.Dossiers == nil || a.Catalog == nil || a.Calendar == nil {
				t.Fatalf("app %+v", a)
			}
			if err := a.Ready(ctx); err != nil {
				t.Fatalf("Ready: %v", err)
			}
		})
	}
}
