// Package ingest is the handler of the ingest queue, over the event shapes
// Lambda delivers (aws-lambda-go's SQSEvent carrying S3 ObjectCreated
// notifications of intake/ and ingest jobs). The ingest Lambda runs it, and so
// do the local stack's workers, on the same event shapes built from the local
// queue: one path from an uploaded blob to the dossier service, tested locally.
package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/queue"
)

// Intake is what the ingest function needs of the dossier service: the
// step that decodes and runs an ingest-queue message, and what to do when
// a message failed its last delivery.
type Intake interface {
	RunIngest(ctx context.Context, m queue.Message) error
	GiveUp(ctx context.Context, topic string, m queue.Message, cause error)
}

// OCRJobs is what the ingest function needs of the dossier service for the
// OCR queue: the step the local stack's OCR workers run too.
type OCRJobs interface {
	RunOCR(ctx context.Context, m queue.Message) error
}

// Handler handles the ingest queue: each SQS message is either an S3 event
// notification of the intake bucket (a scan put under intake/<dossier>/...)
// or an ingest job the API queued for a scan uploaded through it, both
// decoded by the dossier service (dossier.ParseIngestMessage). A message
// that fails is reported in BatchItemFailures, so only it is delivered
// again, after queue.Backoff of its deliveries (Backoff); when it fails its
// last delivery (queue.LastAttempt of ApproximateReceiveCount) the service
// is told (GiveUp) before SQS moves it to the dead-letter queue.
//
// With OCR set it also handles the OCR queue (dossier.TopicOCR, named by
// OCRQueue, its URL or ARN): a message whose event source is that queue is
// an OCR job of a long component, run by OCR.RunOCR, the very step the
// local stack's OCR workers run.
type Handler struct {
	Dossiers Intake
	OCR      OCRJobs
	OCRQueue string
	// Backoff postpones the next delivery of a failed message (source is
	// its queue's ARN, handle its receipt handle): sqs.Backoff on Lambda.
	// Nil: it waits out the queue's visibility timeout.
	Backoff func(ctx context.Context, source, handle string, attempts int) error
	Log     *slog.Logger
}

// Handle implements the function: the messages of one SQS batch, in turn
// (ingestion is CPU- and memory-heavy; the batch size is 1 in the template).
// Each message is its own request in the log (its message ID).
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range ev.Records {
		mctx := logctx.WithRequest(ctx, m.MessageId)
		attempts, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
		attempts = max(attempts, 1)
		qm, err := h.handleMessage(mctx, m, attempts)
		if err == nil {
			continue
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		if queue.LastAttempt(attempts) {
			h.Dossiers.GiveUp(mctx, qm.Topic, qm, err)
			continue
		}
		delay := queue.Backoff(attempts)
		h.Log.ErrorContext(mctx, "job failed; it will be delivered again", "topic", qm.Topic, "message", m.MessageId,
			"attempt", attempts, "retryIn", delay, "err", err)
		if h.Backoff != nil {
			if err := h.Backoff(mctx, m.EventSourceARN, m.ReceiptHandle, attempts); err != nil {
				h.Log.WarnContext(mctx, "could not set the retry delay; the queue's visibility timeout applies", "err", err)
			}
		}
	}
	return resp, nil
}

// handleMessage runs one message as the queue message it is.
func (h *Handler) handleMessage(ctx context.Context, m events.SQSMessage, attempts int) (queue.Message, error) {
	qm := queue.Message{ID: m.MessageId, Topic: dossier.TopicIngest, Body: []byte(m.Body), Attempts: attempts}
	if h.OCR != nil && sameQueue(m.EventSourceARN, h.OCRQueue) {
		qm.Topic = dossier.TopicOCR
		return qm, h.ocr(ctx, qm)
	}
	return qm, h.Dossiers.RunIngest(ctx, qm)
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

// HandleMessage handles one message of the local stack's own ingest
// queue, as Handle handles a message of a batch, except that retries and
// giving up are the local queue worker's (queue.Worker).
func (h *Handler) HandleMessage(ctx context.Context, m queue.Message) error {
	_, err := h.handleMessage(ctx, events.SQSMessage{MessageId: m.ID, Body: string(m.Body)}, max(m.Attempts, 1))
	if err != nil {
		return fmt.Errorf("ingest message %s: %w", m.ID, err)
	}
	return nil
}
