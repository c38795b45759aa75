// Command notify turns dossier status events from the table's stream into
// notifications (pkg/notify) and into the report index (pkg/report).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sohoa/sohoa/functions/internal/wire"
)

func main() {
	if err := run(context.Background(), os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "notify:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string) error {
	cfg, err := wire.Load("notify", getenv)
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
