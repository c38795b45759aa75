package sqs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sohoa/sohoa/pkg/port/queue"
)

// CreateQueues creates, for each topic, a queue "<prefix>-<topic>" and its
// dead-letter queue "<prefix>-<topic>-dlq", with a redrive policy of
// queue.MaxAttempts receives, and returns them for New. It is for tests and
// the local servers; on AWS the SAM template creates the queues. Creating a
// queue that exists with the same attributes is not an error (SQS's rule).
func CreateQueues(ctx context.Context, client *sqs.Client, prefix string, topics ...string) (map[string]Topic, error) {
	out := make(map[string]Topic, len(topics))
	for _, topic := range topics {
		name := prefix + "-" + topic
		dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
			QueueName: aws.String(name + "-dlq"),
			Attributes: map[string]string{
				string(types.QueueAttributeNameMessageRetentionPeriod): strconv.Itoa(14 * 24 * 60 * 60),
			},
		})
		if err != nil {
			return nil, fmt.Errorf("sqs: create %s-dlq: %w", name, err)
		}
		attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       dlq.QueueUrl,
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
		})
		if err != nil {
			return nil, fmt.Errorf("sqs: ARN of %s-dlq: %w", name, err)
		}
		redrive, err := json.Marshal(map[string]string{
			"deadLetterTargetArn": attrs.Attributes[string(types.QueueAttributeNameQueueArn)],
			"maxReceiveCount":     strconv.Itoa(queue.MaxAttempts),
		})
		if err != nil {
			return nil, err
		}
		main, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
			QueueName: aws.String(name),
			Attributes: map[string]string{
				string(types.QueueAttributeNameRedrivePolicy):     string(redrive),
				string(types.QueueAttributeNameVisibilityTimeout): "30",
			},
		})
		if err != nil {
			return nil, fmt.Errorf("sqs: create %s: %w", name, err)
		}
		out[topic] = Topic{URL: aws.ToString(main.QueueUrl), DeadLetterURL: aws.ToString(dlq.QueueUrl)}
	}
	return out, nil
}
