package wire

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/dynamo"
	"github.com/sohoa/sohoa/pkg/s3"
)

// AWS holds the SDK configuration of one container; clients made from it are
// built once, in init, and shared by every invocation.
type AWS struct {
	env Env
	cfg aws.Config
}

// NewAWS loads the SDK configuration (the Lambda role's credentials and
// region from the environment).
func NewAWS(ctx context.Context, env Env) (*AWS, error) {
	var opts []func(*config.LoadOptions) error
	if r := env.Get("AWS_REGION"); r != "" {
		opts = append(opts, config.WithRegion(r))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("wire: AWS configuration: %w", err)
	}
	return &AWS{env: env, cfg: cfg}, nil
}

func endpoint(e string) *string {
	if e == "" {
		return nil
	}
	return aws.String(e)
}

// S3 returns an S3 client.
func (a *AWS) S3() *awss3.Client {
	return awss3.NewFromConfig(a.cfg, func(o *awss3.Options) {
		o.BaseEndpoint = endpoint(a.env.Get(EnvEndpointS3))
		o.UsePathStyle = a.env.Get(EnvS3PathStyle) == "true"
	})
}

// DynamoDB returns a DynamoDB client.
func (a *AWS) DynamoDB() *dynamodb.Client {
	return dynamodb.NewFromConfig(a.cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = endpoint(a.env.Get(EnvEndpointDynamoDB))
	})
}

// SQS returns an SQS client.
func (a *AWS) SQS() *awssqs.Client {
	return awssqs.NewFromConfig(a.cfg, func(o *awssqs.Options) {
		o.BaseEndpoint = endpoint(a.env.Get(EnvEndpointSQS))
	})
}

// SES returns an SES v2 client.
func (a *AWS) SES() *sesv2.Client {
	return sesv2.NewFromConfig(a.cfg, func(o *sesv2.Options) {
		o.BaseEndpoint = endpoint(a.env.Get(EnvEndpointSES))
	})
}

// SNS returns an SNS client.
func (a *AWS) SNS() *sns.Client {
	return sns.NewFromConfig(a.cfg, func(o *sns.Options) {
		o.BaseEndpoint = endpoint(a.env.Get(EnvEndpointSNS))
	})
}

// Table returns the records table named by SOHOA_TABLE.
func (a *AWS) KMS() *awskms.Client {
	return awskms.NewFromConfig(a.cfg, func(o *awskms.Options) {
		o.BaseEndpoint = endpoint(a.env.Get(EnvEndpointKMS))
	})
}

// Table returns the records table.
func (a *AWS) Table() *dynamo.Table { return dynamo.New(a.DynamoDB(), a.env.Get(EnvTable)) }

// Bucket opens the bucket named by the variable name, writing with SSE-KMS
// under SOHOA_DATA_KEY_ID when it is set.
func (a *AWS) Bucket(ctx context.Context, client *awss3.Client, name string) (*blob.Bucket, error) {
	return s3.OpenBucket(ctx, client, a.env.Get(name), &s3.Options{KMSKeyID: a.env.Get(EnvDataKeyID)})
}
