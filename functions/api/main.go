// Command api is the HTTP API on Lambda: API Gateway HTTP API events through
// the same router as the local stack (pkg/api), wired to AWS by package wire.
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
	// A child process that reads one untrusted PDF under limits (scan.VerifyIsolated,
	// scan.CheckResultIsolated).
	scan.RunChildIfRequested()
	if err := run(context.Background(), os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	env, err := wire.Load("api", getenv)
	if err != nil {
		return err
	}
	h, err := wire.API(ctx, env)
	if err != nil {
		return err
	}
	lambda.StartWithOptions(h, lambda.WithContext(ctx))
	return nil
}
