package vault_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

var (
	owner   = identity.Actor{Subject: "001203012345", Role: identity.Citizen}
	another = identity.Actor{Subject: "079090000001", Role: identity.Citizen}
	officer = identity.Actor{Subject: "officer-hotich", Role: identity.Officer, Agency: "000.21.29.H29"}
	pdf     = []byte("%PDF-1.7\nsigned result\n%%EOF\n")
)

type env struct {
	v   *vault.Service
	t   records.Table
	b   *blob.Bucket
	now time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := localtest.DB(t)
	b := localtest.Bucket(t)
	e := &env{b: b, now: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)}
	// One clock judges every record: the table expires items by the test's.
	e.t = db.Table().WithClock(func() time.Time { return e.now })
	e.v = vault.New(e.t, b, &vault.Options{Now: func() time.Time { return e.now }, Log: slog.New(slog.DiscardHandler)})
	return e
}

func (e *env) issue(t *testing.T, n vault.NewDocument, content []byte) *vault.Document {
	t.Helper()
	if n.Owner == "" {
		n.Owner = owner.Subject
	}
	d, err := e.v.Issue(context.Background(), n, content)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestShareLifetime(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := e.issue(t, vault.NewDocument{Kind: "GKS", Title: "Giấy khai sinh"}, pdf)
	tok, sh, err := e.v.CreateShare(ctx, owner, d.ID, vault.ShareRequest{TTL: 10 * time.Minute, Recipient: "Ngân hàng A", Purpose: "mở tài khoản"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) < 22 || strings.Contains(sh.TokenHash, tok) {
		t.Fatalf("token %q too short or stored in clear", tok)
	}
	tests := []struct {
		name  string
		at    time.Duration // after creation
		token string
		want  errs.Kind // 0: served
	}{
		{"fresh", time.Minute, tok, 0},
		{"just before expiry", 10*time.Minute - time.Second, tok, 0},
		{"at expiry", 10 * time.Minute, tok, errs.Gone},
		{"long after", 30 * 24 * time.Hour, tok, errs.Gone},
		{"unknown token", time.Minute, tok + "x", errs.NotFound},
	}
	start := e.now
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.now = start.Add(tt.at)
			_, b, err := e.v.OpenShare(ctx, tt.token)
			if tt.want == 0 {
				if err != nil || !bytes.Equal(b, pdf) {
					t.Fatalf("OpenShare: %v", err)
				}
				return
			}
			if !errs.Is(err, tt.want) {
				t.Fatalf("OpenShare err = %v, want %v", err, tt.want)
			}
		})
	}
	e.now = start
	if err := e.v.RevokeShare(ctx, another, d.ID, tok); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another citizen revoking: %v", err)
	}
	if err := e.v.RevokeShare(ctx, owner, d.ID, tok); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.v.OpenShare(ctx, tok); !errs.Is(err, errs.Gone) {
		t.Fatalf("revoked share: %v, want Gone", err)
	}
	for _, ttl := range []time.Duration{0, time.Second, 31 * 24 * time.Hour} {
		if _, _, err := e.v.CreateShare(ctx, owner, d.ID, vault.ShareRequest{TTL: ttl}); !errs.Is(err, errs.Invalid) {
			t.Errorf("TTL %v accepted", ttl)
		}
	}
}

func TestAuditChain(t *testing.T) {
	ctx := context.Background()
	tamper := []struct {
		name string
		do   func(t *testing.T, tb records.Table)
		want string
	}{
		{"untouched", func(*testing.T, records.Table) {}, ""},
		{"altered entry", func(t *testing.T, tb records.Table) {
			it, err := tb.Get(ctx, "AUDIT#"+owner.Subject, "E#000000000002")
			if err != nil {
				t.Fatal(err)
			}
			var page []map[string]any // one write's page of entries
			if err := json.Unmarshal(it.Data, &page); err != nil || len(page) != 1 {
				t.Fatalf("page: %v %s", err, it.Data)
			}
			page[0]["actor"] = "someone else"
			it.Data, _ = json.Marshal(page)
			if _, err := tb.Put(ctx, it); err != nil {
				t.Fatal(err)
			}
		}, "entry 2 was altered"},
		{"deleted middle entry", func(t *testing.T, tb records.Table) {
			if err := tb.Delete(ctx, "AUDIT#"+owner.Subject, "E#000000000002", 0); err != nil {
				t.Fatal(err)
			}
		}, "entry 2 is missing"},
		{"deleted last entry", func(t *testing.T, tb records.Table) {
			if err := tb.Delete(ctx, "AUDIT#"+owner.Subject, "E#000000000004", 0); err != nil {
				t.Fatal(err)
			}
		}, "removed"},
	}
	for _, tt := range tamper {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			d := e.issue(t, vault.NewDocument{Kind: "GKS"}, pdf)
			tok, _, err := e.v.CreateShare(ctx, owner, d.ID, vault.ShareRequest{TTL: time.Hour, Recipient: "Ngân hàng A"}) // entry 1
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.v.Content(ctx, owner, d.ID); err != nil { // 2
				t.Fatal(err)
			}
			if _, _, err := e.v.OpenShare(ctx, tok); err != nil { // 3
				t.Fatal(err)
			}
			if _, _, err := e.v.ReadForDossier(ctx, officer, owner.Subject, d.ID, "000.21.29.H29-261123-0001"); err != nil { // 4
				t.Fatal(err)
			}
			es, _, err := e.v.Audit(ctx, owner)
			if err != nil || len(es) != 4 {
				t.Fatalf("audit = %d entries, %v", len(es), err)
			}
			wantActions := []string{"share-created", "download", "download", "read"}
			for i, en := range es {
				if en.Action != wantActions[i] || en.Seq != int64(i+1) {
					t.Errorf("entry %d = %s/%d, want %s", i+1, en.Action, en.Seq, wantActions[i])
				}
			}
			if !strings.Contains(es[2].Actor, "Ngân hàng A") || es[3].Purpose != "dossier 000.21.29.H29-261123-0001" {
				t.Errorf("share and agency reads not labelled: %+v", es)
			}
			tt.do(t, e.t)
			err = e.v.VerifyAudit(ctx, owner.Subject)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("VerifyAudit: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("VerifyAudit = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestAlteredBytesAreRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := e.issue(t, vault.NewDocument{Kind: "GKS"}, pdf)
	if err := e.b.WriteAll(ctx, d.Key, append([]byte(nil), append(pdf, ' ')...), nil); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.v.Content(ctx, owner, d.ID)
	if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("Content of altered bytes: %v", err)
	}
	es, _, _ := e.v.Audit(ctx, owner)
	if len(es) != 1 || es[0].Action != "refused-integrity" {
		t.Fatalf("the refusal is not in the log: %+v", es)
	}
}

func TestReissueKeepsHistoryAndReuse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := e.issue(t, vault.NewDocument{Kind: "LLTP", DossierID: "d1", ValidUntil: e.now.Add(180 * 24 * time.Hour)}, pdf)
	e.now = e.now.Add(time.Hour)
	second := e.issue(t, vault.NewDocument{Kind: "LLTP", DossierID: "d1", ValidUntil: e.now.Add(180 * 24 * time.Hour)}, append(pdf, '\n'))
	if second.ID != first.ID || second.Version != 2 || len(second.History) != 1 || second.History[0].SHA256 != first.SHA256 {
		t.Fatalf("re-issue = %+v", second)
	}
	_, old, err := e.v.VersionContent(ctx, owner, second.ID, 1)
	if err != nil || !bytes.Equal(old, pdf) {
		t.Fatalf("earlier version not readable: %v", err)
	}
	if _, _, err := e.v.VersionContent(ctx, another, second.ID, 1); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another citizen reads an earlier version: %v", err)
	}
	if _, _, err := e.v.VersionContent(ctx, owner, second.ID, 9); !errs.Is(err, errs.NotFound) {
		t.Fatalf("version 9: %v", err)
	}
	e.now = e.now.Add(time.Minute)
	other := e.issue(t, vault.NewDocument{Kind: "LLTP", DossierID: "d2", ValidUntil: e.now.Add(time.Hour)}, pdf)
	got, err := e.v.Reusable(ctx, owner.Subject, "LLTP", e.now)
	if err != nil || got.ID != other.ID {
		t.Fatalf("Reusable = %v, %v; want the newest (%s)", got, err, other.ID)
	}
	e.now = e.now.Add(2 * time.Hour) // the newest has expired: the older one is still valid
	if got, err := e.v.Reusable(ctx, owner.Subject, "LLTP", e.now); err != nil || got.ID != first.ID {
		t.Fatalf("Reusable after expiry = %v, %v", got, err)
	}
	if _, err := e.v.Reusable(ctx, another.Subject, "LLTP", e.now); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another citizen's reuse: %v", err)
	}
	list, _ := e.v.List(ctx, owner, vault.Filter{Kind: "LLTP", ValidOnly: true})
	if len(list) != 1 || list[0].ID != first.ID {
		t.Fatalf("valid LLTP = %+v", list)
	}
}

func TestHide(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := e.issue(t, vault.NewDocument{Kind: "GKS"}, pdf)
	if err := e.v.Hide(ctx, another, d.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another citizen hides: %v", err)
	}
	if err := e.v.Hide(ctx, owner, d.ID); err != nil {
		t.Fatal(err)
	}
	if l, _ := e.v.List(ctx, owner, vault.Filter{}); len(l) != 0 {
		t.Fatalf("hidden document still listed")
	}
	// Hidden means hidden: no agency reads it through a dossier, no dossier
	// reuses it; the archival bytes stay in storage.
	if _, _, err := e.v.ReadForDossier(ctx, officer, owner.Subject, d.ID, "X"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("a hidden document was served to an officer: %v", err)
	}
	if _, err := e.v.Reusable(ctx, owner.Subject, "GKS", e.now); !errs.Is(err, errs.NotFound) {
		t.Fatalf("a hidden document is reusable: %v", err)
	}
	if b, err := e.b.ReadAll(ctx, d.Key); err != nil || !bytes.Equal(b, pdf) {
		t.Fatalf("archival copy gone: %v", err)
	}
	es, _, _ := e.v.Audit(ctx, owner)
	if len(es) == 0 || es[0].Action != "hide" {
		t.Fatalf("hiding not logged: %+v", es)
	}
}

func TestSharesList(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := e.issue(t, vault.NewDocument{Kind: "GKS", Title: "Giấy khai sinh"}, pdf)
	_, short, err := e.v.CreateShare(ctx, owner, d.ID, vault.ShareRequest{TTL: 10 * time.Minute, Recipient: "Ngân hàng A"})
	if err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Second)
	tokLong, long, err := e.v.CreateShare(ctx, owner, d.ID, vault.ShareRequest{TTL: 24 * time.Hour, Recipient: "Sở Tư pháp"})
	if err != nil {
		t.Fatal(err)
	}
	hashes := func(a identity.Actor) []string {
		t.Helper()
		shs, err := e.v.Shares(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, sh := range shs {
			out = append(out, sh.ID)
		}
		return out
	}
	id := func(sh *vault.Share) string { return sh.TokenHash[:16] }
	if got := hashes(owner); len(got) != 2 || got[0] != id(long) || got[1] != id(short) {
		t.Fatalf("live shares = %v, want the newest first", got)
	}
	if got := hashes(another); len(got) != 0 {
		t.Fatalf("another citizen sees %v", got)
	}
	if _, err := e.v.Shares(ctx, officer); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("an officer listing shares: %v", err)
	}
	// Expired: gone from the list.
	e.now = e.now.Add(11 * time.Minute)
	if got := hashes(owner); len(got) != 1 || got[0] != id(long) {
		t.Fatalf("after the short one expired: %v", got)
	}
	// Revoked by its listed ID: gone from the list, and the link no longer opens.
	if err := e.v.RevokeShare(ctx, another, d.ID, id(long)); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another citizen revoking by ID: %v", err)
	}
	if err := e.v.RevokeShare(ctx, owner, d.ID, id(long)); err != nil {
		t.Fatal(err)
	}
	if got := hashes(owner); len(got) != 0 {
		t.Fatalf("after revocation: %v", got)
	}
	if _, _, err := e.v.OpenShare(ctx, tokLong); !errs.Is(err, errs.Gone) {
		t.Fatalf("revoked link opens: %v", err)
	}
}
