// Command ocr is the OCR function on AWS: a container-image Lambda (Debian
// slim with Tesseract; see Dockerfile) that reads page ranges of a component
// PDF with pkg/format/ocr — the engine the local stack uses, each page in a child
// process of this same binary. Tesseract does not fit a zip Lambda. Its
// handler and protocol are pkg/aws/lambdaocr's, whose Client the ingest
// function invokes it with.
//
// SOHOA_OCR_BUCKET_URL (a gocloud URL, e.g. s3://bucket?region=ap-southeast-1)
// names the bucket keys are read from; without it only inline PDFs are read.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/s3blob"

	"github.com/sohoa/sohoa/pkg/aws/lambdaocr"
	"github.com/sohoa/sohoa/pkg/format/ocr"
)

func main() {
	// A child process that reads one page with Tesseract under limits.
	ocr.RunChildIfRequested()
	if err := run(context.Background(), os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "ocr:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	e, err := ocr.NewEngine()
	if err != nil {
		return err
	}
	h := &lambdaocr.Handler{Engine: e}
	if u := getenv("SOHOA_OCR_BUCKET_URL"); u != "" {
		if h.Bucket, err = blob.OpenBucket(ctx, u); err != nil {
			return fmt.Errorf("open bucket: %w", err)
		}
		defer h.Bucket.Close()
	}
	lambda.StartWithOptions(h.Handle, lambda.WithContext(ctx))
	return nil
}
