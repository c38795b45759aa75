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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/pdfdoor"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/metrics"
	"github.com/sohoa/sohoa/pkg/web"
)

func main() {
	// A child process that reads one untrusted scan under limits (scan.SplitIsolated).
	scan.RunChildIfRequested()
	// A child process that reads one uploaded result or verified PDF under limits (pdfdoor).
	pdfdoor.RunChildIfRequested()
	// A child process that reads one page with Tesseract under limits (pkg/format/ocr).
	ocr.RunChildIfRequested()
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sohoa:", err)
		os.Exit(1)
	}
}

// crashHook returns a Checkpoint that kills the process (SIGKILL, no
// cleanup, as a power cut would) the n-th time it reaches step, for spec
// "step" or "step#n". Crash tests set SOHOA_CRASH_AT; empty: no hook.
func crashHook(spec string) func(string) {
	if spec == "" {
		return nil
	}
	step, nth, _ := strings.Cut(spec, "#")
	n, err := strconv.Atoi(nth)
	if err != nil || n < 1 {
		n = 1
	}
	var mu sync.Mutex
	count := 0
	return func(s string) {
		if s != step {
			return
		}
		mu.Lock()
		count++
		hit := count == n
		mu.Unlock()
		if hit {
			fmt.Fprintf(os.Stderr, "sohoa: SOHOA_CRASH_AT=%s reached: killing myself\n", spec)
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	data := fs.String("data", "./.sohoa", "data directory (SQLite file, blobs, dev PKI)")
	verbose := fs.Bool("v", false, "log every request")
	dev := fs.Bool("dev", false, "development routes: POST /v1/dev/tokens, GET /v1/dev/outbox (loopback addresses only)")
	auditKey := fs.String("audit-key", "", "file of the access log's MAC key, outside the data directory (default: <data>.audit-key)")
	sessionTTL := fs.Duration("session-ttl", web.DefaultSessionTTL, "how long a page session lasts")
	otpSends := fs.Int("otp-sends", 0, "one-time codes an officer may ask per credential in 15 minutes (0: the default, 5)")
	withOCR := fs.Bool("ocr", true, "read scanned components with Tesseract (text layer, CCCD check, form fields)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(logctx.NewHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	st, err := Start(ctx, Options{Addr: *addr, DataDir: *data, Log: log, Metrics: metrics.NewEMF(os.Stderr, "Function", "local"), Dev: *dev, AuditKeyFile: *auditKey,
		Checkpoint: crashHook(os.Getenv("SOHOA_CRASH_AT")), OCR: *withOCR, SessionTTL: *sessionTTL, OTPSends: *otpSends})
	if err != nil {
		return err
	}
	fmt.Printf(`Sohoa is running at %s  (data in %s)

  Health:   curl -s %[1]s/healthz
  Dev root: %[2]s/pki/root.pem (trust it to validate signatures: see README)
`, st.URL, *data)
	if *dev {
		fmt.Printf(`  A token:  curl -s -X POST %[1]s/v1/dev/tokens -d '{"role":"postal_clerk","subject":"clerk-01","name":"Trần Thị Mai","postOffice":"Bưu cục Hoàn Kiếm"}'
  The outbox (codes sent by SMS and email), for the dev operator only:
            curl -s -H "Authorization: Bearer $(cat %[2]s/dev-operator-key)" '%[1]s/v1/dev/outbox?to=%%2B84900000001'
  (-dev: development routes are on; never expose this address)
`, st.URL, *data)
	}
	fmt.Println("\nStop with Ctrl-C (drains jobs in progress).")
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
