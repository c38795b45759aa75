// Package awstest connects the AWS adapters' tests to the AWS-compatible
// servers that infra/servers/up.sh starts on 127.0.0.1 (make test does), and
// skips them with a clear message when those servers are not up. It is test
// support for adapters only; domain code never imports it.
package awstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Endpoint returns the endpoint URL held by the environment variable env
// (e.g. SOHOA_TEST_DYNAMODB_ENDPOINT), or skips t naming server.
func Endpoint(t testing.TB, env, server string) string {
	t.Helper()
	ep := os.Getenv(env)
	if ep == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set and CI=true: the %s integration test must run, not skip (eval \"$(infra/servers/up.sh)\")", env, server)
		}
		t.Skipf("%s is not set: run `eval \"$(infra/servers/up.sh)\"` (make test does) to test against %s", env, server)
	}
	return ep
}

// Region is the region the test servers are addressed in.
func Region() string { return envOr("SOHOA_TEST_AWS_REGION", "us-east-1") }

// Credentials are the test servers' static credentials (MinIO's root user;
// the others accept any).
func Credentials() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{
			AccessKeyID:     envOr("SOHOA_TEST_AWS_ACCESS_KEY_ID", "minioadmin"),
			SecretAccessKey: envOr("SOHOA_TEST_AWS_SECRET_ACCESS_KEY", "minioadmin"),
		}, nil
	})
}

// Name returns a fresh resource name (table, queue prefix, bucket) so that
// tests never share server state.
func Name() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "sohoa-test-" + hex.EncodeToString(b[:])
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
