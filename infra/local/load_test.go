package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/vault"
)

// TestVaultReadsUnderLoad: 200 clients download one citizen's documents at
// once (20 downloads each, 4,000 in all) from the local stack over HTTP.
// Every download succeeds (contention on the access log never turns a read
// into a 503 "busy"), every read is in the citizen's log exactly once, the
// log verifies, and the p50/p99 latencies are reported.
func TestVaultReadsUnderLoad(t *testing.T) {
	heavy(t)
	st := inProcess(t, Options{Dev: true})
	ctx := context.Background()
	var docs []string
	for i, kind := range []string{"GKS", "CCCD", "LLTP"} {
		d, err := st.Vault.Issue(ctx, vault.NewDocument{Owner: citizenID, Kind: kind, Title: kind},
			[]byte(fmt.Sprintf("%%PDF-1.7\n%% document %d\n%s%%%%EOF\n", i, make([]byte, 64<<10))))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d.ID)
	}
	tok, err := st.Issuer.Issue(identity.Actor{Subject: citizenID, Role: identity.Citizen}, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const clients, each = 200, 20
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	defer tr.CloseIdleConnections()
	lat := make([][]time.Duration, clients)
	errc := make(chan error, clients*each)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			<-start
			for i := 0; i < each; i++ {
				req, _ := http.NewRequest("GET", st.URL+"/v1/vault/documents/"+docs[(c+i)%len(docs)]+"/content", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					errc <- err
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[c] = append(lat[c], time.Since(t0))
				if resp.StatusCode != 200 {
					errc <- fmt.Errorf("status %d", resp.StatusCode)
				}
			}
		}(c)
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(t0)
	close(errc)
	nerr := 0
	for err := range errc {
		if nerr < 5 {
			t.Errorf("download failed: %v", err)
		}
		nerr++
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(float64(len(all))*p))] }
	t.Logf("%d downloads by %d clients in %v (%.0f/s): %d errors, p50 %v, p99 %v, max %v",
		len(all), clients, took.Round(time.Millisecond), float64(len(all))/took.Seconds(), nerr,
		pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), all[len(all)-1].Round(time.Millisecond))
	es, v, err := st.Vault.Audit(ctx, identity.Actor{Subject: citizenID, Role: identity.Citizen})
	if err != nil || !v.Verified || !v.Keyed {
		t.Fatalf("access log: %v %+v", err, v)
	}
	downloads := 0
	for _, e := range es {
		if e.Action == "download" {
			downloads++
		}
	}
	if nerr != 0 || downloads != clients*each {
		t.Fatalf("%d errors; %d downloads logged for %d served", nerr, downloads, clients*each)
	}
}
