// Command local runs the whole of Sohoa in one process on one machine: the
// HTTP API, the ingestion workers on a durable SQLite queue, blobs on disk, the
// dev PKI (OCSP, CRL, TSA) and a CSC remote-signing service on loopback. No
// cloud account is needed.
//
//	go run ./infra/local -addr 127.0.0.1:8080 -data ./.sohoa
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sohoa/sohoa/pkg/pdfdoor"
	"github.com/sohoa/sohoa/pkg/scan"
)

func main() {
	// A child process that reads one untrusted scan under limits (scan.SplitIsolated).
	scan.RunChildIfRequested()
	// A child process that reads one uploaded result or verified PDF under limits (pdfdoor).
	pdfdoor.RunChildIfRequested()
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sohoa:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	data := fs.String("data", "./.sohoa", "data directory (SQLite file, blobs, dev PKI)")
	verbose := fs.Bool("v", false, "log every request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := Start(ctx, Options{Addr: *addr, DataDir: *data, Log: log})
	if err != nil {
		return err
	}
	fmt.Printf(`Sohoa is running at %s  (data in %s)

  Health:   curl -s %[1]s/healthz
  A token:  curl -s -X POST %[1]s/v1/dev/tokens -d '{"role":"postal_clerk","subject":"clerk-01","name":"Trần Thị Mai"}'
  Dev root: %[2]s/pki/root.pem (trust it to validate signatures: see README)

Stop with Ctrl-C (drains jobs in progress).
`, st.URL, *data)
	select {
	case <-ctx.Done():
	case err := <-st.served:
		if err != nil {
			log.Error("server stopped", "err", err)
		}
	}
	log.Info("shutting down: draining requests and jobs")
	sctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	return st.Shutdown(sctx)
}
