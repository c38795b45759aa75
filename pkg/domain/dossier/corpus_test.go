package dossier_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/testkit/pdfcorpus"
)

// TestCorpusThroughDossier uploads every real-world PDF of the corpus as a
// clerk's scan of a birth registration (three paper components) and checks,
// through the whole pipeline, the findings each gets: what is true of that
// file. None of them is a dossier with separator sheets, so none is
// VALIDATED; what matters is that the clerk is told the right reason.
func TestCorpusThroughDossier(t *testing.T) {
	heavy(t)
	const (
		digital   = "scan.born-digital"
		noSep     = "scan.no-separators"
		lowRes    = "scan.low-resolution"
		mono      = "scan.not-colour"
		encrypted = "scan.encrypted"
	)
	// Finding codes each file gets (each code once); page: the page the
	// first finding names, when it concerns one page.
	tests := map[string]struct {
		codes []string
		page  int
	}{
		// Real scans: a split needs separator sheets; bilevel or grey pages
		// are not in colour; 72-dpi images are below 200 dpi.
		"pdfcpu-HL1396.pdf":             {codes: []string{mono, noSep}},
		"pdfcpu-jphysiol01396-0132.pdf": {codes: []string{mono, noSep}},
		"pdfcpu-MultiPageTIFF.pdf":      {codes: []string{lowRes, noSep}, page: 1},
		"pdfcpu-mountain.pdf":           {codes: []string{lowRes, noSep}, page: 1},
		"qpdf-pclm-in.pdf":              {codes: []string{noSep}}, // 600-dpi colour strips: a good scan without separators
		// Page 5 is a 640×480 image at 72 dpi, pages 7–8 bilevel CCITT,
		// pages 1–2 text only.
		"qpdf-fax-decode-parms.pdf": {codes: []string{digital, lowRes, noSep, mono}, page: 5},
		// Nothing on the only page (a blank scan; a page without content).
		"pdfcpu-blank-scan.pdf": {codes: []string{"scan.blank"}},
		"qpdf-deep-pages.pdf":   {codes: []string{"scan.blank"}},
		// Born-digital files of every structure: text, not paper.
		"pdfcpu-Paclitaxel.PDF":                     {codes: []string{digital, noSep}},
		"pdfcpu-UserFont_CJKV.pdf":                  {codes: []string{digital, noSep}},
		"pdfcpu-bookletTest.pdf":                    {codes: []string{digital, noSep}},
		"pdfcpu-testPAdES_BLTA.pdf":                 {codes: []string{digital, noSep}},
		"pdfcpu-usageRights.pdf":                    {codes: []string{digital, noSep}},
		"pdfcpu-vietnamese.pdf":                     {codes: []string{digital, noSep}},
		"pdfcpu-withOffsetStart.pdf":                {codes: []string{digital, noSep}},
		"qpdf-annotations-rotated-90.pdf":           {codes: []string{digital, noSep}},
		"qpdf-append-xref-loop.pdf":                 {codes: []string{digital, noSep}},
		"qpdf-badlin1.pdf":                          {codes: []string{digital, noSep}},
		"qpdf-c-linearized.pdf":                     {codes: []string{digital, noSep}},
		"qpdf-c-object-streams.pdf":                 {codes: []string{digital, noSep}},
		"qpdf-digitally-signed.pdf":                 {codes: []string{digital, noSep}},
		"qpdf-hybrid-xref.pdf":                      {codes: []string{digital, noSep}},
		"qpdf-incremental-1.pdf":                    {codes: []string{digital, noSep}},
		"qpdf-issue-202.pdf":                        {codes: []string{digital, noSep}},
		"qpdf-large-inline-image.pdf":               {codes: []string{digital, noSep}}, // its inline images cover under half the page
		"qpdf-lin-delete-and-reuse.pdf":             {codes: []string{digital, noSep}},
		"qpdf-linearization-large-vector-alloc.pdf": {codes: []string{digital, noSep}},
		"qpdf-minimal.pdf":                          {codes: []string{digital, noSep}},
		"qpdf-pages-loop.pdf":                       {codes: []string{digital, noSep}},
		"qpdf-sample-form.pdf":                      {codes: []string{digital, noSep}},
		// Damaged cross-reference (an xref stream inside an object stream):
		// read as poppler reads it, 30 pages of text.
		"qpdf-xref-compressed-in-compressed.pdf": {codes: []string{digital, noSep}},
		// Encrypted, whatever the password and wherever /Encrypt sits.
		"qpdf-V4-aes.pdf":                       {codes: []string{encrypted}},
		"qpdf-enc-R2_V1.pdf":                    {codes: []string{encrypted}},
		"qpdf-enc-R3_V2_U-view_O-master.pdf":    {codes: []string{encrypted}},
		"qpdf-enc-XI-R6_V5_O-master.pdf":        {codes: []string{encrypted}},
		"qpdf-enc-XI-R6_V5_U-view_O-master.pdf": {codes: []string{encrypted}},
		"qpdf-encrypted-with-images.pdf":        {codes: []string{encrypted}},
		"qpdf-leading-junk.pdf":                 {codes: []string{encrypted}},
		"qpdf-short-O-U.pdf":                    {codes: []string{encrypted}},
		"qpdf-many-nulls.pdf":                   {codes: []string{"scan.no-pages"}},
		"qpdf-bad1.pdf":                         {codes: []string{"scan.unsupported"}}, // "oops\n": not a PDF
		"qpdf-fuzz-16214.pdf":                   {codes: []string{"scan.unsupported"}}, // no %PDF header
		"qpdf-bad-jpeg.pdf":                     {codes: []string{"scan.unreadable"}, page: 1},
		"pdfcpu-testImage.pdf":                  {codes: []string{"scan.unsupported"}, page: 1}, // page 1 is JPEG 2000
	}
	for _, f := range pdfcorpus.Files(t) {
		name := filepath.Base(f)
		want, ok := tests[name]
		if !ok {
			t.Errorf("%s: no expected finding: add it to the table", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t)
			ctx := context.Background()
			d := e.create(t)
			if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(data)); err != nil {
				t.Fatalf("upload refused: %v", err)
			}
			e.drain(t)
			got, err := e.svc.Get(ctx, clerk, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			// A scan that cannot be read is the clerk's to redo: an attempt,
			// not a supplement request.
			if got.Status != dossier.Received || len(got.Attempts) != 1 || got.SupplementRequests != 0 {
				t.Errorf("status %s, %d attempts, %d supplement requests; want %s, 1, 0", got.Status, len(got.Attempts), got.SupplementRequests, dossier.Received)
			}
			var codes []string
			for _, fd := range got.Findings {
				codes = append(codes, fd.Code)
				if fd.Message == "" {
					t.Errorf("finding %s without a message", fd.Code)
				}
			}
			slices.Sort(codes)
			codes = slices.Compact(codes)
			w := slices.Sorted(slices.Values(want.codes))
			if !slices.Equal(codes, w) {
				t.Errorf("findings %v, want %v", codes, w)
			}
			if want.page > 0 && (len(got.Findings) == 0 || got.Findings[0].Page != want.page) {
				t.Errorf("first finding %+v, want one about page %d", got.Findings, want.page)
			}
		})
	}
}
