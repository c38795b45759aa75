package scan_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/race"

	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/testkit/pdfcorpus"
)

// TestCorpusFindings uploads every file of the corpus as a scan and checks
// the finding that is true of it: encrypted files are encrypted, damaged
// files that qpdf and poppler open are opened with the pages they count,
// born-digital pages are Digital (not a low resolution), scanned pages carry
// the resolution of their images, bilevel pages say so.
func TestCorpusFindings(t *testing.T) {
	if race.Enabled {
		t.Skip("decodes many pages: ~20x slower under -race; make heavy runs it without")
	}
	type want struct {
		code    string  // "" accepted
		pages   int     // accepted: the page count qpdf and poppler give
		dpi     float64 // accepted: resolution of every scanned page (0: born-digital pages)
		color   string  // accepted: colour mode of scanned pages
		blank   bool    // accepted: every page blank
		unknown bool    // accepted with mixed pages: only the count is checked
	}
	const digital = 0
	tests := map[string]want{
		"pdfcpu-HL1396.pdf":                         {pages: 18, dpi: 300, color: scan.ColorBilevel},
		"pdfcpu-jphysiol01396-0132.pdf":             {pages: 6, dpi: 600, color: scan.ColorBilevel},
		"pdfcpu-blank-scan.pdf":                     {pages: 1, dpi: 200, color: scan.ColorGray, blank: true},
		"pdfcpu-MultiPageTIFF.pdf":                  {pages: 2, dpi: 72, color: scan.ColorColor},
		"pdfcpu-mountain.pdf":                       {pages: 1, dpi: 72, color: scan.ColorColor},
		"qpdf-pclm-in.pdf":                          {pages: 1, dpi: 600, color: scan.ColorColor},
		"qpdf-fax-decode-parms.pdf":                 {pages: 10, unknown: true},
		"pdfcpu-Paclitaxel.PDF":                     {pages: 6, dpi: digital},
		"pdfcpu-UserFont_CJKV.pdf":                  {pages: 1, dpi: digital},
		"pdfcpu-bookletTest.pdf":                    {pages: 64, dpi: digital},
		"pdfcpu-testPAdES_BLTA.pdf":                 {pages: 1, dpi: digital},
		"pdfcpu-usageRights.pdf":                    {pages: 4, dpi: digital},
		"pdfcpu-vietnamese.pdf":                     {pages: 2, dpi: digital},
		"pdfcpu-withOffsetStart.pdf":                {pages: 1, dpi: digital},
		"qpdf-annotations-rotated-90.pdf":           {pages: 1, dpi: digital},
		"qpdf-append-xref-loop.pdf":                 {pages: 30, dpi: digital},
		"qpdf-badlin1.pdf":                          {pages: 30, dpi: digital},
		"qpdf-c-linearized.pdf":                     {pages: 30, dpi: digital},
		"qpdf-c-object-streams.pdf":                 {pages: 30, dpi: digital},
		"qpdf-deep-pages.pdf":                       {pages: 1, blank: true},
		"qpdf-digitally-signed.pdf":                 {pages: 1, dpi: digital},
		"qpdf-hybrid-xref.pdf":                      {pages: 30, dpi: digital},
		"qpdf-incremental-1.pdf":                    {pages: 1, dpi: digital},
		"qpdf-issue-202.pdf":                        {pages: 10, dpi: digital},
		"qpdf-large-inline-image.pdf":               {pages: 1, dpi: digital},
		"qpdf-lin-delete-and-reuse.pdf":             {pages: 30, dpi: digital},
		"qpdf-linearization-large-vector-alloc.pdf": {pages: 30, dpi: digital},
		"qpdf-minimal.pdf":                          {pages: 1, dpi: digital},
		"qpdf-pages-loop.pdf":                       {pages: 1, dpi: digital},
		"qpdf-sample-form.pdf":                      {pages: 1, dpi: digital},
		"qpdf-many-nulls.pdf":                       {code: scan.CodeNoPages},
		"qpdf-V4-aes.pdf":                           {code: scan.CodeEncrypted},
		"qpdf-enc-R2_V1.pdf":                        {code: scan.CodeEncrypted},
		"qpdf-enc-R3_V2_U-view_O-master.pdf":        {code: scan.CodeEncrypted},
		"qpdf-enc-XI-R6_V5_O-master.pdf":            {code: scan.CodeEncrypted},
		"qpdf-enc-XI-R6_V5_U-view_O-master.pdf":     {code: scan.CodeEncrypted},
		"qpdf-encrypted-with-images.pdf":            {code: scan.CodeEncrypted},
		"qpdf-leading-junk.pdf":                     {code: scan.CodeEncrypted},
		"qpdf-short-O-U.pdf":                        {code: scan.CodeEncrypted},
		"qpdf-bad1.pdf":                             {code: scan.CodeUnsupported}, // "oops\n": not a PDF
		"qpdf-fuzz-16214.pdf":                       {code: scan.CodeUnsupported}, // no %PDF header anywhere
		"qpdf-bad-jpeg.pdf":                         {code: scan.CodeUnreadable},  // its only image is a corrupt JPEG
		"pdfcpu-testImage.pdf":                      {code: scan.CodeUnsupported}, // JPEG 2000
		// An xref stream inside an object stream, a damaged endstream and a
		// page listed twice: pdfcpu panics; the cross-reference table is
		// reconstructed and the 30 pages poppler shows are read.
		"qpdf-xref-compressed-in-compressed.pdf": {pages: 30, dpi: digital},
	}
	for _, f := range pdfcorpus.Files(t) {
		name := filepath.Base(f)
		w, ok := tests[name]
		if !ok {
			t.Errorf("%s: no expected finding: add it to the table", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			lim := scan.DefaultLimits()
			lim.MaxMemory = 1 << 30
			start := time.Now()
			res, err := scan.SplitIsolated(context.Background(), data, lim)
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %s", d)
			}
			if w.code != "" {
				if scan.CodeOf(err) != w.code {
					t.Fatalf("err = %v, want %s", err, w.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if len(res.Pages) != w.pages {
				t.Fatalf("%d pages, want %d", len(res.Pages), w.pages)
			}
			if w.unknown {
				return
			}
			for _, p := range res.Pages {
				if w.blank {
					if !p.Blank {
						t.Errorf("page %d not blank", p.Number)
					}
					continue
				}
				if w.dpi == digital {
					if !p.Digital || p.DPI != 0 {
						t.Errorf("page %d: digital %v at %.0f dpi, want a born-digital page", p.Number, p.Digital, p.DPI)
					}
					continue
				}
				if p.Digital || math.Abs(p.DPI-w.dpi) > 2 || p.Color != w.color {
					t.Errorf("page %d: digital %v, %.0f dpi, %s; want a %s scan at %.0f dpi", p.Number, p.Digital, p.DPI, p.Color, w.color, w.dpi)
				}
			}
		})
	}
}
