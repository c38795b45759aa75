package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

func TestSessions(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	table := localtest.DB(t).Table().WithClock(clock)
	key := []byte(strings.Repeat("k", identity.MinSessionKey))
	s, err := identity.NewSessions(table, key, clock)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := identity.NewSessions(table, []byte(strings.Repeat("o", identity.MinSessionKey)), clock)
	an := identity.Actor{Subject: "001203012345", Role: identity.Citizen, Name: "Nguyễn Văn An"}
	mai := identity.Actor{Subject: "clerk-01", Role: identity.Clerk, Name: "Trần Thị Mai"}
	start := func(a identity.Actor) string {
		t.Helper()
		tok, err := s.Start(ctx, a, now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tests := []struct {
		name string
		// live returns a token and what happened to it; ok: the session still holds.
		live func() (tok string, check *identity.Sessions)
		ok   bool
	}{
		{"fresh", func() (string, *identity.Sessions) { return start(an), s }, true},
		{"signed out", func() (string, *identity.Sessions) {
			tok := start(an)
			if err := s.End(ctx, tok); err != nil {
				t.Fatal(err)
			}
			return tok, s
		}, false},
		{"account disabled", func() (string, *identity.Sessions) {
			tok := start(mai)
			start(mai)
			if err := s.EndAll(ctx, mai.Subject); err != nil {
				t.Fatal(err)
			}
			return tok, s
		}, false},
		{"expired", func() (string, *identity.Sessions) {
			tok, err := s.Start(ctx, an, now.Add(time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			later := now.Add(2 * time.Minute)
			past, _ := identity.NewSessions(table, key, func() time.Time { return later })
			return tok, past
		}, false},
		{"another key", func() (string, *identity.Sessions) { return start(an), other }, false},
		{"tampered", func() (string, *identity.Sessions) {
			tok := start(an)
			return "A" + tok[1:], s
		}, false},
		{"made up", func() (string, *identity.Sessions) { return "abc.def", s }, false},
		{"empty", func() (string, *identity.Sessions) { return "", s }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, check := tt.live()
			a, err := check.Check(ctx, tok)
			if tt.ok != (err == nil) {
				t.Fatalf("Check = %+v, %v; want ok=%v", a, err, tt.ok)
			}
			if err != nil && !errs.Is(err, errs.Unauthorized) {
				t.Errorf("refusal is %v, want Unauthorized", err)
			}
		})
	}
	// Ending one person's sessions leaves the others'.
	keep := start(an)
	if err := s.EndAll(ctx, mai.Subject); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Check(ctx, keep); err != nil {
		t.Errorf("another person's session ended: %v", err)
	}
	if _, err := s.Start(ctx, an, now); err == nil {
		t.Error("a session that ends when it starts was started")
	}
	if _, err := identity.NewSessions(table, []byte("short"), nil); err == nil {
		t.Error("a short key was accepted")
	}
	if err := s.End(ctx, "made.up"); err != nil {
		t.Errorf("ending a made-up session: %v", err)
	}
}
