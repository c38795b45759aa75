package lambdaocr

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	awslambda "github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"github.com/sohoa/sohoa/infra/lambdatest"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/testkit/heavy"
)

const fn = "sohoa-ocr"

// bridge serves the Lambda Invoke API (infra/lambdatest) with instances of
// the real Handler, run in this process, and returns an SDK client pointed
// at it.
func bridge(t *testing.T, h *Handler, throttle bool, instances, attempts int) (*lambdatest.InvokeAPI, *lambda.Client) {
	return bridgeMax(t, h, throttle, instances, attempts, 0)
}

// bridgeMax is bridge with instances whose answers may be at most
// maxResponse bytes (0: Lambda's 6 MB).
func bridgeMax(t *testing.T, h *Handler, throttle bool, instances, attempts, maxResponse int) (*lambdatest.InvokeAPI, *lambda.Client) {
	t.Helper()
	api, err := lambdatest.NewInvokeAPI()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	var insts []lambdatest.Invoker
	for range instances {
		insts = append(insts, lambdatest.InProcess(awslambda.NewHandler(h.Handle), maxResponse))
	}
	api.Add(fn, throttle, insts...)
	client := lambda.New(lambda.Options{Region: "ap-southeast-1", BaseEndpoint: aws.String(api.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLAMBDATEST", "secret", ""), RetryMaxAttempts: attempts})
	return api, client
}

func bucket(t *testing.T) *blob.Bucket {
	t.Helper()
	b, err := fileblob.OpenBucket(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// A component is read in page ranges, one invocation each, at most
// Concurrency at once; the pages come back in order, with progress; a
// stored component is read by key, and one too large to pass inline is
// staged under StagePrefix.
func TestClientReadsRangesAcrossInvocations(t *testing.T) {
	heavy.NeedTesseract(t)
	e, err := ocr.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	e.Workers = 1 // one page per instance, as on a small Lambda
	b := bucket(t)
	ctx := context.Background()
	pdf := textPDF(t, "TRANG MỘT", "TRANG HAI", "TRANG BA")
	api, lc := bridge(t, &Handler{Engine: e, Bucket: b}, false, 3, 0)
	c := &Client{Lambda: lc, Function: fn, Bucket: b, PagesPerCall: 1, Concurrency: 2}

	var mu sync.Mutex
	var seen []int
	progress := func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if total != 3 {
			t.Errorf("progress total %d, want 3", total)
		}
		seen = append(seen, done)
	}
	pages, err := c.Document(ctx, pdf, nil, ocr.Options{}, progress)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"MỘT", "HAI", "BA"} {
		if pages[i].Number != i+1 || pages[i].Err != "" || !strings.Contains(pages[i].Text(), want) || !strings.Contains(pages[i].Text(), "Trần Minh Khôi") {
			t.Errorf("page %d: %+v", i+1, pages[i])
		}
	}
	if !slices.Equal(seen, []int{1, 2, 3}) {
		t.Errorf("progress %v, want 1, 2, 3", seen)
	}
	// One count, then one invocation per page, never more than two at once.
	if n, fly := api.Invocations(fn), api.MaxInFlight(fn); n != 4 || fly > 2 {
		t.Errorf("%d invocations (want 4), %d at once (at most 2)", n, fly)
	}

	// Stored: passed by key, pages 2 and 3 in one invocation.
	if err := b.WriteAll(ctx, "components/d1/ab/TKKS.pdf", pdf, nil); err != nil {
		t.Fatal(err)
	}
	c.PagesPerCall = 5
	pages, err = c.StoredDocument(ctx, "components/d1/ab/TKKS.pdf", []int{2, 3}, ocr.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 || pages[0].Number != 2 || !strings.Contains(pages[1].Text(), "BA") || api.Invocations(fn) != 5 {
		t.Errorf("stored: %d invocations, %+v", api.Invocations(fn), pages)
	}

	// Too large to pass inline: staged, then read by key.
	c.InlineLimit = len(pdf) - 1
	pages, err = c.Document(ctx, pdf, []int{1}, ocr.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 1 || !strings.Contains(pages[0].Text(), "MỘT") {
		t.Errorf("staged: %+v", pages)
	}
	// An answer over Lambda's limit is read again in halves: a function
	// whose answers may hold one of these pages but not two.
	largest := 0
	all, err := c.StoredDocument(ctx, "components/d1/ab/TKKS.pdf", nil, ocr.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range all {
		b, _ := json.Marshal(Response{Pages: []ocr.Page{p}})
		largest = max(largest, len(b))
	}
	small, slc := bridgeMax(t, &Handler{Engine: e, Bucket: b}, false, 1, 0, largest+200)
	sc := &Client{Lambda: slc, Function: fn, Bucket: b, PagesPerCall: 3}
	halves, err := sc.StoredDocument(ctx, "components/d1/ab/TKKS.pdf", []int{1, 2, 3}, ocr.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 1–3 too large; 1 alone; 2–3 too large; 2; 3.
	if len(halves) != 3 || halves[2].Number != 3 || !strings.Contains(halves[1].Text(), "HAI") || small.Invocations(fn) != 5 {
		t.Errorf("read in halves: %d invocations, %+v", small.Invocations(fn), halves)
	}

	staged := 0
	it := b.List(&blob.ListOptions{Prefix: StagePrefix})
	for {
		o, err := it.Next(ctx)
		if err != nil {
			break
		}
		if o.Size == int64(len(pdf)) {
			staged++
		}
	}
	if staged != 1 {
		t.Errorf("%d staged copies under %s, want 1", staged, StagePrefix)
	}
}

// What the function or Lambda answers instead of pages becomes a clear
// error: the function's own (its type and message), a throttle, both
// retryable (errs.Unavailable); no such function is a deployment error.
func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	b := bucket(t)
	// The handler fails before reading any page: no Tesseract needed.
	h := &Handler{Engine: &ocr.Engine{Limits: ocr.DefaultLimits()}, Bucket: b}
	api, lc := bridge(t, h, false, 1, 0)
	c := &Client{Lambda: lc, Function: fn, Bucket: b}

	_, err := c.StoredDocument(ctx, "components/d9/missing.pdf", []int{1, 2}, ocr.Options{}, nil)
	var fe *FunctionError
	if errs.KindOf(err) != errs.Unavailable || !errors.As(err, &fe) || fe.Type == "" ||
		!strings.Contains(fe.Message, "components/d9/missing.pdf") || fe.Reading != "pages 1–2" {
		t.Errorf("a failing function: %v (%+v)", err, fe)
	}
	_, err = c.StoredDocument(ctx, "scans/d9/1.pdf", []int{1}, ocr.Options{}, nil)
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "not a component") {
		t.Errorf("a key outside components/: %v", err)
	}

	// Reserved concurrency 0: every invocation is throttled, and the SDK's
	// own retries (two here) do not get through.
	api.Add("sohoa-ocr-throttled", true)
	c.Function = "arn:aws:lambda:ap-southeast-1:123456789012:function:sohoa-ocr-throttled"
	lc2 := lambda.New(lambda.Options{Region: "ap-southeast-1", BaseEndpoint: aws.String(api.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLAMBDATEST", "secret", ""), RetryMaxAttempts: 2})
	c.Lambda = lc2
	_, err = c.Document(ctx, []byte("%PDF-1.7"), []int{1}, ocr.Options{}, nil)
	if errs.KindOf(err) != errs.Unavailable || !strings.Contains(err.Error(), "throttled") {
		t.Errorf("a throttled function: %v", err)
	}

	c.Lambda, c.Function = lc, "sohoa-nothing"
	if _, err = c.Document(ctx, []byte("%PDF-1.7"), []int{1}, ocr.Options{}, nil); errs.KindOf(err) != errs.Internal ||
		!strings.Contains(err.Error(), "no OCR function sohoa-nothing") {
		t.Errorf("no such function: %v", err)
	}
	// Too large inline and nowhere to stage it.
	c.Function, c.Bucket, c.InlineLimit = fn, nil, 4
	if _, err = c.Document(ctx, []byte("%PDF-1.7"), []int{1}, ocr.Options{}, nil); errs.KindOf(err) != errs.TooLarge {
		t.Errorf("too large, no bucket: %v", err)
	}
}
