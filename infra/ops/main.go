// Command ops is the operators' tool for jobs that ran out of attempts:
// it lists and redrives a dead-letter queue, and re-runs one dossier's
// ingestion or notifications. The same code runs against the local stack's
// data folder and against AWS (DynamoDB, S3 and SQS through the adapters
// the functions use), with the services built by the one assembly,
// pkg/app.
//
//	make ops ARGS="dead-letters ingest"
//	make ops ARGS="redrive ingest"
//	make ops ARGS="rerun-ingest <dossier-id>"
//	make ops ARGS="rerun-notify <dossier-id>"
//	make ops ARGS="end-sessions <subject>"
//
// Locally (the default) it opens -data, the stack's folder, which the
// running stack may share (SQLite allows it); its workers pick the jobs up.
// With -aws it reads the deployment from the environment: SOHOA_TABLE,
// SOHOA_DOSSIER_BUCKET, SOHOA_DATA_KEY_ID and, per topic, SOHOA_<TOPIC>_QUEUE_URL
// and SOHOA_<TOPIC>_DLQ_URL (the stack's outputs).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/app"
	"github.com/sohoa/sohoa/pkg/aws/dynamo"
	"github.com/sohoa/sohoa/pkg/aws/s3"
	"github.com/sohoa/sohoa/pkg/aws/sqs"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/local/sqlite"
	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// topics are the queues an operator may redrive.
var topics = []string{dossier.TopicIngest, dossier.TopicOCR, dossier.TopicSign, notify.Topic}

const usage = `usage: ops [-data DIR | -aws] COMMAND
  dead-letters TOPIC       list the jobs TOPIC dead-lettered (topics: %s)
  redrive TOPIC            put them back on the queue, with fresh attempts
  rerun-ingest DOSSIER     ingest the dossier's last scan again
  rerun-notify DOSSIER     send the notifications of its last status change again
  end-sessions SUBJECT     sign a person out everywhere at once (an account disabled or at risk)`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "ops:", err)
		os.Exit(1)
	}
}

// ports is what the commands need of a platform.
type ports struct {
	records records.Table
	bucket  *blob.Bucket
	queue   queue.Queue
	close   func() error
}

func run(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("ops", flag.ContinueOnError)
	data := fs.String("data", "./.sohoa", "the local stack's data folder")
	onAWS := fs.Bool("aws", false, "act on the AWS deployment named by the environment")
	fs.Usage = func() { fmt.Fprintf(fs.Output(), usage+"\n", strings.Join(topics, ", ")) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errors.New("a command and its argument are needed")
	}
	cmd, arg := fs.Arg(0), fs.Arg(1)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var (
		p   ports
		err error
	)
	if *onAWS {
		p, err = awsPorts(ctx, getenv)
	} else {
		p, err = localPorts(ctx, *data)
	}
	if err != nil {
		return err
	}
	defer p.close()
	log := slog.New(logctx.NewHandler(slog.NewTextHandler(os.Stderr, nil)))
	ctx = logctx.WithRequest(ctx, "ops")
	switch cmd {
	case "dead-letters", "redrive":
		if !knownTopic(arg) {
			return fmt.Errorf("unknown topic %q (topics: %s)", arg, strings.Join(topics, ", "))
		}
		if cmd == "redrive" {
			n, err := p.queue.Redrive(ctx, arg)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "redrove %d job(s) of %s\n", n, arg)
			return nil
		}
		ms, err := p.queue.DeadLetters(ctx, arg)
		if err != nil {
			return err
		}
		for _, m := range ms {
			fmt.Fprintf(out, "%s\t%d\t%s\n", m.ID, m.Attempts, m.Body)
		}
		fmt.Fprintf(out, "%d dead-lettered job(s) of %s\n", len(ms), arg)
		return nil
	case "end-sessions":
		if err := identity.EndSessions(ctx, p.records, arg); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: every session ended\n", arg)
		return nil
	case "rerun-ingest", "rerun-notify":
		a, err := app.Build(ctx, app.Ports{Records: p.records, Dossiers: p.bucket, Queue: p.queue}, app.Options{Log: log})
		if err != nil {
			return err
		}
		if cmd == "rerun-ingest" {
			if err := a.Dossiers.Reingest(ctx, arg); err != nil {
				return err
			}
			fmt.Fprintf(out, "dossier %s: ingestion queued again\n", arg)
			return nil
		}
		ev, err := a.Dossiers.LastChange(ctx, arg)
		if err != nil {
			return err
		}
		if err := notify.Requeue(ctx, p.queue, ev); err != nil {
			return err
		}
		fmt.Fprintf(out, "dossier %s: notifications of %s queued again\n", arg, ev.Status)
		return nil
	}
	fs.Usage()
	return fmt.Errorf("unknown command %q", cmd)
}

func knownTopic(t string) bool {
	for _, k := range topics {
		if k == t {
			return true
		}
	}
	return false
}

// localPorts opens the local stack's data folder as the stack does.
func localPorts(ctx context.Context, dir string) (ports, error) {
	if _, err := os.Stat(filepath.Join(dir, "sohoa.db")); err != nil {
		return ports{}, fmt.Errorf("no local stack's data in %s (-data): %w", dir, err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "sohoa.db"))
	if err != nil {
		return ports{}, err
	}
	b, err := blobs.OpenLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		db.Close()
		return ports{}, err
	}
	return ports{records: db.Table(), bucket: b, queue: db.Queue(),
		close: func() error { return errors.Join(b.Close(), db.Close()) }}, nil
}

// awsPorts builds the adapters of the deployment named by the environment.
func awsPorts(ctx context.Context, getenv func(string) string) (ports, error) {
	need := func(name string) (string, error) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("-aws needs %s (an output of the stack)", name)
	}
	table, err := need("SOHOA_TABLE")
	if err != nil {
		return ports{}, err
	}
	bucket, err := need("SOHOA_DOSSIER_BUCKET")
	if err != nil {
		return ports{}, err
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return ports{}, fmt.Errorf("AWS configuration: %w", err)
	}
	qs := map[string]sqs.Topic{}
	for _, t := range topics {
		env := "SOHOA_" + strings.ToUpper(t)
		if u := strings.TrimSpace(getenv(env + "_QUEUE_URL")); u != "" {
			qs[t] = sqs.Topic{URL: u, DeadLetterURL: strings.TrimSpace(getenv(env + "_DLQ_URL"))}
		}
	}
	tbl := dynamo.New(dynamodb.NewFromConfig(cfg), table)
	b, err := s3.OpenBucket(ctx, awss3.NewFromConfig(cfg), bucket, &s3.Options{KMSKeyID: getenv("SOHOA_DATA_KEY_ID")})
	if err != nil {
		return ports{}, err
	}
	return ports{records: tbl, bucket: b, queue: sqs.New(awssqs.NewFromConfig(cfg), qs, tbl), close: b.Close}, nil
}
