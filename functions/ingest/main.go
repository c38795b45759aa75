// Command ingest ingests scans: SQS batches of the intake bucket's S3 ObjectCreated
// events (and of ingest jobs the API queued), each handed to the dossier
// service; failures are reported per message.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sohoa/sohoa/functions/internal/wire"
	"github.com/sohoa/sohoa/pkg/scan"
)

func main() {
	// A child process that reads one untrusted scan under limits (scan.SplitIsolated).
	scan.RunChildIfRequested()
	if err := run(context.Background(), os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "ingest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	cfg, err := wire.Load("ingest", getenv)
	if err != nil {
		return err
	}
	h, err := newHandler(ctx, cfg)
	if err != nil {
		return err
	}
	lambda.StartWithOptions(h.Handle, lambda.WithContext(ctx))
	return nil
}
