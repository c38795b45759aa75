package main

import (
	"image"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/format/separator"
	heavytest "github.com/sohoa/sohoa/pkg/testkit/heavy"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// ocrScan prints a birth-registration dossier with a filled TKKS form and a
// specimen CCCD (front, back) behind Sohoa separator sheets, scanned at 200 dpi.
func ocrScan(t *testing.T, card ocrtest.Card) []byte {
	t.Helper()
	fonts, err := ocrtest.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	sep := func(code, name string) *image.Gray {
		img, err := scantest.SeparatorImage(code, name)
		if err != nil {
			t.Fatal(err)
		}
		return scantest.Transform(img, separator.DPI, 200, 0.5)
	}
	front, err := fonts.CardSheet(card, false)
	if err != nil {
		t.Fatal(err)
	}
	back, err := fonts.CardSheet(card, true)
	if err != nil {
		t.Fatal(err)
	}
	s := ocrtest.Scan{DPI: 200, Skew: 0.4}
	pages := []*image.Gray{
		sep("TKKS", "Tờ khai"), ocrtest.Print(fonts.TextPage(ocrtest.BirthDeclarationTitle, ocrtest.BirthDeclaration), s),
		sep("GCS", "Giấy chứng sinh"), ocrtest.Print(fonts.TextPage("GIẤY CHỨNG SINH", []string{"Họ và tên mẹ: Nguyễn Thị Thuỳ Dương", "Sinh con lúc 08 giờ 30 phút ngày 15/08/2025"}), s),
		sep("CCCD", "Căn cước"), ocrtest.Print(front, s), ocrtest.Print(back, s),
	}
	pdf, err := ocrtest.PDF(pages, s)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// TestOCREndToEnd: with OCR on, a dossier reaches VALIDATED with its CCCD
// read and checked, its TKKS fields extracted, and certified copies whose
// words pdftotext returns under a seal pdfsig accepts.
func TestOCREndToEnd(t *testing.T) {
	heavy(t)
	heavytest.NeedTesseract(t)
	st := inProcess(t, Options{OCR: true, Dev: true})
	c := client{t: t, base: st.URL, operator: st.DevOperatorKey}
	card := ocrtest.Specimen(5)
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	var created struct{ ID string }
	clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": birthReg,
		"citizen":    map[string]string{"id": card.ID, "name": card.Name, "phone": "0912345678"},
		"postOffice": "Bưu cục Hoàn Kiếm"}, 201, &created)
	start := time.Now()
	if stc, b, _ := clerk.do("PUT", "/v1/dossiers/"+created.ID+"/scan", "application/pdf", ocrScan(t, card)); stc != 202 {
		t.Fatalf("upload: %d %s", stc, b)
	}
	d := clerk.waitStatus(created.ID)
	t.Logf("upload to %s in %s", d.Status, time.Since(start).Round(time.Millisecond))
	var full struct {
		Components []struct {
			Code      string
			OCR       string
			Extracted map[string]struct {
				Value      string
				Confidence float64
				Low        bool
			}
		}
	}
	clerk.json("GET", "/v1/dossiers/"+created.ID, nil, 200, &full)
	if d.Status != "VALIDATED" {
		t.Fatalf("status %s, findings %+v", d.Status, d.Findings)
	}
	for _, f := range d.Findings {
		if strings.HasPrefix(f.Code, "cccd.") || strings.HasPrefix(f.Code, "ocr.") {
			t.Errorf("finding on the holder's own card: %+v", f)
		}
	}
	got := map[string]map[string]string{}
	for _, comp := range full.Components {
		got[comp.Code] = map[string]string{"ocr": comp.OCR}
		for k, v := range comp.Extracted {
			got[comp.Code][k] = v.Value
		}
	}
	if got["CCCD"]["idNumber"] != card.ID || got["CCCD"]["ocr"] != "ocr: 2/2 pages" ||
		got["TKKS"]["childName"] != "Trần Minh Khôi" || got["TKKS"]["ocr"] != "ocr: 1/1 pages" {
		t.Errorf("extracted: %v", got)
	}
	for code, want := range map[string]string{"TKKS": "Trần Minh Khôi", "GCS": "Nguyễn Thị Thuỳ Dương", "CCCD": card.ID} {
		stc, comp, _ := clerk.do("GET", "/v1/dossiers/"+created.ID+"/components/"+code+"/content", "", nil)
		if stc != 200 {
			t.Fatalf("component %s: %d", code, stc)
		}
		if text := pdftool.Text(t, comp, 1); !strings.Contains(text, want) {
			t.Errorf("pdftotext of the certified %s lacks %q:\n%s", code, want, text)
		}
		pdfsigValid(t, st, comp)
	}

	// Search by words without diacritics: the citizen in their vault, the
	// agency's officer in its dossiers; another agency finds nothing.
	find := func(who client, q string) []string {
		var out struct{ Hits []struct{ Ref, Kind string } }
		who.json("GET", "/v1/vault/search?q="+url.QueryEscape(q), nil, 200, &out)
		var kinds []string
		for _, h := range out.Hits {
			kinds = append(kinds, h.Kind)
		}
		return kinds
	}
	citizen := c.as(c.tokenFor("citizen", card.ID, "", card.Name))
	officer := c.as(c.tokenFor("agency_officer", officerHT, agencyHT, officerNam))
	elsewhere := c.as(c.tokenFor("agency_officer", "officer-elsewhere", "000.00.01.H56", "Lê Thị Hoa"))
	if got := find(citizen, "to khai dang ky khai sinh tran minh khoi"); len(got) != 1 || got[0] != "TKKS" {
		t.Errorf("citizen search = %v", got)
	}
	if got := find(citizen, "Trần Minh Khôi"); len(got) != 1 {
		t.Errorf("citizen search with diacritics = %v", got)
	}
	if got := find(officer, "nguyen thi thuy duong"); len(got) != 2 { // the declaration and the birth certificate
		t.Errorf("officer search = %v", got)
	}
	if got := find(elsewhere, "nguyen thi thuy duong"); len(got) != 0 {
		t.Errorf("another agency's officer found %v", got)
	}
	if got := find(c.as(c.tokenFor("citizen", "079090000001", "", "Lê Văn B")), "khoi"); len(got) != 0 {
		t.Errorf("another citizen found %v", got)
	}
}
