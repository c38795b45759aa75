package vault_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/port/records"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

func keyedEnv(t *testing.T) *env {
	t.Helper()
	db := localtest.DB(t)
	b := localtest.Bucket(t)
	mac, err := vault.NewFileMAC([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: db.Table(), b: b, now: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)}
	e.v = vault.New(db.Table(), b, &vault.Options{Now: func() time.Time { return e.now }, Log: slog.New(slog.DiscardHandler), MAC: mac})
	return e
}

// rechain rewrites owner's whole log as someone holding the database but not
// the key would: entries renumbered and rehashed, the head repointed. The
// unkeyed chain of old verified after this.
func rechain(t *testing.T, tb records.Table, ownerID string, keep func(e map[string]any) bool) {
	t.Helper()
	ctx := context.Background()
	pk := "AUDIT#" + ownerID
	its, err := tb.Query(ctx, records.Query{PK: pk, SKPrefix: "E#"})
	if err != nil {
		t.Fatal(err)
	}
	prev, seq := "", int64(0)
	for _, it := range its {
		if err := tb.Delete(ctx, pk, it.SK, 0); err != nil {
			t.Fatal(err)
		}
	}
	var all []json.RawMessage
	for _, it := range its {
		var page []json.RawMessage
		if err := json.Unmarshal(it.Data, &page); err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
	}
	for _, raw := range all {
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		if !keep(m) {
			continue
		}
		seq++
		var e vault.Entry
		_ = json.Unmarshal(raw, &e)
		e.Seq, e.Prev, e.MAC = seq, prev, ""
		// The chain's hash is public knowledge (SHA-256 over the fields).
		h := sha256.New()
		fmt.Fprintf(h, "%s\n%d\n%s\n%s\n%s\n%s\n%s\n%s", e.Prev, e.Seq, e.Document, e.Actor, e.Role, e.Action, e.Purpose, e.At.UTC().Format(time.RFC3339Nano))
		if e.Field != "" {
			fmt.Fprintf(h, "\nfield:%s", e.Field)
		}
		e.Hash = hex.EncodeToString(h.Sum(nil))
		// A MAC under a key the attacker guessed (not ours).
		m2 := hmac.New(sha256.New, []byte("not the key"))
		m2.Write([]byte(e.Hash))
		e.MAC = hex.EncodeToString(m2.Sum(nil))
		prev = e.Hash
		data, _ := json.Marshal(e)
		if _, err := tb.Put(ctx, records.Item{PK: pk, SK: fmt.Sprintf("E#%012d", seq), Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	hd, err := tb.Get(ctx, pk, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	last, _ := json.Marshal(map[string]any{"seq": seq, "hash": prev})
	hd.Data = last
	if _, err := tb.Put(ctx, hd); err != nil {
		t.Fatal(err)
	}
}

// TestRewrittenLogIsDetected: deleting an officer's read and recomputing the
// chain passed verification when the chain was unkeyed; with the MAC it is
// reported by Audit (what GET /v1/vault/audit answers), as is an edited row.
func TestRewrittenLogIsDetected(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		do   func(t *testing.T, tb records.Table)
	}{
		{"nothing", func(t *testing.T, tb records.Table) {}},
		{"officer's read deleted, chain recomputed", func(t *testing.T, tb records.Table) {
			rechain(t, tb, owner.Subject, func(m map[string]any) bool { return m["role"] != "agency_officer" })
		}},
		{"an actor edited", func(t *testing.T, tb records.Table) {
			it, err := tb.Get(ctx, "AUDIT#"+owner.Subject, "E#000000000002")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(it.Data), "citizen") {
				t.Fatalf("entry 2: %s", it.Data)
			}
			it.Data = []byte(strings.Replace(string(it.Data), "citizen", "someone", 1))
			if _, err := tb.Put(ctx, it); err != nil {
				t.Fatal(err)
			}
		}},
		{"row corrupted", func(t *testing.T, tb records.Table) {
			it, _ := tb.Get(ctx, "AUDIT#"+owner.Subject, "E#000000000001")
			it.Data = []byte("{not json")
			if _, err := tb.Put(ctx, it); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := keyedEnv(t)
			d := e.issue(t, vault.NewDocument{Kind: "GKS"}, pdf)
			if _, _, err := e.v.Content(ctx, owner, d.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.v.Content(ctx, owner, d.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.v.ReadForDossier(ctx, officer, owner.Subject, d.ID, "000.21.29.H29-261123-0001"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.v.Content(ctx, owner, d.ID); err != nil {
				t.Fatal(err)
			}
			tt.do(t, e.t)
			_, v, err := e.v.Audit(ctx, owner)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.name == "nothing"; v.Verified != want || !v.Keyed {
				t.Fatalf("verdict %+v, want verified=%v", v, want)
			}
			if !v.Verified && (v.BrokenAt == 0 || v.Problem == "") {
				t.Fatalf("a broken log without its first broken entry: %+v", v)
			}
		})
	}
}

// TestConcurrentReadersAllLogged: 200 readers of one citizen at once all get
// their document (no "busy" refusals) and each read is in the log exactly
// once, in a verified chain.
func TestConcurrentReadersAllLogged(t *testing.T) {
	e := keyedEnv(t)
	ctx := context.Background()
	d := e.issue(t, vault.NewDocument{Kind: "GKS", DossierID: "d1"}, pdf)
	const n = 200
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			off := officer
			off.Subject = fmt.Sprintf("officer-%03d", i)
			if _, _, err := e.v.ReadForDossier(ctx, off, owner.Subject, d.ID, "X"); err != nil {
				errc <- err
			}
		}(i)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("a read failed under load: %v", err)
	}
	es, v, err := e.v.Audit(ctx, owner)
	if err != nil || !v.Verified {
		t.Fatalf("audit: %v %+v", err, v)
	}
	seen := map[string]int{}
	for _, en := range es {
		seen[en.Actor]++
	}
	for i := 0; i < n; i++ {
		if c := seen[fmt.Sprintf("agency_officer:officer-%03d", i)]; c != 1 {
			t.Fatalf("read %d logged %d times", i, c)
		}
	}
	// Group commit wrote pages of many entries; taking one read out of the
	// middle of a page is detected like any other rewrite.
	its, err := e.t.Query(ctx, records.Query{PK: "AUDIT#" + owner.Subject, SKPrefix: "E#"})
	if err != nil {
		t.Fatal(err)
	}
	var biggest records.Item
	var page []json.RawMessage
	for _, it := range its {
		var p []json.RawMessage
		if json.Unmarshal(it.Data, &p) == nil && len(p) > len(page) {
			biggest, page = it, p
		}
	}
	if len(page) < 3 || len(its) > n/2 {
		t.Fatalf("%d pages for %d entries, the largest of %d: no group commit", len(its), n, len(page))
	}
	page = append(page[:1], page[2:]...)
	biggest.Data, _ = json.Marshal(page)
	if _, err := e.t.Put(ctx, biggest); err != nil {
		t.Fatal(err)
	}
	if _, v, _ := e.v.Audit(ctx, owner); v.Verified {
		t.Fatal("a read taken out of a page went unnoticed")
	}
}

// TestIssueIsIdempotentByKey: issuing the same thing again (a redelivered
// job) adds nothing; other bytes under the same key (a crashed attempt that
// certified again) replace the current version in place; racing issuers of
// one dossier's document meet on one record.
func TestIssueIsIdempotentByKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	n := vault.NewDocument{Owner: owner.Subject, Kind: "CCCD", DossierID: "d1", IssueKey: "scan:k#CCCD", Certified: true}
	first := e.issue(t, n, pdf)
	again := e.issue(t, n, pdf)
	other := e.issue(t, n, append(pdf, '\n'))
	if again.ID != first.ID || again.Version != 1 || other.ID != first.ID || other.Version != 1 || len(other.History) != 0 {
		t.Fatalf("re-issues: %+v %+v", again, other)
	}
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			d, err := e.v.Issue(ctx, vault.NewDocument{Owner: owner.Subject, Kind: "TKKS", DossierID: "d2", IssueKey: "scan:k#TKKS"}, pdf)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = d.ID
		}(i)
	}
	wg.Wait()
	list, _ := e.v.List(ctx, owner, vault.Filter{Kind: "TKKS"})
	if len(list) != 1 || list[0].Version != 1 {
		t.Fatalf("racing issuers made %d documents: %+v", len(list), list)
	}
}

// TestSharesListed: the citizen sees their live links, not expired or revoked ones.
func TestSharesListed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := e.issue(t, vault.NewDocument{Kind: "GKS"}, pdf)
	live, _, err := e.v.CreateShare(ctx, owner, d.ID, vault.ShareRequest{TTL: time.Hour, Recipient: "Ngân hàng A"})
	if err != nil {
		t.Fatal(err)
	}
	gone, _, _ := e.v.CreateShare(ctx, owner, d.ID, vault.ShareRequest{TTL: time.Hour})
	if err := e.v.RevokeShare(ctx, owner, d.ID, gone); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.v.CreateShare(ctx, owner, d.ID, vault.ShareRequest{TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(2 * time.Minute)
	sh, err := e.v.Shares(ctx, owner)
	if err != nil || len(sh) != 1 || sh[0].Recipient != "Ngân hàng A" {
		t.Fatalf("shares = %+v %v", sh, err)
	}
	if other, _ := e.v.Shares(ctx, another); len(other) != 0 {
		t.Fatalf("another citizen sees %d links", len(other))
	}
	// A listed link is revoked by its ID (the owner may no longer hold the token).
	if err := e.v.RevokeShare(ctx, another, d.ID, sh[0].ID); err == nil {
		t.Fatal("another citizen revoked the link")
	}
	if err := e.v.RevokeShare(ctx, owner, d.ID, sh[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.v.OpenShare(ctx, live); err == nil {
		t.Fatal("a link revoked by its ID still opens")
	}
	if left, _ := e.v.Shares(ctx, owner); len(left) != 0 {
		t.Fatalf("still listed: %+v", left)
	}
}

// TestConsentCoversItsKinds: a consent granted for the CCCD does not cover a
// second kind a later scan lacks; that needs the citizen again.
func TestConsentCoversItsKinds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r, err := e.v.RequestReuse(ctx, owner.Subject, vault.ReuseRequest{DossierID: "d1", DossierCode: "X", Kinds: []string{"CCCD"}})
	if err != nil || r.Status != vault.ReusePending {
		t.Fatalf("%+v %v", r, err)
	}
	if r, err = e.v.DecideReuse(ctx, owner, "d1", true); err != nil || r.Status != vault.ReuseGranted {
		t.Fatalf("%+v %v", r, err)
	}
	if r, _ = e.v.RequestReuse(ctx, owner.Subject, vault.ReuseRequest{DossierID: "d1", DossierCode: "X", Kinds: []string{"CCCD"}}); r.Status != vault.ReuseGranted {
		t.Fatalf("asked again: %+v", r)
	}
	r, err = e.v.RequestReuse(ctx, owner.Subject, vault.ReuseRequest{DossierID: "d1", DossierCode: "X", Kinds: []string{"CCCD", "GKS"}})
	if err != nil || r.Status != vault.ReusePending || len(r.Kinds) != 2 {
		t.Fatalf("more kinds: %+v %v", r, err)
	}
}

// TestCutTailIsDetected: the last reads cut off and the head reset to the
// earlier entry's head, whose MAC is valid: the anchor kept outside the
// records store still names the later entry.
func TestCutTailIsDetected(t *testing.T) {
	e := keyedEnv(t)
	ctx := context.Background()
	d := e.issue(t, vault.NewDocument{Kind: "GKS"}, pdf)
	if _, _, err := e.v.Content(ctx, owner, d.ID); err != nil { // entry 1
		t.Fatal(err)
	}
	pk := "AUDIT#" + owner.Subject
	h1, err := e.t.Get(ctx, pk, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.v.ReadForDossier(ctx, officer, owner.Subject, d.ID, "000.21.29.H29-261123-0001"); err != nil { // entry 2
		t.Fatal(err)
	}
	if err := e.t.Delete(ctx, pk, "E#000000000002", 0); err != nil {
		t.Fatal(err)
	}
	cur, _ := e.t.Get(ctx, pk, "HEAD")
	h1.Version = cur.Version
	if _, err := e.t.Put(ctx, h1); err != nil {
		t.Fatal(err)
	}
	es, v, err := e.v.Audit(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || v.Verified || v.BrokenAt != 2 {
		t.Fatalf("cut log: %d entries, %+v", len(es), v)
	}
}

// TestRetentionPerKind: each document's bytes are locked for its kind's
// retention (a signed result longer than a certified copy) through the Lock
// port; a store that cannot lock refuses the write instead of storing the
// document unlocked.
func TestRetentionPerKind(t *testing.T) {
	db := localtest.DB(t)
	b := localtest.Bucket(t)
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	var asked []time.Time
	v := vault.New(db.Table(), b, &vault.Options{Now: func() time.Time { return now },
		Retention: func(kind string, signed bool) time.Duration {
			if signed {
				return 75 * 365 * 24 * time.Hour
			}
			return 10 * 365 * 24 * time.Hour
		},
		Lock: func(until time.Time) func(func(any) bool) error {
			asked = append(asked, until)
			return func(func(any) bool) error { return nil }
		}})
	ctx := context.Background()
	res, err := v.Issue(ctx, vault.NewDocument{Owner: owner.Subject, Kind: "GKS", Signed: true}, pdf)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := v.Issue(ctx, vault.NewDocument{Owner: owner.Subject, Kind: "CCCD", Certified: true}, pdf)
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 || !asked[0].Equal(now.Add(75*365*24*time.Hour)) || !asked[1].Equal(now.Add(10*365*24*time.Hour)) ||
		!res.RetainUntil.Equal(asked[0]) || !cp.RetainUntil.Equal(asked[1]) {
		t.Fatalf("locks asked %v; result %v, copy %v", asked, res.RetainUntil, cp.RetainUntil)
	}
	// On the local file store the lock cannot be taken: the issue fails.
	strict := vault.New(db.Table(), b, &vault.Options{Retention: func(string, bool) time.Duration { return time.Hour },
		Lock: func(until time.Time) func(func(any) bool) error {
			return func(as func(any) bool) error {
				var p *int
				if !as(&p) {
					return fmt.Errorf("not S3")
				}
				return nil
			}
		}})
	if _, err := strict.Issue(ctx, vault.NewDocument{Owner: owner.Subject, Kind: "X"}, pdf); err == nil {
		t.Fatal("a document was stored without the lock it needs")
	}
}
