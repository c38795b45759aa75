package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/port/queue"
)

var quiet = slog.New(slog.DiscardHandler)

// fakeIntake records the calls of the ingest handler and fails the
// messages it is told to.
type fakeIntake struct {
	jobs    []queue.Message
	fail    map[string]error
	gaveUp  []string
	backoff []string
}

func (f *fakeIntake) RunIngest(_ context.Context, m queue.Message) error {
	f.jobs = append(f.jobs, m)
	return f.fail[m.ID]
}

func (f *fakeIntake) GiveUp(_ context.Context, topic string, m queue.Message, _ error) {
	f.gaveUp = append(f.gaveUp, topic+"/"+m.ID)
}

func (f *fakeIntake) postpone(_ context.Context, source, handle string, attempts int) error {
	f.backoff = append(f.backoff, fmt.Sprintf("%s %s %d", source, handle, attempts))
	return nil
}

func sqsMsg(id, body string, receives string) events.SQSMessage {
	return events.SQSMessage{MessageId: id, Body: body, ReceiptHandle: "h-" + id, EventSourceARN: "arn:aws:sqs:r:1:ingest",
		Attributes: map[string]string{"ApproximateReceiveCount": receives}}
}

// TestIngestHandle: every message goes to the service with its delivery
// count; a failure is reported and postponed by the backoff of its count,
// except on the last delivery, where the service is told it gave up.
func TestIngestHandle(t *testing.T) {
	f := &fakeIntake{fail: map[string]error{"m2": errors.New("DynamoDB throttled"), "m3": errors.New("DynamoDB throttled")}}
	h := &Handler{Dossiers: f, Backoff: f.postpone, Log: quiet}
	job, _ := json.Marshal(dossier.IngestJob{DossierID: "d3", ScanKey: "scans/d3/1-ab"})
	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		sqsMsg("m1", string(ObjectCreated("b", "intake/d1/a b")), "1"),
		sqsMsg("m2", string(ObjectCreated("b", "intake/d2/b")), "2"),
		sqsMsg("m3", string(job), strconv.Itoa(queue.MaxAttempts)),
		sqsMsg("m4", string(job), ""),
	}})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if !slices.Equal(failed, []string{"m2", "m3"}) {
		t.Fatalf("failures %v, want m2 and m3", failed)
	}
	var attempts []int
	for _, m := range f.jobs {
		attempts = append(attempts, m.Attempts)
		if m.Topic != dossier.TopicIngest {
			t.Errorf("%s on topic %s", m.ID, m.Topic)
		}
	}
	if !slices.Equal(attempts, []int{1, 2, queue.MaxAttempts, 1}) {
		t.Errorf("attempts %v", attempts)
	}
	if !slices.Equal(f.backoff, []string{"arn:aws:sqs:r:1:ingest h-m2 2"}) {
		t.Errorf("backoff %q, want m2's only", f.backoff)
	}
	if !slices.Equal(f.gaveUp, []string{"ingest/m3"}) {
		t.Errorf("gave up %q, want m3 only", f.gaveUp)
	}
}

// TestObjectCreatedRoundTrip: the event the local stack makes for a stored
// scan is the one S3 sends, and the one decoder of the ingest queue takes
// it as S3's: the key comes back decoded.
func TestObjectCreatedRoundTrip(t *testing.T) {
	for _, key := range []string{"intake/d1/ab12", "intake/d 2/x+y"} {
		jobs, err := dossier.ParseIngestMessage(ObjectCreated("local", key))
		if err != nil || len(jobs) != 1 || jobs[0].IntakeKey != key {
			t.Fatalf("%q: decoded %+v, %v", key, jobs, err)
		}
		f := &fakeIntake{fail: map[string]error{"m2": errors.New("vault down")}}
		h := &Handler{Dossiers: f, Log: quiet}
		if err := h.HandleMessage(context.Background(), queue.Message{ID: "m2", Body: ObjectCreated("local", key), Attempts: 5}); err == nil {
			t.Fatalf("%q: a failing ingestion is not reported", key)
		}
		if len(f.gaveUp) != 0 || len(f.jobs) != 1 || f.jobs[0].Attempts != 5 {
			t.Fatalf("%q: the local path gave up itself or lost the count: %+v %q", key, f.jobs, f.gaveUp)
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
	h := &Handler{Dossiers: f, OCR: o, OCRQueue: ocrURL, Log: quiet}
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
		msg("i2", string(ObjectCreated("b", "intake/d5/e")), ingestARN, "1"),
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
	if len(f.jobs) != 2 || f.jobs[0].ID != "i1" || f.jobs[1].ID != "i2" {
		t.Fatalf("intake got jobs %+v", f.jobs)
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
