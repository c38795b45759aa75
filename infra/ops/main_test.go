package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/local/sqlite"
)

// TestEndSessions: an operator signs a person out everywhere at once; the
// sessions of others go on.
func TestEndSessions(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "sohoa.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := identity.NewSessions(db.Table(), bytes.Repeat([]byte("k"), identity.MinSessionKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	mai := identity.Actor{Subject: "clerk-01", Role: identity.Clerk, Name: "Trần Thị Mai"}
	binh := identity.Actor{Subject: "clerk-02", Role: identity.Clerk, Name: "Lê Văn Bình"}
	until := time.Now().Add(time.Hour)
	var maiTokens []string
	for range 2 { // two browsers
		tok, err := s.Start(ctx, mai, until)
		if err != nil {
			t.Fatal(err)
		}
		maiTokens = append(maiTokens, tok)
	}
	binhToken, err := s.Start(ctx, binh, until)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		args    []string
		wantErr bool
		out     string
	}{
		{[]string{"-data", dir, "end-sessions", "clerk-01"}, false, "clerk-01: every session ended"},
		{[]string{"-data", dir, "end-sessions", ""}, true, ""},
		{[]string{"-data", filepath.Join(dir, "none"), "end-sessions", "clerk-01"}, true, ""},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		err := run(ctx, tt.args, &out, func(string) string { return "" })
		if (err != nil) != tt.wantErr || !strings.Contains(out.String(), tt.out) {
			t.Errorf("ops %q = %v, %q", tt.args, err, out.String())
		}
	}
	for _, tok := range maiTokens {
		if _, err := s.Check(ctx, tok); err == nil {
			t.Error("a session of the signed-out person still opens")
		}
	}
	if _, err := s.Check(ctx, binhToken); err != nil {
		t.Errorf("another person's session ended: %v", err)
	}
}
