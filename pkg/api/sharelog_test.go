package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/vault"
)

// TestShareLinkReadsAreCapped: a share link opens DefaultShareOpensPerHour
// times an hour, through the API and the page alike; beyond, the API answers
// a 429 problem and the page a 429 page in Vietnamese, and the owner's access
// log stops growing.
func TestShareLinkReadsAreCapped(t *testing.T) {
	f := newFixture(t, withPages(t, newHeldVerifier()))
	logLen := func() int {
		_, b := f.call(t, "owner", "GET", "/v1/vault/audit?limit=200", "")
		var l struct{ Entries []json.RawMessage }
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
		return len(l.Entries)
	}
	before := logLen()
	for i := 0; i < vault.DefaultShareOpensPerHour; i++ {
		if code, b := f.call(t, "none", "GET", "/v1/shares/"+f.share, ""); code != http.StatusOK {
			t.Fatalf("opening %d: %d %s", i+1, code, b)
		}
	}
	if code, b := f.call(t, "none", "GET", "/v1/shares/"+f.share, ""); code != http.StatusTooManyRequests || !strings.Contains(string(b), "too-many-requests") {
		t.Errorf("an opening beyond the hour's: %d %s", code, b)
	}
	resp, err := http.Get(f.srv.URL + "/s/" + f.share)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(page), "quá nhiều lần") {
		t.Errorf("the share page beyond the hour's openings: %d\n%s", resp.StatusCode, page)
	}
	if got := logLen() - before; got != vault.DefaultShareOpensPerHour {
		t.Errorf("the owner's log grew by %d, want %d", got, vault.DefaultShareOpensPerHour)
	}
}

// TestAuditIsPaged: GET /v1/vault/audit answers a page, newest first, and a
// cursor to the next; following it reads every entry once.
func TestAuditIsPaged(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 7; i++ {
		if code, b := f.call(t, "owner", "GET", "/v1/vault/documents/"+f.doc+"/content", ""); code != http.StatusOK {
			t.Fatalf("read: %d %s", code, b)
		}
	}
	var seqs []int64
	path := "/v1/vault/audit?limit=3"
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("the cursor never ends")
		}
		code, b := f.call(t, "owner", "GET", path, "")
		var pg struct {
			Entries  []struct{ Seq int64 }
			Verified bool
			Next     string
		}
		if err := json.Unmarshal(b, &pg); code != http.StatusOK || err != nil || !pg.Verified || len(pg.Entries) > 3 {
			t.Fatalf("%s: %d %s", path, code, b)
		}
		for _, e := range pg.Entries {
			seqs = append(seqs, e.Seq)
		}
		if pg.Next == "" {
			break
		}
		path = "/v1/vault/audit?limit=3&cursor=" + pg.Next
	}
	// The share created by the fixture, then seven reads.
	if len(seqs) != 8 || seqs[0] != 8 || seqs[7] != 1 {
		t.Errorf("entries over the pages: %v", seqs)
	}
	if code, _ := f.call(t, "owner", "GET", "/v1/vault/audit?cursor=nope", ""); code != http.StatusBadRequest {
		t.Errorf("a cursor the log never gave: %d", code)
	}
}
