// Command signer signs results in batches: SQS jobs, each one officer's
// authorization over up to 1,000 dossiers (pkg/dossier RunSignJob).
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
		fmt.Fprintln(os.Stderr, "signer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	cfg, err := wire.Load("signer", getenv)
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
