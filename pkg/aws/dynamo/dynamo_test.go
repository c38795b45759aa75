package dynamo

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
	"github.com/sohoa/sohoa/pkg/port/records/recordstest"
	"github.com/sohoa/sohoa/pkg/testkit/awstest"
)

// testClient returns a client of the DynamoDB-compatible server named by
// SOHOA_TEST_DYNAMODB_ENDPOINT (infra/servers/up.sh starts DynamoDB Local),
// or skips the test.
func testClient(t *testing.T) *dynamodb.Client {
	t.Helper()
	return dynamodb.New(dynamodb.Options{
		BaseEndpoint: aws.String(awstest.Endpoint(t, "SOHOA_TEST_DYNAMODB_ENDPOINT", "DynamoDB Local")),
		Region:       awstest.Region(),
		Credentials:  awstest.Credentials(),
	})
}

func newTable(t *testing.T, client *dynamodb.Client) *Table {
	t.Helper()
	name := awstest.Name()
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

func TestTableClock(t *testing.T) {
	client := testClient(t)
	for _, at := range []time.Time{time.Date(2019, 5, 1, 8, 0, 0, 0, time.UTC), time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)} {
		t.Run(at.Format(time.DateOnly), func(t *testing.T) {
			recordstest.RunClock(t, newTable(t, client).WithClock(func() time.Time { return at }), at)
		})
	}
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
