package main

import (
	"context"
	"encoding/json"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob/fileblob"

	"github.com/sohoa/sohoa/infra/lambdatest"
	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
	"github.com/sohoa/sohoa/pkg/testkit/heavy"
)

func TestMain(m *testing.M) {
	ocr.RunChildIfRequested()
	os.Exit(m.Run())
}

func needTesseract(t *testing.T) {
	t.Helper()
	heavy.Skip(t)
	if err := ocr.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

func formPDF(t *testing.T) []byte {
	t.Helper()
	fonts, err := ocrtest.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	page := ocrtest.Print(fonts.TextPage(ocrtest.BirthDeclarationTitle, ocrtest.BirthDeclaration), ocrtest.Scan{DPI: 200, Skew: 0.3})
	pdf, err := ocrtest.PDF([]*image.Gray{page}, ocrtest.Scan{DPI: 200})
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// The handler reads a page of a component stored in the bucket, and refuses
// malformed requests.
func TestHandlerReadsFromBucket(t *testing.T) {
	needTesseract(t)
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
	for _, bad := range []Request{{Key: "components/d1/TKKS.pdf"}, {Pages: []int{1}}, {Key: "nope.pdf", Pages: []int{1}},
		{Key: "components/d1/TKKS.pdf", PDF: []byte("%PDF-"), Pages: []int{1}}, {PDF: []byte("x"), Pages: make([]int, MaxPages+1)}} {
		if _, err := h.Handle(ctx, bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	// A page that is not there is an error of that page, not of the call.
	resp, err = h.Handle(ctx, Request{Key: "components/d1/TKKS.pdf", Pages: []int{1, 2}})
	if err != nil || resp.Pages[1].Err == "" {
		t.Errorf("page 2 of 1: %v %+v", err, resp.Pages[1])
	}
}

// The real bootstrap (built for this machine; the image builds it for
// arm64) under the Lambda Runtime API harness, against the local Tesseract.
func TestBootstrapUnderRuntimeAPI(t *testing.T) {
	needTesseract(t)
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ctx := context.Background()
	f, err := lambdatest.Start(ctx, "ocr", bin, append(os.Environ(), "SOHOA_OCR_BUCKET_URL="), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Stop()
	payload, _ := json.Marshal(Request{PDF: formPDF(t), Pages: []int{1}})
	start := time.Now()
	res, err := f.Invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error != nil {
		t.Fatalf("function error: %v\n%s", res.Error, f.Logs())
	}
	var resp Response
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Pages) != 1 || resp.Pages[0].Err != "" || !strings.Contains(resp.Pages[0].Text(), "Giấy tờ tuỳ thân") {
		t.Fatalf("%+v", resp)
	}
	t.Logf("init %s, one page %s, %d words", f.Init.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), len(resp.Pages[0].Words))
	// A malformed request is the function's error, and the function lives on.
	res, err = f.Invoke(ctx, []byte(`{"pages":[]}`))
	if err != nil || res.Error == nil {
		t.Errorf("empty request: %v %+v", err, res)
	}
}
