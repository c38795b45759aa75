package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/port/queue"
)

var quiet = slog.New(slog.DiscardHandler)

// fakeIntake records the calls of the ingest handler.
type fakeIntake struct {
	keys    []string
	last    []bool
	results []string
	jobs    []queue.Message
	fail    map[string]error
}

func (f *fakeIntake) AcceptStoredResult(_ context.Context, key string, last bool) error {
	f.results, f.last = append(f.results, key), append(f.last, last)
	return f.fail[key]
}

func (f *fakeIntake) AcceptStoredScan(_ context.Context, key string, last bool) error {
	f.keys, f.last = append(f.keys, key), append(f.last, last)
	return f.fail[key]
}

func (f *fakeIntake) RunIngest(_ context.Context, m queue.Message) error {
	f.jobs = append(f.jobs, m)
	return nil
}

func sqsMsg(id, body string, receives string) events.SQSMessage {
	return events.SQSMessage{MessageId: id, Body: body, Attributes: map[string]string{"ApproximateReceiveCount": receives}}
}

func s3Body(t *testing.T, eventName string, keys ...string) string {
	t.Helper()
	var ev events.S3Event
	for _, k := range keys {
		var r events.S3EventRecord
		r.EventName = eventName
		r.S3.Object.Key = url.QueryEscape(k)
		ev.Records = append(ev.Records, r)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIngestHandle(t *testing.T) {
	f := &fakeIntake{fail: map[string]error{"intake/d2/b": errors.New("DynamoDB throttled")}}
	h := &Handler{Dossiers: f, MaxReceive: 5, Log: quiet}
	job, _ := json.Marshal(dossier.IngestJob{DossierID: "d3", ScanKey: "scans/d3/1-ab"})
	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		sqsMsg("m1", s3Body(t, "ObjectCreated:Put", "intake/d1/a b"), "1"),
		sqsMsg("m2", s3Body(t, "ObjectCreated:CompleteMultipartUpload", "intake/d2/b"), "5"),
		sqsMsg("m3", `{"Service":"Amazon S3","Event":"s3:TestEvent"}`, "1"),
		sqsMsg("m4", "not json", "1"),
		sqsMsg("m5", s3Body(t, "ObjectRemoved:Delete", "intake/d4/c"), "1"),
		sqsMsg("m6", string(job), "3"),
		sqsMsg("m7", s3Body(t, "s3:ObjectCreated:Put", "intake/d5/e"), "2"),
		sqsMsg("m8", s3Body(t, "ObjectCreated:Put", "intake/d6/result-ab12.pdf"), "1"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m2" {
		t.Fatalf("failures %+v, want only m2", resp.BatchItemFailures)
	}
	if !slices.Equal(f.keys, []string{"intake/d1/a b", "intake/d2/b", "intake/d5/e"}) || !slices.Equal(f.last, []bool{false, true, false, false}) {
		t.Fatalf("accepted %q with last %v", f.keys, f.last)
	}
	// A result uploaded by presigned PUT lands beside the scans: taken as a result.
	if !slices.Equal(f.results, []string{"intake/d6/result-ab12.pdf"}) {
		t.Fatalf("results accepted %q", f.results)
	}
	if len(f.jobs) != 1 || f.jobs[0].Attempts != 3 || f.jobs[0].Topic != dossier.TopicIngest {
		t.Fatalf("jobs %+v", f.jobs)
	}
}

// TestObjectCreatedRoundTrip: the event the local stack makes for a stored
// scan is the one S3 sends, and the handler takes it as S3's: the key comes
// back decoded, on the delivery count given.
func TestObjectCreatedRoundTrip(t *testing.T) {
	for _, key := range []string{"intake/d1/ab12", "intake/d 2/x+y"} {
		f := &fakeIntake{}
		h := &Handler{Dossiers: f, MaxReceive: 5, Log: quiet}
		if err := h.HandleMessage(context.Background(), "m1", ObjectCreated("local", key), 5); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(f.keys, []string{key}) || !slices.Equal(f.last, []bool{true}) {
			t.Fatalf("%q: accepted %q, last %v", key, f.keys, f.last)
		}
		f.fail = map[string]error{key: errors.New("vault down")}
		if err := h.HandleMessage(context.Background(), "m2", ObjectCreated("local", key), 1); err == nil {
			t.Fatalf("%q: a failing ingestion is not reported", key)
		}
	}
}

// fakeOCR records the OCR jobs run and fails those it is told to.
type fakeOCR struct {
	jobs []queue.Message
	fail map[string]error
}

func (f *fakeOCR) RunOCR(_ context.Context, m queue.Message) error {
	f.jobs = append(f.jobs, m)
	return f.fail[m.ID]
}

// Messages of the OCR queue go to RunOCR, with their delivery count; the
// ingest queue's go on to the intake; a failing job is delivered again.
func TestOCRQueueMessages(t *testing.T) {
	const ocrURL = "https://sqs.ap-southeast-1.amazonaws.com/123456789012/sohoa-OcrQueue-AbC"
	const ocrARN = "arn:aws:sqs:ap-southeast-1:123456789012:sohoa-OcrQueue-AbC"
	const ingestARN = "arn:aws:sqs:ap-southeast-1:123456789012:sohoa-IngestQueue-XyZ"
	f, o := &fakeIntake{}, &fakeOCR{fail: map[string]error{"o2": errors.New("the OCR function is throttled")}}
	h := &Handler{Dossiers: f, OCR: o, OCRQueue: ocrURL, MaxReceive: 5, Log: quiet}
	ocrJob, _ := json.Marshal(dossier.OCRJob{DossierID: "d1", Code: "TKKS", Key: "components/d1/ab/TKKS.pdf"})
	ingestJob, _ := json.Marshal(dossier.IngestJob{DossierID: "d3", ScanKey: "scans/d3/1-ab"})
	msg := func(id, body, arn, receives string) events.SQSMessage {
		m := sqsMsg(id, body, receives)
		m.EventSourceARN = arn
		return m
	}
	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		msg("o1", string(ocrJob), ocrARN, "2"),
		msg("o2", string(ocrJob), ocrARN, "1"),
		msg("i1", string(ingestJob), ingestARN, "1"),
		msg("i2", s3Body(t, "ObjectCreated:Put", "intake/d5/e"), ingestARN, "1"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "o2" {
		t.Fatalf("failures %+v, want only o2", resp.BatchItemFailures)
	}
	if len(o.jobs) != 2 || o.jobs[0].Attempts != 2 || o.jobs[0].Topic != dossier.TopicOCR || string(o.jobs[0].Body) != string(ocrJob) {
		t.Fatalf("OCR jobs %+v", o.jobs)
	}
	if len(f.jobs) != 1 || !slices.Equal(f.keys, []string{"intake/d5/e"}) {
		t.Fatalf("intake got jobs %+v and keys %q", f.jobs, f.keys)
	}
	// Without an OCR runner, an OCR-queue message is not taken for an OCR job.
	h.OCR = nil
	if _, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{msg("o3", string(ocrJob), ocrARN, "1")}}); err != nil || len(o.jobs) != 2 {
		t.Fatalf("OCR job run without a runner: %v %d", err, len(o.jobs))
	}
}

func TestSameQueue(t *testing.T) {
	for _, tt := range []struct {
		arn, queue string
		want       bool
	}{
		{"arn:aws:sqs:ap-southeast-1:123456789012:q1", "https://sqs.ap-southeast-1.amazonaws.com/123456789012/q1", true},
		{"arn:aws:sqs:us-east-1:000000000000:lt1-ocr", "http://sqs.us-east-1.127.0.0.1:4566/000000000000/lt1-ocr", true},
		{"arn:aws:sqs:ap-southeast-1:123456789012:q1", "arn:aws:sqs:ap-southeast-1:123456789012:q1", true},
		{"arn:aws:sqs:ap-southeast-1:123456789012:q1", "https://sqs.ap-southeast-1.amazonaws.com/123456789012/q2", false},
		{"arn:aws:sqs:ap-southeast-1:999999999999:q1", "https://sqs.ap-southeast-1.amazonaws.com/123456789012/q1", false},
		{"", "https://sqs.ap-southeast-1.amazonaws.com/123456789012/q1", false},
		{"arn:aws:sqs:ap-southeast-1:123456789012:q1", "", false},
		{"arn:aws:sns:ap-southeast-1:123456789012:q1", "https://sqs.ap-southeast-1.amazonaws.com/123456789012/q1", false},
	} {
		if got := sameQueue(tt.arn, tt.queue); got != tt.want {
			t.Errorf("sameQueue(%q, %q) = %v", tt.arn, tt.queue, got)
		}
	}
}
