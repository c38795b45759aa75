package sqs

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/local/sqlite"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/port/queue/queuetest"
	"github.com/sohoa/sohoa/pkg/testkit/awstest"
)

// testClient returns a client of the SQS-compatible server named by
// SOHOA_TEST_SQS_ENDPOINT (infra/servers/up.sh starts fauxqs), or skips.
func testClient(t *testing.T) *sqs.Client {
	t.Helper()
	return sqs.New(sqs.Options{
		BaseEndpoint: aws.String(awstest.Endpoint(t, "SOHOA_TEST_SQS_ENDPOINT", "fauxqs")),
		Region:       awstest.Region(),
		Credentials:  awstest.Credentials(),
	})
}

// newQueue makes fresh queues for the suite's topics, with a SQLite table for
// the dedup keys (the dynamo package proves the DynamoDB table alike).
func newQueue(t *testing.T, client *sqs.Client) *Queue {
	t.Helper()
	prefix := awstest.Name()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topics, err := CreateQueues(ctx, client, prefix, queuetest.TopicA, queuetest.TopicB)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, tp := range topics {
			_, _ = client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(tp.URL)})
			_, _ = client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(tp.DeadLetterURL)})
		}
	})
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "dedup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(client, topics, db.Table())
}

func TestConformance(t *testing.T) {
	client := testClient(t)
	queuetest.RunConformance(t, func(t *testing.T) queue.Queue { return newQueue(t, client) })
}

func TestUnknownTopic(t *testing.T) {
	q := New(nil, map[string]Topic{"ingest": {URL: "http://127.0.0.1:1/q"}}, nil)
	ctx := context.Background()
	if err := q.Send(ctx, "sign", []byte("x"), ""); !errs.Is(err, errs.Invalid) {
		t.Errorf("Send to an unknown topic: %v", err)
	}
	if err := q.Send(ctx, "ingest", []byte("x"), "d"); !errs.Is(err, errs.Invalid) {
		t.Errorf("Send with a dedupID and no dedup table: %v", err)
	}
	if _, err := q.Receive(ctx, "sign", 1, time.Second, 0); !errs.Is(err, errs.Invalid) {
		t.Errorf("Receive from an unknown topic: %v", err)
	}
	for _, r := range []string{"", "x", "0:696e67657374:h", "-1:696e67657374:h", "3:696e67657374:", "1:7369676e:h", "1:h"} {
		if err := q.Ack(ctx, "ingest", r); !errs.Is(err, errs.NotFound) {
			t.Errorf("Ack(%q): %v, want NotFound", r, err)
		}
	}
}

func TestSeconds(t *testing.T) {
	cases := []struct {
		d    time.Duration
		max  int32
		want int32
	}{
		{0, 20, 0}, {time.Millisecond, 20, 1}, {time.Second, 20, 1}, {1500 * time.Millisecond, 20, 2},
		{time.Hour, 20, 20}, {-time.Second, 20, 0},
	}
	for _, c := range cases {
		if got := seconds(c.d, c.max); got != c.want {
			t.Errorf("seconds(%v, %d) = %d, want %d", c.d, c.max, got, c.want)
		}
	}
}

// TestBackoff: a message a function failed is postponed by the backoff of
// its deliveries, found by its event source ARN as Lambda gives it.
func TestBackoff(t *testing.T) {
	client := testClient(t)
	ctx := context.Background()
	q := newQueue(t, client)
	topic := q.topics[queuetest.TopicA]
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &topic.URL,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	arn := attrs.Attributes[string(types.QueueAttributeNameQueueArn)]
	if err := q.Send(ctx, queuetest.TopicA, []byte("job"), ""); err != nil {
		t.Fatal(err)
	}
	// As Lambda receives it: visible again after one second, unless postponed.
	res, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &topic.URL, VisibilityTimeout: 1, WaitTimeSeconds: 2})
	if err != nil || len(res.Messages) != 1 {
		t.Fatalf("receive: %v %v", res, err)
	}
	if err := Backoff(ctx, client, arn, aws.ToString(res.Messages[0].ReceiptHandle), 1); err != nil {
		t.Fatalf("Backoff: %v", err)
	}
	again, err := q.Receive(ctx, queuetest.TopicA, 1, time.Minute, 3*time.Second)
	if err != nil || len(again) != 0 {
		t.Fatalf("a postponed message came back within 3 s (its backoff is %v): %v %v", queue.Backoff(1), again, err)
	}
	for _, bad := range []string{"", "arn:aws:sns:r:1:q", topic.URL} {
		if err := Backoff(ctx, client, bad, "h", 1); !errs.Is(err, errs.Invalid) {
			t.Errorf("Backoff(%q) = %v, want Invalid", bad, err)
		}
	}
}
