package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// TestHostileScans uploads every hostile or broken input a counter may send
// through the API: each is the clerk's to redo (the dossier stays RECEIVED,
// the upload recorded as an attempt with an error finding a clerk can act
// on) or, read well enough to show a paper missing, a supplement request;
// the original is kept, nothing answers 5xx, and the stack stays
// healthy. A scan with active content validates with the content gone from
// every stored component.
func TestHostileScans(t *testing.T) {
	heavy(t)
	_, c := startStack(t, t.TempDir())
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	complete := scanPDF(t, scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD"))
	inputs, err := scantest.Hostile(complete, 200)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range inputs {
		if name == "good" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			var d struct{ ID string }
			clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg, "postOffice": "Bưu cục Hoàn Kiếm",
				"citizen": map[string]string{"id": citizenID, "name": "Nguyễn Văn An"}}, 201, &d)
			st, body, _ := clerk.do("PUT", "/v1/dossiers/"+d.ID+"/scan", "application/pdf", data)
			if name == "empty" {
				if st != 400 {
					t.Fatalf("empty upload = %d %s, want 400", st, body)
				}
				return
			}
			if st != 202 {
				t.Fatalf("upload = %d %s", st, body)
			}
			got := clerk.waitStatus(d.ID)
			if name == "javascript" {
				if got.Status != "VALIDATED" {
					t.Fatalf("active content: %s %+v", got.Status, got.Findings)
				}
				for _, comp := range got.Components {
					st, pdf, _ := clerk.do("GET", "/v1/dossiers/"+d.ID+"/components/"+comp.Code+"/content", "", nil)
					if st != 200 {
						t.Fatalf("component %s: %d", comp.Code, st)
					}
					// The seal's signature widget is the one annotation allowed.
					if found, err := scantest.ActiveContent(pdf); err != nil || len(found) > 0 {
						t.Errorf("component %s keeps active content %v (%v)", comp.Code, found, err)
					}
				}
				return
			}
			switch {
			case len(got.Findings) == 0 || got.Findings[0].Severity != "error":
				t.Fatalf("%s: %s without an error finding: %+v", name, got.Status, got.Findings)
			case got.Status == "RECEIVED" && (len(got.Attempts) != 1 || got.Findings[0].Audience != "clerk"):
				t.Fatalf("%s: back at the counter without an attempt for the clerk: %+v, %d attempts", name, got.Findings, len(got.Attempts))
			case got.Status != "RECEIVED" && got.Status != "NEEDS_SUPPLEMENT":
				t.Fatalf("%s: %s %+v", name, got.Status, got.Findings)
			}
			if m := got.Findings[0].Message; len(m) < 20 || !strings.ContainsAny(m, "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ") {
				t.Errorf("%s: finding is not plain Vietnamese: %q", name, m)
			}
			st, orig, _ := clerk.do("GET", "/v1/dossiers/"+d.ID+"/scan", "", nil)
			if st != 200 || !bytes.Equal(orig, data) {
				t.Errorf("%s: original not kept (%d, %d bytes)", name, st, len(orig))
			}
		})
	}
	c.json("GET", "/healthz", nil, 200, nil)
}
