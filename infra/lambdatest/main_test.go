package lambdatest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Functions are the functions in functions/, each driven by events/<name>/*.json.
var Functions = []string{"api", "ingest", "signer", "notify", "report"}

// servers are the endpoints of infra/servers/up.sh.
type servers struct {
	s3, dynamodb, sqs, ses, sesStore, sns string
	webhookAddr, webhookARN               string
	key, secret, region                   string
}

func serversFromEnv() (servers, string) {
	s := servers{
		s3: os.Getenv("SOHOA_TEST_S3_ENDPOINT"), dynamodb: os.Getenv("SOHOA_TEST_DYNAMODB_ENDPOINT"),
		sqs: os.Getenv("SOHOA_TEST_SQS_ENDPOINT"), ses: os.Getenv("SOHOA_TEST_SES_ENDPOINT"),
		sesStore: os.Getenv("SOHOA_TEST_SES_STORE_URL"), sns: os.Getenv("SOHOA_TEST_SNS_ENDPOINT"),
		webhookAddr: os.Getenv("SOHOA_TEST_S3_WEBHOOK_ADDR"), webhookARN: os.Getenv("SOHOA_TEST_S3_WEBHOOK_ARN"),
		key: os.Getenv("SOHOA_TEST_AWS_ACCESS_KEY_ID"), secret: os.Getenv("SOHOA_TEST_AWS_SECRET_ACCESS_KEY"),
		region: os.Getenv("SOHOA_TEST_AWS_REGION"),
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.s3 == "" || s.dynamodb == "" || s.sqs == "" || s.key == "" {
		return s, "the Lambda end-to-end tests need the local AWS servers: run `eval \"$(infra/servers/up.sh)\"` " +
			"(SOHOA_TEST_S3_ENDPOINT, SOHOA_TEST_DYNAMODB_ENDPOINT, SOHOA_TEST_SQS_ENDPOINT and SOHOA_TEST_AWS_ACCESS_KEY_ID are unset)"
	}
	return s, ""
}

// harness is what TestMain prepared: the servers and the built bootstraps.
type harness struct {
	srv      servers
	skip     string
	root     string
	bins     map[string]string
	buildErr error
}

var h harness // set once by TestMain, read-only after

func TestMain(m *testing.M) {
	h.srv, h.skip = serversFromEnv()
	wd, _ := os.Getwd()
	h.root = filepath.Clean(filepath.Join(wd, "..", ".."))
	var tmp string
	if h.skip == "" {
		var err error
		tmp, err = os.MkdirTemp("", "lambdatest-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		start := time.Now()
		h.bins, h.buildErr = Build(ctx, h.root, tmp, Functions...)
		cancel()
		fmt.Fprintf(os.Stderr, "lambdatest: built %d bootstraps for %s/%s in %v\n", len(Functions), runtime.GOOS, runtime.GOARCH, time.Since(start).Round(time.Millisecond))
	}
	code := m.Run()
	if tmp != "" {
		os.RemoveAll(tmp)
	}
	os.Exit(code)
}

// need skips t unless the servers are up and the bootstraps built.
func need(t testing.TB) {
	t.Helper()
	if h.skip != "" {
		t.Skip(h.skip)
	}
	if h.buildErr != nil {
		t.Fatal(h.buildErr)
	}
}
