package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// TestOneDossierInTheLogs follows one dossier through ingestion, signing
// and notification on the real binary (-v: every request logged too) and
// checks that every line of the stack's output that is about it (names its
// ID or its code, in a log line or a metric) carries its dossier ID, and
// that each step left such lines.
func TestOneDossierInTheLogs(t *testing.T) {
	heavy(t)
	bin, data, addr := binary(t), t.TempDir(), freeAddr(t)
	_, logs := launchLogged(t, bin, addr, data, "-v", "-ocr=false")
	c := client{t: t, base: "http://" + addr, data: data}
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	sample := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD"))
	id := createAndUpload(t, clerk, "001203000777", sample)
	waitFor(t, clerk, id, "VALIDATED")
	var full struct{ Code string }
	clerk.json("GET", "/v1/dossiers/"+id, nil, 200, &full)
	officer.json("POST", "/v1/dossiers/"+id+"/decision", map[string]any{"approve": true}, 200, nil)
	if st, b, _ := officer.do("PUT", "/v1/dossiers/"+id+"/result", "application/pdf", resultPDF(t)); st != 200 {
		t.Fatalf("result upload: %d %s", st, b)
	}
	signResultQuiet(t, officer, id)
	waitFor(t, clerk, id, "RESULT_ISSUED")

	tags := []string{"dossierId=" + id, `"dossierId":"` + id + `"`}
	steps := map[string]bool{"dossier ingested": false, `"PagesIngested"`: false, `"SigningSeconds"`: false,
		"notify: job done": false, "path=/v1/dossiers/" + id: false}
	var about int
	// The stack keeps running: wait for the notification of RESULT_ISSUED.
	for tries := 0; ; tries++ {
		out := logs.String()
		if strings.Count(out, "notify: job done") >= 4 || tries > 300 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if !strings.Contains(line, id) && !(full.Code != "" && strings.Contains(line, full.Code)) {
			continue
		}
		about++
		if !strings.Contains(line, tags[0]) && !strings.Contains(line, tags[1]) {
			t.Errorf("a line about dossier %s lacks its ID: %s", id, line)
		}
		for s := range steps {
			if strings.Contains(line, s) {
				steps[s] = true
			}
		}
	}
	for s, seen := range steps {
		if !seen {
			t.Errorf("no line of step %q carries the dossier", s)
		}
	}
	t.Logf("%d lines about dossier %s", about, id)
}
