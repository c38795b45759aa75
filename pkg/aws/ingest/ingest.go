// Package ingest is the handler of the ingest queue, over the event shapes
// Lambda delivers (aws-lambda-go's SQSEvent carrying S3 ObjectCreated
// notifications of intake/ and ingest jobs). The ingest Lambda runs it, and so
// do the local stack's workers, on the same event shapes built from the local
// queue: one path from an uploaded blob to the dossier service, tested locally.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/port/queue"
)

// Intake is what the ingest function needs of the dossier service.
type Intake interface {
	AcceptStoredScan(ctx context.Context, key string, lastAttempt bool) error
	// AcceptStoredResult takes a result an officer put under the intake
	// prefix by presigned PUT (dossier.IsResultUploadKey).
	AcceptStoredResult(ctx context.Context, key string, lastAttempt bool) error
	RunIngest(ctx context.Context, m queue.Message) error
}

// OCRJobs is what the ingest function needs of the dossier service for the
// OCR queue: the step the local stack's OCR workers run too.
type OCRJobs interface {
	RunOCR(ctx context.Context, m queue.Message) error
}

// Handler handles the ingest queue: each SQS message is either an S3 event
// notification of the intake bucket (a scan put under intake/<dossier>/...)
// or an ingest job the API queued for a scan uploaded through it. A message
// that fails is reported in BatchItemFailures, so only it is delivered again;
// on its last delivery (ApproximateReceiveCount reaching MaxReceive, the
// queue's maxReceiveCount) the service records a finding instead of failing
// for ever.
//
// With OCR set it also handles the OCR queue (dossier.TopicOCR, named by
// OCRQueue, its URL or ARN): a message whose event source is that queue is
// an OCR job of a long component, run by OCR.RunOCR, the very step the
// local stack's OCR workers run.
type Handler struct {
	Dossiers   Intake
	OCR        OCRJobs
	OCRQueue   string
	MaxReceive int
	Log        *slog.Logger
}

// s3Message is an SQS body sent by S3: an event notification, or the test
// event S3 sends when the notification is configured.
type s3Message struct {
	events.S3Event
	Event string `json:"Event"`
}

// Handle implements the function: the messages of one SQS batch, in turn
// (ingestion is CPU- and memory-heavy; the batch size is 1 in the template).
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range ev.Records {
		if err := h.handleMessage(ctx, m); err != nil {
			h.Log.Error("ingest message failed; it will be delivered again", "message", m.MessageId, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

func (h *Handler) handleMessage(ctx context.Context, m events.SQSMessage) error {
	attempts, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
	attempts = max(attempts, 1)
	last := attempts >= h.MaxReceive
	if h.OCR != nil && sameQueue(m.EventSourceARN, h.OCRQueue) {
		return h.ocr(ctx, queue.Message{ID: m.MessageId, Topic: dossier.TopicOCR, Body: []byte(m.Body), Attempts: attempts})
	}
	var job dossier.IngestJob
	if json.Unmarshal([]byte(m.Body), &job) == nil && job.DossierID != "" && job.ScanKey != "" {
		return h.Dossiers.RunIngest(ctx, queue.Message{ID: m.MessageId, Topic: dossier.TopicIngest,
			Body: []byte(m.Body), Attempts: attempts})
	}
	var s3m s3Message
	if err := json.Unmarshal([]byte(m.Body), &s3m); err != nil {
		// Retrying cannot make it decode: drop it, loudly.
		h.Log.Error("dropping an ingest message that is neither an S3 event nor a job", "message", m.MessageId, "err", err)
		return nil
	}
	if s3m.Event == "s3:TestEvent" {
		return nil
	}
	var errs []error
	for _, r := range s3m.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") && !strings.HasPrefix(r.EventName, "s3:ObjectCreated:") {
			continue
		}
		key := r.S3.Object.URLDecodedKey
		accept := h.Dossiers.AcceptStoredScan
		if dossier.IsResultUploadKey(key) {
			accept = h.Dossiers.AcceptStoredResult
		}
		if err := accept(ctx, key, last); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// ocr runs one OCR job, and again after a pause while it came before its
// ingestion was saved (dossier.IsRetryable): the save lands within
// milliseconds, and a failed message would wait for the queue's whole
// visibility timeout.
func (h *Handler) ocr(ctx context.Context, m queue.Message) error {
	err := h.OCR.RunOCR(ctx, m)
	for _, wait := range [...]time.Duration{500 * time.Millisecond, 2 * time.Second, 5 * time.Second} {
		if !dossier.IsRetryable(err) {
			break
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("OCR job %s: %w", m.ID, ctx.Err())
		}
		err = h.OCR.RunOCR(ctx, m)
	}
	if err != nil {
		return fmt.Errorf("OCR job %s: %w", m.ID, err)
	}
	return nil
}

// sameQueue reports whether the event source ARN of a message
// (arn:PARTITION:sqs:REGION:ACCOUNT:NAME) is the queue q, named by its URL
// (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME) or its ARN.
func sameQueue(arn, q string) bool {
	id := func(s string) string {
		if strings.HasPrefix(s, "arn:") {
			p := strings.Split(s, ":")
			if len(p) != 6 || p[2] != "sqs" {
				return ""
			}
			return p[4] + "/" + p[5]
		}
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		p := strings.Split(strings.Trim(u.Path, "/"), "/")
		if len(p) != 2 {
			return ""
		}
		return p[0] + "/" + p[1]
	}
	a := id(arn)
	return a != "" && a == id(q)
}

// ObjectCreated is the body of the SQS message S3 sends when an object is
// put under key (an ObjectCreated:Put event notification). The local stack
// sends it to its own queue for every scan it stores under intake/, so that
// the scan reaches the dossier service by the path it takes on AWS.
func ObjectCreated(bucket, key string) []byte {
	var r events.S3EventRecord
	r.EventVersion, r.EventSource, r.EventName = "2.1", "aws:s3", "ObjectCreated:Put"
	r.S3.Bucket.Name = bucket
	r.S3.Object.Key = url.QueryEscape(key)
	b, _ := json.Marshal(events.S3Event{Records: []events.S3EventRecord{r}})
	return b
}

// HandleMessage handles one queue message as Handle handles a batch of one:
// the local stack's workers call it with the messages of their own queue.
// It fails when Handle would report the message in BatchItemFailures.
func (h *Handler) HandleMessage(ctx context.Context, id string, body []byte, attempts int) error {
	m := events.SQSMessage{MessageId: id, Body: string(body),
		Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(attempts)}}
	if err := h.handleMessage(ctx, m); err != nil {
		return fmt.Errorf("ingest message %s: %w", id, err)
	}
	return nil
}
