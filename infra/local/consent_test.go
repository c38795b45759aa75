package main

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// TestTypedIDRevealsNothing: a clerk opens a dossier with another citizen's
// ID and the attacker's email, and uploads a scan without the CCCD that
// citizen has in their vault. Nothing of the vault shows (no document ID, no
// hash), the officer reads nothing, nothing goes to the typed email; the code
// goes to the contact on record; a guessed code is refused; once the citizen
// consents in their own vault the dossier validates, and the officer's read
// is in the citizen's verified access log.
func TestTypedIDRevealsNothing(t *testing.T) {
	heavy(t)
	st := inProcess(t, Options{Dev: true})
	c := client{t: t, base: st.URL, operator: st.DevOperatorKey}
	victim := "079199001234"
	citizen := c.as(c.tokenFor("citizen", victim, "", ""))
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-07", "", "Kẻ Gian"))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	citizen.json("PUT", "/v1/vault/contact", map[string]string{"email": "owner@vneid.example"}, 200, nil)
	cccd, err := st.Vault.Issue(context.Background(), vault.NewDocument{Owner: victim, Kind: "CCCD", Title: "Căn cước", Certified: true},
		[]byte("%PDF-1.7\nthe victim's ID card\n%%EOF\n"))
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg,
		"citizen": map[string]string{"id": victim, "name": "anyone", "email": "attacker@evil.example"}}, 201, &created)
	scan := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"))
	if stc, b, _ := clerk.do("PUT", "/v1/dossiers/"+created.ID+"/scan", "application/pdf", scan); stc != 202 {
		t.Fatalf("upload: %d %s", stc, b)
	}
	d := clerk.waitStatus(created.ID)
	_, raw, _ := clerk.do("GET", "/v1/dossiers/"+created.ID, "", nil)
	if d.Status != "NEEDS_SUPPLEMENT" || strings.Contains(string(raw), cccd.ID) || strings.Contains(string(raw), cccd.SHA256) ||
		!strings.Contains(string(raw), `"status":"pending"`) {
		t.Fatalf("the dossier shows the vault or no pending reuse: %s", raw)
	}
	if stc, _, _ := officer.do("GET", "/v1/dossiers/"+created.ID+"/components/CCCD/content", "", nil); stc != 404 {
		t.Fatalf("officer reads the CCCD before consent: %d", stc)
	}
	outbox := func(to string) []struct{ Subject, Body string } {
		var box struct {
			Messages []struct{ Subject, Body string }
		}
		officer.as(officer.op()).json("GET", "/v1/dev/outbox?to="+url.QueryEscape(to), nil, 200, &box)
		return box.Messages
	}
	for _, m := range outbox("attacker@evil.example") {
		if regexp.MustCompile(`mã \d{6}`).MatchString(m.Body) || strings.Contains(m.Body, cccd.ID) {
			t.Fatalf("the typed email got something of the vault: %+v", m)
		}
	}
	var code string
	for _, m := range outbox("owner@vneid.example") {
		if sm := regexp.MustCompile(`mã (\d{6})`).FindStringSubmatch(m.Body); sm != nil {
			code = sm[1]
		}
	}
	if code == "" {
		t.Fatal("no consent code reached the contact on record")
	}
	guess := "000000"
	if guess == code {
		guess = "999999"
	}
	clerk.json("POST", "/v1/dossiers/"+created.ID+"/reuse-consent", map[string]string{"code": guess}, 403, nil)
	// The citizen, signed in to their vault, sees the request and grants it.
	var reqs struct {
		Requests []struct{ DossierID, Status string }
	}
	citizen.json("GET", "/v1/vault/reuse-requests", nil, 200, &reqs)
	if len(reqs.Requests) != 1 || reqs.Requests[0].DossierID != created.ID || reqs.Requests[0].Status != "pending" {
		t.Fatalf("reuse requests: %+v", reqs)
	}
	citizen.json("POST", "/v1/vault/reuse-requests/"+created.ID, map[string]bool{"grant": true}, 200, nil)
	clerk.json("GET", "/v1/dossiers/"+created.ID, nil, 200, &d)
	if d.Status != "VALIDATED" {
		t.Fatalf("after consent: %s %+v", d.Status, d.Findings)
	}
	if stc, b, _ := officer.do("GET", "/v1/dossiers/"+created.ID+"/components/CCCD/content", "", nil); stc != 200 || !strings.Contains(string(b), "victim's ID card") {
		t.Fatalf("officer read after consent: %d", stc)
	}
	var audit struct {
		Verified bool
		Entries  []struct{ Actor, Action, Purpose string }
	}
	_, b, _ := citizen.do("GET", "/v1/vault/audit", "", nil)
	if err := json.Unmarshal(b, &audit); err != nil {
		t.Fatal(err)
	}
	var officerRead bool
	for _, e := range audit.Entries {
		if strings.HasPrefix(e.Actor, "agency_officer:") && e.Action == "read" && strings.HasPrefix(e.Purpose, "dossier ") {
			officerRead = true
		}
	}
	if !audit.Verified || !officerRead {
		t.Fatalf("access log: %s", b)
	}
}
