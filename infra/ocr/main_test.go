package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/infra/lambdatest"
	"github.com/sohoa/sohoa/pkg/aws/lambdaocr"
	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
	"github.com/sohoa/sohoa/pkg/testkit/heavy"
)

func TestMain(m *testing.M) {
	ocr.RunChildIfRequested()
	os.Exit(m.Run())
}

func formPDF(t *testing.T) []byte {
	t.Helper()
	pdf, err := ocrtest.DeclarationPDF()
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// The real bootstrap (built for this machine; the image builds it for
// arm64) under the Lambda Runtime API harness, against the local Tesseract.
func TestBootstrapUnderRuntimeAPI(t *testing.T) {
	heavy.NeedTesseract(t)
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
	payload, _ := json.Marshal(lambdaocr.Request{PDF: formPDF(t), Pages: []int{1}})
	start := time.Now()
	res, err := f.Invoke(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	if res.Error != nil {
		t.Fatalf("function error: %v\n%s", res.Error, f.Logs())
	}
	var resp lambdaocr.Response
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
