package lambdatest

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sohoa/sohoa/pkg/aws/lambdaocr"
	"github.com/sohoa/sohoa/pkg/aws/sqs"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/format/separator"
	"github.com/sohoa/sohoa/pkg/testkit/heavy"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// TestOCROnAWS runs the OCR as it runs on AWS, on this machine: the real
// OCR bootstrap (infra/ocr, the container image's program) under the
// Runtime API with the local Tesseract, two instances of it behind the
// Lambda Invoke API, and the real ingest bootstrap whose Lambda client is
// pointed there. A dossier whose clerk typed another name than the card's
// reaches VALIDATED with the CCCD read (its fields, a name finding), its
// short component read during ingestion and its long one read afterwards:
// the ingestion's OCR job, taken from the OCR queue, is consumed by the
// ingest function, whose copy of the component then has a text layer
// pdftotext reads. Each page range is one invocation.
func TestOCROnAWS(t *testing.T) {
	need(t)
	heavy.NeedTesseract(t)
	ctx := context.Background()
	st := newStack(t)
	topics, err := sqs.CreateQueues(ctx, st.sqs, st.prefix, "ocr")
	if err != nil {
		t.Fatal(err)
	}
	ocrQ := topics["ocr"]
	t.Cleanup(func() {
		for _, q := range []string{ocrQ.URL, ocrQ.DeadLetterURL} {
			_, _ = st.sqs.DeleteQueue(context.Background(), &awssqs.DeleteQueueInput{QueueUrl: aws.String(q)})
		}
	})

	// The OCR function: the image's program, built for this machine.
	bin := filepath.Join(t.TempDir(), "ocr", "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./infra/ocr")
	build.Dir, build.Env = h.root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the OCR function: %v\n%s", err, out)
	}
	bucketURL := "s3://" + st.dossierBkt + "?" + url.Values{"region": {h.srv.region}, "endpoint": {h.srv.s3},
		"use_path_style": {"true"}}.Encode()
	ocrEnv := append(st.env(), "SOHOA_OCR_BUCKET_URL="+bucketURL, "OMP_THREAD_LIMIT=1")
	api, err := NewInvokeAPI()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	var instances []Invoker
	for range 2 {
		f, err := Start(ctx, "ocr", bin, ocrEnv, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(f.Stop)
		instances = append(instances, f)
	}
	api.Add("sohoa-ocr", false, instances...)

	// The ingest function reads pages through it: at most one page besides
	// the CCCD's during ingestion, two pages an invocation.
	ingestEnv := append(st.env(), "AWS_ENDPOINT_URL_LAMBDA="+api.URL,
		"SOHOA_OCR_FUNCTION=arn:aws:lambda:"+h.srv.region+":123456789012:function:sohoa-ocr",
		"SOHOA_OCR_QUEUE_URL="+ocrQ.URL, "SOHOA_OCR_SYNC_PAGES=1", "SOHOA_OCR_PAGES_PER_CALL=2")
	ingestFn, err := Start(ctx, "ingest", h.bins["ingest"], ingestEnv, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ingestFn.Stop)
	apiFn, err := Start(ctx, "api", h.bins["api"], st.env(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(apiFn.Stop)

	// A clerk opens the dossier with the card's number and another name.
	card := ocrtest.Specimen(5)
	create := strings.Replace(string(load(t, filepath.Join(h.root, "events/api/create-dossier.json"), nil)), citizenID, card.ID, 1)
	var c struct{ ID, Code string }
	if err := json.Unmarshal(apiCall(t, apiFn, []byte(create), 201), &c); err != nil || c.ID == "" {
		t.Fatalf("create: %v", err)
	}

	// The scan: a 3-page declaration, a birth certificate, the CCCD.
	key := dossier.NewIntakeKey(c.ID)
	msg := sqsRoundTrip(t, st, s3EventBody(t, st, key, ocrDossier(t, card)))
	start := time.Now()
	noFailures(t, "ingest", invoke(t, ingestFn, "S3 event", msg))
	d, _ := st.dossier(t, c.ID)
	comps := map[string]dossier.Component{}
	for _, cp := range d.Components {
		comps[cp.Code] = cp
	}
	t.Logf("upload to %s in %s; invocations %d", d.Status, time.Since(start).Round(time.Millisecond), api.Invocations("sohoa-ocr"))
	if d.Status != dossier.Validated {
		t.Fatalf("status %s, findings %+v\n%s", d.Status, d.Findings, tail(ingestFn.Logs()))
	}
	if got := comps["CCCD"].Extracted["idNumber"].Value; got != card.ID || comps["CCCD"].OCR != "ocr: 2/2 pages" {
		t.Errorf("CCCD read %q (%s), want %s; fields %+v", got, comps["CCCD"].OCR, card.ID, comps["CCCD"].Extracted)
	}
	if !hasFinding(d, "cccd.name-mismatch") {
		t.Errorf("no name finding: %+v", d.Findings)
	}
	if comps["GCS"].OCR != "ocr: 1/1 pages" || comps["TKKS"].OCR != "ocr: 0/3 pages" || strings.HasSuffix(comps["TKKS"].Key, "-read.pdf") {
		t.Errorf("GCS %q, TKKS %q (%s): want the certificate read during ingestion, the declaration after", comps["GCS"].OCR, comps["TKKS"].OCR, comps["TKKS"].Key)
	}
	// GCS: one invocation; the CCCD: one (two pages).
	if n := api.Invocations("sohoa-ocr"); n != 2 {
		t.Errorf("%d invocations during ingestion, want 2", n)
	}

	// The declaration's OCR job, from the OCR queue to the ingest function.
	job := receiveEvent(t, st, ocrQ.URL)
	start = time.Now()
	noFailures(t, "OCR job", invoke(t, ingestFn, "OCR job", job))
	d, _ = st.dossier(t, c.ID)
	var tkks dossier.Component
	for _, cp := range d.Components {
		if cp.Code == "TKKS" {
			tkks = cp
		}
	}
	t.Logf("OCR job (3 pages) in %s; invocations %d, at most %d at once", time.Since(start).Round(time.Millisecond),
		api.Invocations("sohoa-ocr"), api.MaxInFlight("sohoa-ocr"))
	if tkks.OCR != "ocr: 3/3 pages" || !strings.HasSuffix(tkks.Key, "-read.pdf") || d.Status != dossier.Validated {
		t.Fatalf("after the OCR job: %s, TKKS %+v\n%s", d.Status, tkks, tail(ingestFn.Logs()))
	}
	// Two ranges: pages 1–2 and 3.
	if n := api.Invocations("sohoa-ocr"); n != 4 {
		t.Errorf("%d invocations in all, want 4", n)
	}
	// During ingestion the pages went inline; the stored declaration went by
	// its key, read by the function from the bucket.
	if sz := api.RequestSizes("sohoa-ocr"); len(sz) != 4 || sz[0] < 10_000 || sz[1] < 10_000 || sz[2] > 1000 || sz[3] > 1000 {
		t.Errorf("request sizes %v: want the ingestion's inline, the job's by key", sz)
	}
	pdf := st.getObject(t, st.dossierBkt, tkks.Key)
	for _, page := range []int{1, 3} {
		if text := pdftool.Text(t, pdf, page); !strings.Contains(text, "Trần Minh Khôi") {
			t.Errorf("pdftotext of page %d of the read declaration lacks the child's name:\n%s", page, text)
		}
	}
	// Delivered again, the job changes nothing.
	before, _ := st.dossier(t, c.ID)
	noFailures(t, "OCR job again", invoke(t, ingestFn, "OCR job", job))
	if after, _ := st.dossier(t, c.ID); len(after.Findings) != len(before.Findings) || api.Invocations("sohoa-ocr") != 4 {
		t.Errorf("a redelivered OCR job read again or changed the dossier")
	}

	// An instance whose process died answers as Lambda does for a crashed
	// function (Runtime.ExitError); the reader makes it a retryable error.
	dead := instances[0].(*Function)
	dead.Stop()
	api.Add("sohoa-ocr-dead", false, dead)
	lc := lambda.New(lambda.Options{Region: h.srv.region, BaseEndpoint: aws.String(api.URL),
		Credentials: credentials.NewStaticCredentialsProvider(h.srv.key, h.srv.secret, "")})
	_, err = (&lambdaocr.Client{Lambda: lc, Function: "sohoa-ocr-dead"}).StoredDocument(ctx, tkks.Key, []int{1}, ocr.Options{}, nil)
	var fe *lambdaocr.FunctionError
	if errs.KindOf(err) != errs.Unavailable || !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" || fe.Reading != "pages 1" {
		t.Errorf("a crashed function: %v (%+v)", err, fe)
	}
}

func hasFinding(d *dossier.Dossier, code string) bool {
	for _, f := range d.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}

// ocrDossier prints a birth-registration dossier behind separator sheets at
// 200 dpi: a 3-page declaration, a birth certificate, the specimen card.
func ocrDossier(t *testing.T, card ocrtest.Card) []byte {
	t.Helper()
	fonts, err := ocrtest.LoadFonts()
	if err != nil {
		t.Fatal(err)
	}
	sep := func(code string) *image.Gray {
		img, err := scantest.SeparatorImage(code, code)
		if err != nil {
			t.Fatal(err)
		}
		return scantest.Transform(img, separator.DPI, 200, 0.4)
	}
	front, err := fonts.CardSheet(card, false)
	if err != nil {
		t.Fatal(err)
	}
	back, err := fonts.CardSheet(card, true)
	if err != nil {
		t.Fatal(err)
	}
	s := ocrtest.Scan{DPI: 200, Skew: 0.3}
	form := ocrtest.Print(fonts.TextPage(ocrtest.BirthDeclarationTitle, ocrtest.BirthDeclaration), s)
	pages := []*image.Gray{sep("TKKS"), form, form, form,
		sep("GCS"), ocrtest.Print(fonts.TextPage("GIẤY CHỨNG SINH", []string{"Họ và tên mẹ: Nguyễn Thị Thuỳ Dương"}), s),
		sep("CCCD"), ocrtest.Print(front, s), ocrtest.Print(back, s)}
	pdf, err := ocrtest.PDF(pages, s)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// receiveEvent takes the one message on queue u and returns the SQS event
// Lambda's event source mapping would make of it, with the queue's ARN.
func receiveEvent(t *testing.T, st *stack, u string) []byte {
	t.Helper()
	ctx := context.Background()
	attrs, err := st.sqs.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := st.sqs.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(u), MaxNumberOfMessages: 10,
		WaitTimeSeconds: 5, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive from %s: %d messages, %v", u, len(out.Messages), err)
	}
	m := out.Messages[0]
	ev := events.SQSEvent{Records: []events.SQSMessage{{
		MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
		Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes, MessageAttributes: map[string]events.SQSMessageAttribute{},
		EventSource: "aws:sqs", EventSourceARN: attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], AWSRegion: h.srv.region,
	}}}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
