package dossier_test

import (
	"context"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// A post office's clerks list the dossiers it received today, newest first
// and with their current status; other offices' clerks, officers and
// citizens do not.
func TestOfficeDay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// 23:30 in Hanoi on Sunday, then Monday morning twice: the day is Hanoi's.
	e.now = time.Date(2026, 11, 22, 16, 30, 0, 0, time.UTC)
	yesterday := e.create(t)
	e.now = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	first := e.create(t)
	e.now = e.now.Add(time.Hour)
	second := e.create(t)
	colleague := identity.Actor{Subject: "clerk-02", Role: identity.Clerk, PostOffice: clerk.PostOffice}
	elsewhere := identity.Actor{Subject: "clerk-99", Role: identity.Clerk, PostOffice: "Bưu cục khác"}
	tests := []struct {
		name string
		who  identity.Actor
		day  time.Time
		want []string
		err  errs.Kind
	}{
		{"today", clerk, time.Time{}, []string{second.Code, first.Code}, errs.Internal},
		{"a colleague of the office", colleague, e.now, []string{second.Code, first.Code}, errs.Internal},
		{"yesterday", clerk, e.now.AddDate(0, 0, -1), []string{yesterday.Code}, errs.Internal},
		{"another post office", elsewhere, e.now, []string{}, errs.Internal},
		{"an officer", officer, e.now, nil, errs.Forbidden},
		{"a citizen", owner, e.now, nil, errs.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := e.svc.OfficeDay(ctx, tt.who, tt.day)
			if tt.err != errs.Internal {
				if !errs.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, d := range ds {
				got = append(got, d.Code)
				if d.Status != dossier.Received {
					t.Errorf("%s is %s", d.Code, d.Status)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("listed %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("listed %v, want %v", got, tt.want)
				}
			}
		})
	}
}
