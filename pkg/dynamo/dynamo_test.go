package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/records"
	"github.com/sohoa/sohoa/pkg/records/recordstest"
)

// testClient returns a client of the DynamoDB-compatible server named by
// SOHOA_TEST_DYNAMODB_ENDPOINT (infra/servers/up.sh starts DynamoDB Local),
// or skips the test.
func testClient(t *testing.T) *dynamodb.Client {
	t.Helper()
	ep := os.Getenv("SOHOA_TEST_DYNAMODB_ENDPOINT")
	if ep == "" {
		t.Skip("SOHOA_TEST_DYNAMODB_ENDPOINT is not set: run `eval \"$(infra/servers/up.sh)\"` (make test does) to test against DynamoDB Local")
	}
	return dynamodb.New(dynamodb.Options{
		BaseEndpoint: aws.String(ep),
		Region:       envOr("SOHOA_TEST_AWS_REGION", "us-east-1"),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{
				AccessKeyID:     envOr("SOHOA_TEST_AWS_ACCESS_KEY_ID", "test"),
				SecretAccessKey: envOr("SOHOA_TEST_AWS_SECRET_ACCESS_KEY", "test"),
			}, nil
		}),
	})
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func newTable(t *testing.T, client *dynamodb.Client) *Table {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "sohoa-test-" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := CreateTable(ctx, client, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return New(client, name)
}

func TestConformance(t *testing.T) {
	client := testClient(t)
	recordstest.RunConformance(t, func(t *testing.T) records.Table { return newTable(t, client) })
}

func TestCreateTableTwice(t *testing.T) {
	client := testClient(t)
	tb := newTable(t, client)
	if err := CreateTable(context.Background(), client, tb.name); !errs.Is(err, errs.Conflict) {
		t.Fatalf("second CreateTable: %v, want errs.Conflict", err)
	}
}

func TestMissingTable(t *testing.T) {
	client := testClient(t)
	tb := New(client, "sohoa-no-such-table")
	_, err := tb.Get(context.Background(), "P", "S")
	if err == nil || errs.Is(err, errs.NotFound) || errs.Is(err, errs.Conflict) {
		t.Fatalf("Get on a missing table: %v, want a backend failure", err)
	}
}

// TestOversizeItem checks that DynamoDB's 400 KB item limit is reported as
// the caller's fault.
func TestOversizeItem(t *testing.T) {
	tb := newTable(t, testClient(t))
	_, err := tb.Put(context.Background(), records.Item{PK: "P", SK: "S", Data: make([]byte, 401*1024)})
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("Put of a 401 KB item: %v, want errs.Invalid", err)
	}
}
