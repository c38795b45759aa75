package classify_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/classify"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/format/mrz"
	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/testkit/heavy"
	"github.com/sohoa/sohoa/pkg/testkit/pile"
)

// End to end on paper: a small pile without separator sheets (a
// two-page request form, an identity card's two sides, a power of
// attorney, one sheet fed upside down) printed and scanned at 200 dpi,
// split and measured by the scan reader (blank pages, the ink's box), read
// by Tesseract (text, the card's zone), then classified. Kept to 5 pages:
// Tesseract costs seconds of a core a page.
func TestScannedPileEndToEnd(t *testing.T) {
	heavy.NeedTesseract(t)
	fonts, err := ocrtest.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	p, err := procedure.Default().Get("2.000488")
	if err != nil {
		t.Fatal(err)
	}
	pl, err := pile.Generate(p, 7, pile.Options{AllOptional: true, Shuffle: true, UpsideDown: true})
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := pl.Render(fonts, 200, 7)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := ocrtest.PDF(imgs, ocrtest.Scan{DPI: 200})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	split, err := scan.Split(ctx, pdf, scan.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	engine, err := ocr.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	read, err := engine.Document(ctx, pdf, nil, ocr.Options{MRZ: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if len(read) != len(pl.Sheets) || len(split.Pages) != len(pl.Sheets) {
		t.Fatalf("%d pages read, %d split, %d printed", len(read), len(split.Pages), len(pl.Sheets))
	}
	const a4W, a4H = 210.0, 297.0
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	pages := make([]classify.Page, len(read))
	for i, r := range read {
		if r.Err != "" {
			t.Fatalf("page %d: %s", i+1, r.Err)
		}
		sp := split.Pages[i]
		pages[i] = classify.Page{Number: i + 1, Text: r.Text(), Blank: sp.Blank}
		if x0, y0, x1, y1, ok := sp.InkMap.Box(); ok {
			pages[i].InkW, pages[i].InkH = (x1-x0)*a4W, (y1-y0)*a4H
		}
		if _, err := mrz.Find(r.MRZ, now); err == nil {
			pages[i].MRZ = true
		}
	}
	start = time.Now()
	res := classify.New(p, 0).Classify(pages)
	classifyTook := time.Since(start)
	var want, got [][]int
	for i, s := range pl.Sheets {
		a := res.Pages[i]
		t.Logf("page %d (%s, upside down %v): %s %.2f ask=%v %s ink %.0f×%.0f mm mrz=%v, OCR rotation %d",
			i+1, s.Component, s.UpsideDown, a.Component, a.Confidence, a.Ask, a.Why, pages[i].InkW, pages[i].InkH, pages[i].MRZ, read[i].Rotation)
		if a.Component != s.Component && !a.Ask {
			t.Errorf("page %d: silent mistake: %s, truth %s", i+1, a.Component, s.Component)
		}
		if a.Component != s.Component {
			t.Errorf("page %d: %s (asked), truth %s", i+1, a.Component, s.Component)
		}
		for len(want) <= s.Doc {
			want = append(want, nil)
		}
		want[s.Doc] = append(want[s.Doc], i+1)
	}
	for _, d := range res.Documents {
		got = append(got, d.Pages)
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("documents %v, want %v", got, want)
	}
	t.Logf("%d pages: OCR %s (%.1f s a page with %d workers), classification %s",
		len(pages), took.Round(time.Millisecond), took.Seconds()/float64(len(pages)), engine.Workers, classifyTook)
}
