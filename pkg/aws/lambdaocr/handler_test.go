package lambdaocr

import (
	"context"
	"image"
	"os"
	"strings"
	"testing"

	"gocloud.dev/blob/fileblob"

	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
	"github.com/sohoa/sohoa/pkg/testkit/heavy"
)

func TestMain(m *testing.M) {
	ocr.RunChildIfRequested()
	os.Exit(m.Run())
}

// textPDF prints one page per title, each with a line of known words,
// scanned at 200 dpi.
func textPDF(t *testing.T, titles ...string) []byte {
	t.Helper()
	fonts, err := ocrtest.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	s := ocrtest.Scan{DPI: 200, Skew: 0.3}
	var pages []*image.Gray
	for _, title := range titles {
		pages = append(pages, ocrtest.Print(fonts.TextPage(title, []string{"Họ và tên: Trần Minh Khôi"}), s))
	}
	pdf, err := ocrtest.PDF(pages, s)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

func formPDF(t *testing.T) []byte {
	t.Helper()
	pdf, err := ocrtest.DeclarationPDF()
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// The handler reads a page of a component stored in the bucket, and refuses
// malformed requests.
func TestHandlerReadsFromBucket(t *testing.T) {
	heavy.NeedTesseract(t)
	e, err := ocr.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	b, err := fileblob.OpenBucket(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if err := b.WriteAll(ctx, "components/d1/TKKS.pdf", formPDF(t), nil); err != nil {
		t.Fatal(err)
	}
	h := &Handler{Engine: e, Bucket: b}
	resp, err := h.Handle(ctx, Request{Key: "components/d1/TKKS.pdf", Pages: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Pages) != 1 || !strings.Contains(resp.Pages[0].Text(), "Trần Minh Khôi") {
		t.Fatalf("%+v", resp)
	}
	for _, bad := range []Request{{Key: "components/d1/TKKS.pdf"}, {Pages: []int{1}}, {Key: "components/nope.pdf", Pages: []int{1}},
		{Key: "scans/d1/1.pdf", Pages: []int{1}}, {Key: "../components/d1/TKKS.pdf", Pages: []int{1}},
		{Key: "components/d1/TKKS.pdf", PDF: []byte("%PDF-"), Pages: []int{1}}, {PDF: []byte("x"), Pages: make([]int, MaxPages+1)}} {
		if _, err := h.Handle(ctx, bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	if resp, err := h.Handle(ctx, Request{Key: "components/d1/TKKS.pdf", Count: true}); err != nil || resp.Count != 1 {
		t.Errorf("count: %+v %v", resp, err)
	}
	// A page that is not there is an error of that page, not of the call.
	resp, err = h.Handle(ctx, Request{Key: "components/d1/TKKS.pdf", Pages: []int{1, 2}})
	if err != nil || resp.Pages[1].Err == "" {
		t.Errorf("page 2 of 1: %v %+v", err, resp.Pages[1])
	}
}
