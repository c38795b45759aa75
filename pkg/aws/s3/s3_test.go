package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/blobs/blobstest"
	"github.com/sohoa/sohoa/pkg/testkit/awstest"
)

// testClient returns a client of the S3-compatible server named by
// SOHOA_TEST_S3_ENDPOINT (infra/servers/up.sh starts MinIO), or skips.
func testClient(t *testing.T) *awss3.Client {
	t.Helper()
	return awss3.New(awss3.Options{
		BaseEndpoint: aws.String(awstest.Endpoint(t, "SOHOA_TEST_S3_ENDPOINT", "MinIO")),
		UsePathStyle: true,
		Region:       awstest.Region(),
		Credentials:  awstest.Credentials(),
	})
}

// newBucket creates an empty bucket for one test and removes it afterwards.
func newBucket(t *testing.T, client *awss3.Client) *blob.Bucket {
	t.Helper()
	var r [6]byte
	_, _ = rand.Read(r[:])
	name := "sohoa-test-" + hex.EncodeToString(r[:])
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	b, err := OpenBucket(ctx, client, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		it := b.List(nil)
		for {
			obj, err := it.Next(ctx)
			if err != nil {
				break
			}
			_ = b.Delete(ctx, obj.Key)
		}
		b.Close()
		_, _ = client.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: aws.String(name)})
	})
	return b
}

func TestConformance(t *testing.T) {
	client := testClient(t)
	blobstest.RunConformance(t, func(t *testing.T) *blob.Bucket { return newBucket(t, client) }, blobstest.Options{AtomicCreate: true,
		Presigned: func(t *testing.T) (*blob.Bucket, blobstest.PresignGet) {
			b := newBucket(t, client)
			return b, func(ctx context.Context, key, ct, cd string, expiry time.Duration) (string, error) {
				return Presigner{Bucket: b}.PresignGet(ctx, key, blobs.Headers{ContentType: ct, Disposition: cd}, expiry)
			}
		}})
}

func TestPresign(t *testing.T) {
	client := testClient(t)
	b := newBucket(t, client)
	ctx := context.Background()
	key := "intake/000.00.01.H29-261123-0001/scan 1.pdf"

	put, err := PresignPut(ctx, b, key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("%PDF-1.7 uploaded through a presigned URL")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, put, bytes.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %s", res.Status)
	}
	got, err := b.ReadAll(ctx, key)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("after presigned PUT: %q %v", got, err)
	}

	get, err := PresignGet(ctx, b, key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	res, err = http.Get(get)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("presigned GET: %s %q", res.Status, got)
	}

	// A URL for one key does not open another, and a tampered one is refused.
	for _, bad := range []string{
		strings.Replace(get, "scan%201.pdf", "scan%202.pdf", 1),
		strings.Replace(get, "X-Amz-Expires=60", "X-Amz-Expires=600", 1),
	} {
		if bad == get {
			t.Fatalf("tampering left the URL unchanged: %s", get)
		}
		res, err := http.Get(bad)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("tampered presigned GET: %s, want 403", res.Status)
		}
	}
	for _, d := range []time.Duration{0, -time.Second, MaxPresignExpiry + time.Second} {
		if _, err := PresignGet(ctx, b, key, d); err == nil {
			t.Errorf("PresignGet with expiry %v succeeded", d)
		}
	}
}

func TestExpiredPresign(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a URL to expire")
	}
	client := testClient(t)
	b := newBucket(t, client)
	ctx := context.Background()
	if err := b.WriteAll(ctx, "k", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	u, err := PresignGet(ctx, b, "k", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond)
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("expired presigned GET: %s, want 403", res.Status)
	}
}

func TestOpenBucketArgs(t *testing.T) {
	if _, err := OpenBucket(context.Background(), nil, "b", nil); err == nil {
		t.Error("OpenBucket without a client succeeded")
	}
	if _, err := OpenBucket(context.Background(), awss3.New(awss3.Options{}), "", nil); err == nil {
		t.Error("OpenBucket without a name succeeded")
	}
}
