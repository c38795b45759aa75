//go:build tools

package tools

import (
	_ "github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	_ "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	_ "github.com/aws/aws-sdk-go-v2/service/kms"
	_ "github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/aws/aws-sdk-go-v2/service/sesv2"
	_ "github.com/aws/aws-sdk-go-v2/service/sns"
	_ "github.com/aws/aws-sdk-go-v2/service/sqs"
	_ "github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	_ "github.com/digitorus/timestamp"
	_ "github.com/go-fonts/dejavu/dejavusans"
	_ "github.com/makiuchi-d/gozxing/qrcode"
	_ "github.com/pdfcpu/pdfcpu/pkg/api"
	_ "github.com/skip2/go-qrcode"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/s3blob"
	_ "golang.org/x/crypto/ocsp"
	_ "golang.org/x/image/font/opentype"
	_ "honnef.co/go/tools/cmd/staticcheck"
	_ "modernc.org/sqlite"
)
