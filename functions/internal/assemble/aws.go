package assemble

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/aws/dynamo"
	"github.com/sohoa/sohoa/pkg/aws/s3"
)

// AWS holds the SDK configuration of one container; clients made from it are
// built once, in init, and shared by every invocation.
type AWS struct {
	c   Config
	cfg aws.Config
}

// NewAWS loads the SDK configuration (the Lambda role's credentials and
// region from the environment).
func NewAWS(ctx context.Context, c Config) (*AWS, error) {
	var opts []func(*config.LoadOptions) error
	if r := c.Region; r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("assemble: AWS configuration: %w", err)
	}
	return &AWS{c: c, cfg: cfg}, nil
}

// SDK returns the SDK configuration, for a function that builds a client of
// a service only it uses (SES, SNS, KMS): the shared wiring links none.
func (a *AWS) SDK() aws.Config { return a.cfg }

// Endpoint returns an endpoint override for a client's BaseEndpoint: nil (the
// SDK's own endpoint) when e is empty.
func Endpoint(e string) *string { return endpoint(e) }

func endpoint(e string) *string {
	if e == "" {
		return nil
	}
	return aws.String(e)
}

// S3 returns an S3 client.
func (a *AWS) S3() *awss3.Client {
	return awss3.NewFromConfig(a.cfg, func(o *awss3.Options) {
		o.BaseEndpoint = endpoint(a.c.Endpoints.S3)
		o.UsePathStyle = a.c.S3PathStyle
	})
}

// DynamoDB returns a DynamoDB client.
func (a *AWS) DynamoDB() *dynamodb.Client {
	return dynamodb.NewFromConfig(a.cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = endpoint(a.c.Endpoints.DynamoDB)
	})
}

// SQS returns an SQS client.
func (a *AWS) SQS() *awssqs.Client {
	return awssqs.NewFromConfig(a.cfg, func(o *awssqs.Options) {
		o.BaseEndpoint = endpoint(a.c.Endpoints.SQS)
	})
}

// Table returns the records table.
func (a *AWS) Table() *dynamo.Table { return dynamo.New(a.DynamoDB(), a.c.Table) }

// Bucket opens the bucket name, writing with SSE-KMS under the data key
// (SOHOA_DATA_KEY_ID) when one is configured.
func (a *AWS) Bucket(ctx context.Context, client *awss3.Client, name string) (*blob.Bucket, error) {
	return s3.OpenBucket(ctx, client, name, &s3.Options{KMSKeyID: a.c.DataKeyID})
}
