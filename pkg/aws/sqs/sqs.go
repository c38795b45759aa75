// Package sqs is the AWS adapter of Sohoa's queue port: queue.Queue over SQS
// standard queues, one queue per topic, each with a dead-letter queue reached
// by a redrive policy of queue.MaxAttempts receives.
//
// SQS standard queues do not deduplicate, and FIFO queues cannot receive S3
// notifications (the ingest queue must), so a dedupID is kept as an
// idempotency key with a TTL in the records table. Attempts is SQS's
// ApproximateReceiveCount. It passes queue/queuetest against fauxqs.
//
// It is not for Lambda event sources: a function triggered by SQS gets its
// batch from the runtime and reports failures per message; this package is
// for code that sends jobs, and for workers that poll.
package sqs

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Limits of SQS that the adapter enforces before calling it.
const (
	// MaxBody is SQS's largest message body.
	MaxBody = 256 * 1024
	// MaxReceive is SQS's most messages per ReceiveMessage.
	MaxReceive = 10
	// DedupWindow is how long a dedupID suppresses a repeated Send.
	DedupWindow = 5 * time.Minute
	// MaxDeadLetters is the most messages DeadLetters returns.
	MaxDeadLetters = 1000
)

// idAttr is the message attribute that carries a message's original ID when
// the adapter itself moves it to the dead-letter queue.
const idAttr = "sohoa-id"

// Topic names the SQS queues of one topic.
type Topic struct {
	URL           string // the queue
	DeadLetterURL string // its dead-letter queue (the target of its redrive policy)
}

// Queue is a queue.Queue over SQS.
type Queue struct {
	client *sqs.Client
	topics map[string]Topic
	dedup  records.Table
}

var _ queue.Queue = (*Queue)(nil)

// New returns a queue that serves the topics named in topics. dedup holds the
// idempotency keys of Send's dedupIDs (items with PK "QDEDUP#<topic>#<id>");
// if it is nil, a Send with a dedupID is errs.Invalid.
func New(client *sqs.Client, topics map[string]Topic, dedup records.Table) *Queue {
	m := make(map[string]Topic, len(topics))
	for k, v := range topics {
		m[k] = v
	}
	return &Queue{client: client, topics: m, dedup: dedup}
}

func (q *Queue) topic(name string) (Topic, error) {
	if name == "" {
		return Topic{}, errs.E(errs.Invalid, "queue: empty topic")
	}
	t, ok := q.topics[name]
	if !ok {
		return Topic{}, errs.E(errs.Invalid, "queue: unknown topic %q", name)
	}
	return t, nil
}

// seconds rounds d up to whole seconds within [0, max].
func seconds(d time.Duration, max int32) int32 {
	s := math.Ceil(d.Seconds())
	if s < 0 {
		return 0
	}
	if s > float64(max) {
		return max
	}
	return int32(s)
}

func dedupKey(topic, id string) (pk, sk string) {
	return "QDEDUP#" + topic + "#" + id, "QDEDUP"
}

// Send implements queue.Queue.
func (q *Queue) Send(ctx context.Context, topic string, body []byte, dedupID string) error {
	t, err := q.topic(topic)
	if err != nil {
		return err
	}
	switch {
	case len(body) == 0:
		return errs.E(errs.Invalid, "queue: empty body")
	case len(body) > MaxBody:
		return errs.E(errs.Invalid, "queue: body of %d bytes, at most %d", len(body), MaxBody)
	case !utf8.Valid(body):
		return errs.E(errs.Invalid, "queue: body is not UTF-8")
	}
	var claimed records.Item
	if dedupID != "" {
		if q.dedup == nil {
			return errs.E(errs.Invalid, "queue: a dedupID needs a dedup table")
		}
		pk, sk := dedupKey(topic, dedupID)
		claimed, err = q.dedup.Put(ctx, records.Item{PK: pk, SK: sk, ExpiresAt: time.Now().Add(DedupWindow + time.Second)})
		if errs.Is(err, errs.Conflict) {
			return nil // sent in the last DedupWindow
		}
		if err != nil {
			return fmt.Errorf("queue: dedup %s on %s: %w", dedupID, topic, err)
		}
	}
	_, err = q.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &t.URL, MessageBody: aws.String(string(body))})
	if err != nil {
		if dedupID != "" {
			// Not sent: let a retry send it. A failed undo only delays it by the window.
			_ = q.dedup.Delete(context.WithoutCancel(ctx), claimed.PK, claimed.SK, claimed.Version)
		}
		return mapErr(err, "send to %s", topic)
	}
	return nil
}

// Receive implements queue.Queue. It returns at most MaxReceive messages per
// call; visibility and wait are rounded up to whole seconds, visibility to
// at least one. A message
// received more than queue.MaxAttempts times (a queue without a redrive
// policy) is moved to the dead-letter queue instead of being returned.
func (q *Queue) Receive(ctx context.Context, topic string, max int, visibility, wait time.Duration) ([]queue.Message, error) {
	t, err := q.topic(topic)
	if err != nil {
		return nil, err
	}
	if max < 1 {
		return nil, errs.E(errs.Invalid, "queue: receive at least one message, not %d", max)
	}
	if visibility < 0 || wait < 0 {
		return nil, errs.E(errs.Invalid, "queue: negative duration")
	}
	deadline := time.Now().Add(wait)
	for {
		out, err := q.receiveOnce(ctx, topic, t, min(max, MaxReceive), visibility, time.Until(deadline))
		if err != nil || len(out) > 0 || time.Until(deadline) <= 0 {
			return out, err
		}
	}
}

func (q *Queue) receiveOnce(ctx context.Context, topic string, t Topic, n int, visibility, wait time.Duration) ([]queue.Message, error) {
	res, err := q.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    &t.URL,
		MaxNumberOfMessages:         int32(n),
		VisibilityTimeout:           max(seconds(visibility, 12*60*60), 1), // 0 would mean the queue's default
		WaitTimeSeconds:             seconds(wait, 20),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		return []queue.Message{}, mapErr(err, "receive from %s", topic)
	}
	out := make([]queue.Message, 0, len(res.Messages))
	for _, m := range res.Messages {
		attempts, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
		if attempts < 1 {
			attempts = 1
		}
		if attempts > queue.MaxAttempts {
			if err := q.kill(ctx, topic, t, m); err != nil {
				return out, err
			}
			continue
		}
		out = append(out, queue.Message{
			ID:       aws.ToString(m.MessageId),
			Topic:    topic,
			Body:     []byte(aws.ToString(m.Body)),
			Receipt:  makeReceipt(attempts, topic, aws.ToString(m.ReceiptHandle)),
			Attempts: attempts,
		})
	}
	return out, nil
}

// kill moves a message to the topic's dead-letter queue, keeping its ID.
func (q *Queue) kill(ctx context.Context, topic string, t Topic, m types.Message) error {
	if t.DeadLetterURL == "" {
		return errs.E(errs.Internal, "queue: topic %s has no dead-letter queue", topic)
	}
	_, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    &t.DeadLetterURL,
		MessageBody: m.Body,
		MessageAttributes: map[string]types.MessageAttributeValue{
			idAttr: {DataType: aws.String("String"), StringValue: m.MessageId},
		},
	})
	if err != nil {
		return mapErr(err, "dead-letter a message of %s", topic)
	}
	_, err = q.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &t.URL, ReceiptHandle: m.ReceiptHandle})
	return mapErr(err, "dead-letter a message of %s", topic)
}

// makeReceipt returns the receipt of a delivery: its count, its topic (so
// that a receipt is refused on another topic, which SQS servers do not all
// check) and the SQS receipt handle.
func makeReceipt(attempts int, topic, handle string) string {
	return strconv.Itoa(attempts) + ":" + hex.EncodeToString([]byte(topic)) + ":" + handle
}

// parseReceipt splits a receipt made by Receive for topic into its delivery
// count and SQS receipt handle.
func parseReceipt(topic, receipt string) (int, string, error) {
	n, rest, ok1 := strings.Cut(receipt, ":")
	tp, handle, ok2 := strings.Cut(rest, ":")
	attempts, err := strconv.Atoi(n)
	if !ok1 || !ok2 || err != nil || attempts < 1 || handle == "" || tp != hex.EncodeToString([]byte(topic)) {
		return 0, "", errs.E(errs.NotFound, "queue: no delivery %q on %s", receipt, topic)
	}
	return attempts, handle, nil
}

// Ack implements queue.Queue.
func (q *Queue) Ack(ctx context.Context, topic, receipt string) error {
	t, err := q.topic(topic)
	if err != nil {
		return err
	}
	_, handle, err := parseReceipt(topic, receipt)
	if err != nil {
		return err
	}
	_, err = q.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &t.URL, ReceiptHandle: &handle})
	return mapReceiptErr(err, "ack on %s", topic)
}

// Release implements queue.Queue. A message whose deliveries are spent is made
// visible at once, and the queue's redrive policy (or the next Receive) moves
// it to the dead-letter queue before it can be delivered again.
func (q *Queue) Release(ctx context.Context, topic, receipt string, delay time.Duration) error {
	t, err := q.topic(topic)
	if err != nil {
		return err
	}
	if delay < 0 {
		return errs.E(errs.Invalid, "queue: negative delay")
	}
	attempts, handle, err := parseReceipt(topic, receipt)
	if err != nil {
		return err
	}
	if attempts >= queue.MaxAttempts {
		delay = 0
	}
	_, err = q.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          &t.URL,
		ReceiptHandle:     &handle,
		VisibilityTimeout: seconds(delay, 12*60*60),
	})
	return mapReceiptErr(err, "release on %s", topic)
}

// DeadLetters implements queue.Queue by looking at the dead-letter queue
// without taking its messages: it receives them all, then makes them visible
// again (a concurrent DeadLetters call may see fewer). Attempts is not known
// there and is 0. At most MaxDeadLetters messages are returned.
func (q *Queue) DeadLetters(ctx context.Context, topic string) ([]queue.Message, error) {
	t, err := q.topic(topic)
	if err != nil {
		return nil, err
	}
	if t.DeadLetterURL == "" {
		return []queue.Message{}, nil
	}
	out := []queue.Message{}
	var handles []*string
	defer func() {
		// Put back what was looked at, even if the context ended.
		bg := context.WithoutCancel(ctx)
		for _, h := range handles {
			_, _ = q.client.ChangeMessageVisibility(bg, &sqs.ChangeMessageVisibilityInput{
				QueueUrl: &t.DeadLetterURL, ReceiptHandle: h, VisibilityTimeout: 0,
			})
		}
	}()
	for len(out) < MaxDeadLetters {
		res, err := q.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:              &t.DeadLetterURL,
			MaxNumberOfMessages:   int32(min(MaxReceive, MaxDeadLetters-len(out))),
			VisibilityTimeout:     60,
			MessageAttributeNames: []string{idAttr},
		})
		if err != nil {
			return nil, mapErr(err, "dead letters of %s", topic)
		}
		if len(res.Messages) == 0 {
			break
		}
		for _, m := range res.Messages {
			handles = append(handles, m.ReceiptHandle)
			id := aws.ToString(m.MessageId)
			if v, ok := m.MessageAttributes[idAttr]; ok && v.StringValue != nil {
				id = *v.StringValue
			}
			out = append(out, queue.Message{ID: id, Topic: topic, Body: []byte(aws.ToString(m.Body))})
		}
	}
	return out, nil
}

// mapErr turns an SQS error into an errs kind (nil stays nil).
func mapErr(err error, format string, args ...any) error {
	return mapErrOf(err, false, format, args...)
}

// mapReceiptErr is mapErr for calls given a receipt handle, where a refused
// parameter is the handle.
func mapReceiptErr(err error, format string, args ...any) error {
	return mapErrOf(err, true, format, args...)
}

func mapErrOf(err error, receipt bool, format string, args ...any) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf(format, args...)
	var (
		badReceipt *types.ReceiptHandleIsInvalid
		notInFl    *types.MessageNotInflight
		api        smithy.APIError
	)
	switch {
	case errors.As(err, &badReceipt), errors.As(err, &notInFl):
		return errs.Wrap(errs.NotFound, err, "queue: %s: no such delivery", what)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("queue: %s: %w", what, err)
	case errors.As(err, &api):
		switch api.ErrorCode() {
		case "ReceiptHandleIsInvalid", "MessageNotInflight":
			return errs.Wrap(errs.NotFound, err, "queue: %s: no such delivery", what)
		case "InvalidParameterValue":
			if receipt {
				return errs.Wrap(errs.NotFound, err, "queue: %s: no such delivery", what)
			}
			return errs.Wrap(errs.Invalid, err, "queue: %s: refused", what)
		}
	}
	return errs.Wrap(errs.Unavailable, err, "queue: %s", what)
}

// Redrive implements queue.Queue: it moves the messages of the topic's
// dead-letter queue back to the queue, one batch at a time (each is sent
// before it is deleted, so a failure half way duplicates rather than
// loses: consumers are idempotent), and returns how many it moved.
func (q *Queue) Redrive(ctx context.Context, topic string) (int, error) {
	t, err := q.topic(topic)
	if err != nil {
		return 0, err
	}
	if t.DeadLetterURL == "" {
		return 0, nil
	}
	n := 0
	for {
		res, err := q.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: &t.DeadLetterURL, MaxNumberOfMessages: MaxReceive, VisibilityTimeout: 60,
		})
		if err != nil {
			return n, mapErr(err, "redrive %s", topic)
		}
		if len(res.Messages) == 0 {
			return n, nil
		}
		for _, m := range res.Messages {
			if _, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &t.URL, MessageBody: m.Body}); err != nil {
				return n, mapErr(err, "redrive %s", topic)
			}
			if _, err := q.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &t.DeadLetterURL, ReceiptHandle: m.ReceiptHandle}); err != nil {
				return n, mapErr(err, "redrive %s", topic)
			}
			n++
		}
	}
}

// Backoff postpones the next delivery of a message a Lambda function
// received from an SQS event source and failed: its visibility becomes
// queue.Backoff of its deliveries, where it would otherwise wait out the
// queue's whole visibility timeout. source is the event's
// EventSourceARN, handle its ReceiptHandle. It needs
// sqs:GetQueueUrl and sqs:ChangeMessageVisibility on the queue.
func Backoff(ctx context.Context, client *sqs.Client, source, handle string, attempts int) error {
	p := strings.Split(source, ":")
	if len(p) != 6 || p[0] != "arn" || p[2] != "sqs" {
		return errs.E(errs.Invalid, "queue: %q is not an SQS queue ARN", source)
	}
	u, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &p[5], QueueOwnerAWSAccountId: &p[4]})
	if err != nil {
		return mapErr(err, "URL of %s", p[5])
	}
	_, err = client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: u.QueueUrl, ReceiptHandle: &handle, VisibilityTimeout: seconds(queue.Backoff(attempts), 12*60*60),
	})
	return mapReceiptErr(err, "back off on %s", p[5])
}
