package vault_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

// countingTable counts the items its queries return: what a read of the log
// costs.
type countingTable struct {
	records.Table
	items atomic.Int64
}

func (c *countingTable) Query(ctx context.Context, q records.Query) ([]records.Item, error) {
	its, err := c.Table.Query(ctx, q)
	c.items.Add(int64(len(its)))
	return its, err
}

// logOf writes n reads by an officer into owner's log, one write each.
func logOf(t *testing.T, n int) (*vault.Service, *countingTable) {
	t.Helper()
	db := localtest.DB(t)
	ct := &countingTable{Table: db.Table()}
	mac, err := vault.NewFileMAC([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(ct, localtest.Bucket(t), &vault.Options{Log: slog.New(slog.DiscardHandler), MAC: mac})
	for i := 1; i <= n; i++ {
		if err := v.LogAccess(context.Background(), owner.Subject, fmt.Sprintf("dossier %d", i),
			vault.Access{Actor: "agency_officer:officer-hotich", Role: "agency_officer", Action: "read"}); err != nil {
			t.Fatal(err)
		}
	}
	return v, ct
}

// TestAuditPagesAreVerifiedFromCheckpoints: the access log reads a page at
// a time, newest first, with a cursor; every page is verified, and reading
// one costs the page and the entries to its checkpoints — not the whole
// chain, however long it has grown.
func TestAuditPagesAreVerifiedFromCheckpoints(t *testing.T) {
	const n, limit = 1000, 50
	v, ct := logOf(t, n)
	ctx := context.Background()
	var seqs []int64
	cursor, pages := "", 0
	for {
		ct.items.Store(0)
		pg, err := v.AuditPage(ctx, owner, cursor, limit)
		if err != nil {
			t.Fatal(err)
		}
		if !pg.Verification.Verified || !pg.Verification.Keyed {
			t.Fatalf("page %d: %+v", pages, pg.Verification)
		}
		if read := ct.items.Load(); read > limit+2*vault.CheckpointEvery+4 {
			t.Errorf("page %d read %d items of a %d-entry log: the whole chain, not the page and its checkpoints", pages, read, n)
		}
		for _, e := range pg.Entries {
			seqs = append(seqs, e.Seq)
		}
		pages++
		if pg.Next == "" {
			break
		}
		cursor = pg.Next
	}
	if len(seqs) != n || pages != n/limit {
		t.Fatalf("%d entries in %d pages, want %d in %d", len(seqs), pages, n, n/limit)
	}
	for i, s := range seqs {
		if s != int64(n-i) {
			t.Fatalf("entry %d of the pages is %d: not newest first without gaps", i, s)
		}
	}
	if _, err := v.AuditPage(ctx, owner, "x", limit); !errs.Is(err, errs.Invalid) {
		t.Errorf("a cursor the log never gave: %v", err)
	}
	if _, err := v.AuditPage(ctx, officer, "", limit); !errs.Is(err, errs.Forbidden) {
		t.Errorf("an officer's access log: %v", err)
	}
}

// TestAuditPageFindsTampering: an edited entry, a forged checkpoint and a
// cut tail each break the page that covers them.
func TestAuditPageFindsTampering(t *testing.T) {
	ctx := context.Background()
	pk := "AUDIT#" + owner.Subject
	tests := []struct {
		name    string
		tamper  func(t *testing.T, tb records.Table)
		cursor  string // the page that covers the damage
		brokeAt int64
	}{
		{"edited entry", func(t *testing.T, tb records.Table) {
			it, err := tb.Get(ctx, pk, "E#000000000100")
			if err != nil {
				t.Fatal(err)
			}
			it.Data = []byte(strings.Replace(string(it.Data), "dossier 100", "dossier 999", 1))
			if _, err := tb.Put(ctx, it); err != nil {
				t.Fatal(err)
			}
		}, "121", 100},
		{"forged checkpoint", func(t *testing.T, tb records.Table) {
			it, err := tb.Get(ctx, pk, "C#000000000064")
			if err != nil {
				t.Fatal(err)
			}
			it.Data = []byte(strings.Replace(string(it.Data), `"mac":"`, `"mac":"00`, 1))
			if _, err := tb.Put(ctx, it); err != nil {
				t.Fatal(err)
			}
		}, "115", 64},
		{"removed last entry", func(t *testing.T, tb records.Table) {
			if err := tb.Delete(ctx, pk, "E#000000000150", 0); err != nil {
				t.Fatal(err)
			}
		}, "", 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ct := logOf(t, 150)
			tt.tamper(t, ct.Table)
			pg, err := v.AuditPage(ctx, owner, tt.cursor, 50)
			if err != nil {
				t.Fatal(err)
			}
			if pg.Verification.Verified || pg.Verification.BrokenAt != tt.brokeAt || pg.Verification.Problem == "" {
				t.Fatalf("%+v, want broken at %d", pg.Verification, tt.brokeAt)
			}
		})
	}
}

// TestShareOpensAreCappedPerLinkAndHour: a share link opens at most
// DefaultShareOpensPerHour times an hour, each an entry in the owner's log;
// beyond, errs.TooMany and no entry; the next hour it opens again; another
// link of the same document has its own count.
func TestShareOpensAreCappedPerLinkAndHour(t *testing.T) {
	e := keyedEnv(t)
	// The store expires the counters by the wall clock.
	e.now = time.Now().Truncate(time.Hour)
	ctx := context.Background()
	d := e.issue(t, vault.NewDocument{Kind: "GKS"}, pdf)
	tok, _, err := e.v.CreateShare(ctx, owner, d.ID, vault.ShareRequest{TTL: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := e.v.CreateShare(ctx, owner, d.ID, vault.ShareRequest{TTL: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	logLen := func() int {
		es, _, err := e.v.Audit(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	before := logLen()
	for i := 0; i < vault.DefaultShareOpensPerHour; i++ {
		if _, _, err := e.v.OpenShare(ctx, tok); err != nil {
			t.Fatalf("opening %d: %v", i+1, err)
		}
	}
	for i := 0; i < 5; i++ {
		if _, _, err := e.v.OpenShare(ctx, tok); !errs.Is(err, errs.TooMany) {
			t.Fatalf("opening %d in the hour: %v, want TooMany", vault.DefaultShareOpensPerHour+i+1, err)
		}
	}
	if got := logLen() - before; got != vault.DefaultShareOpensPerHour {
		t.Errorf("%d entries for the hour's openings, want %d", got, vault.DefaultShareOpensPerHour)
	}
	if _, _, err := e.v.OpenShare(ctx, other); err != nil {
		t.Errorf("another link of the same document: %v", err)
	}
	e.now = e.now.Add(time.Hour)
	if _, _, err := e.v.OpenShare(ctx, tok); err != nil {
		t.Errorf("the next hour: %v", err)
	}
}
