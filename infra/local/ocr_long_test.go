package main

import (
	"image"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/format/separator"
	heavytest "github.com/sohoa/sohoa/pkg/testkit/heavy"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// TestLongComponentIsReadAfterValidation: a dossier with a long declaration
// (SOHOA_OCR_LONG_PAGES pages, default 24) and a CCCD reaches VALIDATED once
// the CCCD is read and checked, without waiting for the declaration; the
// declaration's progress shows on the dossier, and it ends certified with a
// text layer and findable in the citizen's vault.
func TestLongComponentIsReadAfterValidation(t *testing.T) {
	heavy(t)
	heavytest.NeedTesseract(t)
	n := 24
	if v, err := strconv.Atoi(os.Getenv("SOHOA_OCR_LONG_PAGES")); err == nil && v > 10 {
		n = v
	}
	st := inProcess(t, Options{OCR: true, Dev: true})
	fonts, err := ocrtest.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	card := ocrtest.Specimen(8)
	front, _ := fonts.CardSheet(card, false)
	back, err := fonts.CardSheet(card, true)
	if err != nil {
		t.Fatal(err)
	}
	s := ocrtest.Scan{DPI: 200, Skew: 0.3}
	sep := func(code string) *image.Gray {
		img, err := scantest.SeparatorImage(code, code)
		if err != nil {
			t.Fatal(err)
		}
		return scantest.Transform(img, separator.DPI, 200, 0.4)
	}
	form := ocrtest.Print(fonts.TextPage(ocrtest.BirthDeclarationTitle, ocrtest.BirthDeclaration), s)
	pages := []*image.Gray{sep("TKKS")}
	for range n {
		pages = append(pages, form)
	}
	pages = append(pages, sep("GCS"), form, sep("CCCD"), ocrtest.Print(front, s), ocrtest.Print(back, s))
	pdf, err := ocrtest.PDF(pages, s)
	if err != nil {
		t.Fatal(err)
	}

	c := client{t: t, base: st.URL, operator: st.DevOperatorKey}
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	var created struct{ ID string }
	clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg,
		"citizen":    map[string]string{"id": card.ID, "name": card.Name, "phone": "0912345678"},
		"postOffice": "Bưu cục Hoàn Kiếm"}, 201, &created)
	start := time.Now()
	if stc, b, _ := clerk.do("PUT", "/v1/dossiers/"+created.ID+"/scan", "application/pdf", pdf); stc != 202 {
		t.Fatalf("upload: %d %s", stc, b)
	}
	d := clerk.waitStatus(created.ID)
	toValidated := time.Since(start)
	type comp struct {
		Code, OCR string
		Certified bool
		Pages     int
		Extracted map[string]struct{ Value string }
	}
	get := func() map[string]comp {
		var full struct{ Components []comp }
		clerk.json("GET", "/v1/dossiers/"+created.ID, nil, 200, &full)
		out := map[string]comp{}
		for _, c := range full.Components {
			out[c.Code] = c
		}
		return out
	}
	at := get()
	if d.Status != "VALIDATED" || at["CCCD"].Extracted["idNumber"].Value != card.ID || !at["CCCD"].Certified {
		t.Fatalf("at validation: %s %+v %+v", d.Status, d.Findings, at)
	}
	if at["TKKS"].Certified || at["TKKS"].Pages != n {
		t.Errorf("the long declaration was read before VALIDATED: %+v", at["TKKS"])
	}
	t.Logf("%d-page dossier with a CCCD: upload to VALIDATED in %s (TKKS then %q)", n+6, toValidated.Round(time.Millisecond), at["TKKS"].OCR)
	var seen []string
	deadline := time.Now().Add(time.Duration(n)*6*time.Second + time.Minute)
	for {
		tk := get()["TKKS"]
		if len(seen) == 0 || seen[len(seen)-1] != tk.OCR {
			seen = append(seen, tk.OCR)
		}
		if tk.Certified {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("TKKS not read after %s: %v", time.Since(start), seen)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("TKKS read and certified %s after upload; progress seen: %v", time.Since(start).Round(time.Millisecond), seen)
	if last := seen[len(seen)-1]; last != "ocr: "+strconv.Itoa(n)+"/"+strconv.Itoa(n)+" pages" {
		t.Errorf("final progress %q", last)
	}
	stc, body, _ := clerk.do("GET", "/v1/dossiers/"+created.ID+"/components/TKKS/content", "", nil)
	if stc != 200 || !strings.Contains(pdftool.Text(t, body, n), "Trần Minh Khôi") {
		t.Errorf("the certified declaration's last page has no text layer (%d)", stc)
	}
	pdfsigValid(t, st, body)
	citizen := c.as(c.tokenFor("citizen", card.ID, "", card.Name))
	var found struct{ Hits []struct{ Kind string } }
	citizen.json("GET", "/v1/vault/search?q=tran+minh+khoi", nil, 200, &found)
	kinds := map[string]bool{}
	for _, h := range found.Hits {
		kinds[h.Kind] = true
	}
	if !kinds["TKKS"] || !kinds["GCS"] {
		t.Errorf("citizen search found %v, want the declaration and the birth certificate", found.Hits)
	}
}
