package ocr_test

import (
	"context"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
)

// The child's limits: a page over the pixel limit, a page over the time
// limit and bytes that are not a PDF each fail their page, in words, and
// the caller goes on.
func TestChildLimits(t *testing.T) {
	e := engine(t)
	fonts, err := ocrtest.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	pdf := scanPDF(t, []*image.Gray{fonts.TextPage("MẪU", []string{"Giấy khai sinh"})}, ocrtest.Scan{DPI: 200})
	ctx := context.Background()

	small := *e
	small.Limits.Scan.MaxPixels = 1_000_000 // an A4 page at 200 dpi is 3.9 MP
	pages, err := small.Document(ctx, pdf, []int{1}, ocr.Options{}, nil)
	if err != nil || !strings.Contains(pages[0].Err, "quá lớn") {
		t.Errorf("pixel limit: %v %+v", err, pages)
	}

	hurried := *e
	hurried.Limits.PageTimeout = 50 * time.Millisecond
	pages, err = hurried.Document(ctx, pdf, []int{1}, ocr.Options{}, nil)
	if err != nil || pages[0].Err == "" || len(pages[0].Words) != 0 {
		t.Errorf("time limit: %v %+v", err, pages)
	}

	pages, err = e.Document(ctx, []byte("%PDF-1.7 not really"), []int{1, 2}, ocr.Options{}, nil)
	if err != nil || len(pages) != 2 || pages[0].Err == "" || pages[1].Err == "" {
		t.Errorf("garbage: %v %+v", err, pages)
	}
	if _, err := e.Document(ctx, []byte("garbage"), nil, ocr.Options{}, nil); err == nil {
		t.Error("page count of garbage")
	}
}
