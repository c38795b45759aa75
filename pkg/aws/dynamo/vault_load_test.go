package dynamo

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

// TestVaultReadsUnderLoad: 200 readers of one citizen's documents at once (20 reads each),
// through two vault instances (two Lambdas) on one DynamoDB table: no read
// fails, each is in the citizen's access log exactly once, and the log (one
// head item, the hot key) verifies.
func TestVaultReadsUnderLoad(t *testing.T) {
	tb := newTable(t, testClient(t))
	bucket := localtest.Bucket(t)
	mac, err := vault.NewFileMAC([]byte(strings.Repeat("m", 32)))
	if err != nil {
		t.Fatal(err)
	}
	opts := &vault.Options{MAC: mac, Log: slog.New(slog.DiscardHandler)}
	lambdas := []*vault.Service{vault.New(tb, bucket, opts), vault.New(tb, bucket, opts)}
	ctx := context.Background()
	owner := identity.Actor{Subject: "001203012345", Role: identity.Citizen}
	doc, err := lambdas[0].Issue(ctx, vault.NewDocument{Owner: owner.Subject, Kind: "GKS"}, []byte("%PDF-1.7\nresult\n%%EOF\n"))
	if err != nil {
		t.Fatal(err)
	}
	const clients, each = 200, 20
	var wg sync.WaitGroup
	errc := make(chan error, clients*each)
	lat := make([][]time.Duration, clients)
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				t0 := time.Now()
				if _, _, err := lambdas[c%2].Content(ctx, owner, doc.ID); err != nil {
					errc <- err
					continue
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}(c)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("a read failed under load: %v", err)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	t.Logf("%d reads by %d clients through 2 instances in %v: 0 errors, p50 %v, p99 %v", len(all), clients,
		time.Since(start).Round(time.Millisecond), all[len(all)/2].Round(time.Millisecond), all[len(all)*99/100].Round(time.Millisecond))
	es, v, err := lambdas[1].Audit(ctx, owner)
	if err != nil || !v.Verified {
		t.Fatalf("audit: %v %+v", err, v)
	}
	if n := len(es); n != clients*each {
		t.Fatalf("%d entries for %d reads", n, clients*each)
	}
	for i, e := range es {
		if e.Seq != int64(i+1) || e.Action != "download" {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
}
