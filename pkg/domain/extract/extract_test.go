package extract_test

import (
	"context"
	"image"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/extract"
	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
	"github.com/sohoa/sohoa/pkg/format/stamp"
	"github.com/sohoa/sohoa/pkg/testkit/heavy"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

func TestMain(m *testing.M) {
	ocr.RunChildIfRequested()
	os.Exit(m.Run())
}

func extractor(t *testing.T) *extract.Extractor {
	t.Helper()
	heavy.Skip(t)
	e, err := ocr.NewEngine()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	f, err := pdffont.NewFont()
	if err != nil {
		t.Fatal(err)
	}
	return extract.New(e, stamp.NewStamper(f))
}

func scanned(t *testing.T, sheets ...*image.Gray) []byte {
	t.Helper()
	imgs := make([]*image.Gray, len(sheets))
	for i, s := range sheets {
		imgs[i] = ocrtest.Print(s, ocrtest.Scan{DPI: 200, Skew: 0.4, Seed: uint64(i + 7)})
	}
	pdf, err := ocrtest.PDF(imgs, ocrtest.Scan{DPI: 200})
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// A specimen card, front and back, scanned at 200 dpi: the fields are read,
// the dossier of its holder gets no finding, another citizen's gets one.
func TestExtractCard(t *testing.T) {
	x := extractor(t)
	fonts, err := ocrtest.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	card := ocrtest.Specimen(3)
	front, err := fonts.CardSheet(card, false)
	if err != nil {
		t.Fatal(err)
	}
	back, err := fonts.CardSheet(card, true)
	if err != nil {
		t.Fatal(err)
	}
	pdf := scanned(t, front, back)
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	ext, err := x.Extract(context.Background(), dossier.ExtractInput{Component: extract.CardCode, PDF: pdf,
		CitizenID: card.ID, CitizenName: card.Name, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fields %+v findings %+v", ext.Fields, ext.Findings)
	if len(ext.Findings) != 0 || ext.Fields["idNumber"].Value != card.ID || ext.PagesRead != 2 {
		t.Errorf("holder's dossier: findings %v, fields %v", ext.Findings, ext.Fields)
	}
	if !strings.Contains(pdftool.Text(t, ext.PDF, 1), card.ID) {
		t.Error("the card's number is not in the text layer of the front")
	}
	other, err := x.Extract(context.Background(), dossier.ExtractInput{Component: extract.CardCode, PDF: pdf,
		CitizenID: "001203012345", CitizenName: "Nguyễn Văn An", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range other.Findings {
		got[f.Code] = f.Severity
	}
	if got["cccd.id-mismatch"] != dossier.SeverityError || got["cccd.name-mismatch"] != dossier.SeverityWarning {
		t.Errorf("another citizen's dossier: %v", other.Findings)
	}
}

// The two forms: the officer's first fields, with their confidence.
func TestExtractForms(t *testing.T) {
	x := extractor(t)
	fonts, err := ocrtest.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		code, title string
		lines       []string
		want        map[string]string
	}{
		{"TKKS", ocrtest.BirthDeclarationTitle, ocrtest.BirthDeclaration, map[string]string{
			"childName": "Trần Minh Khôi", "birthDate": "15/08/2025", "birthPlace": "Bệnh viện Phụ sản Hà Nội",
			"motherName": "Nguyễn Thị Thuỳ Dương", "fatherName": "Trần Văn Lĩnh", "requesterName": "Nguyễn Thị Thuỳ Dương"}},
		{"TKLLTP", ocrtest.CriminalRecordRequestTitle, ocrtest.CriminalRecordRequest, map[string]string{
			"fullName": "Lê Hoàng Yến", "birthDate": "02/03/1995", "birthPlace": "thành phố Huế", "idNumber": "046195012345"}},
	} {
		pdf := scanned(t, fonts.TextPage(tc.title, tc.lines))
		ext, err := x.Extract(context.Background(), dossier.ExtractInput{Component: tc.code, PDF: pdf, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range tc.want {
			f := ext.Fields[k]
			if f.Value != v || f.Low {
				t.Errorf("%s %s = %+v, want %q", tc.code, k, f, v)
			}
		}
		t.Logf("%s: %+v", tc.code, ext.Fields)
	}
}
