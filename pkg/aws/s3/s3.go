// Package s3 opens S3 buckets as portable gocloud.dev/blob Buckets (s3blob
// over aws-sdk-go-v2), so that code holding blobs never sees S3's types, and
// the S3 bucket is proven by the same suite as the local folder
// (blobs/blobstest, run here against MinIO).
//
// It is not for local buckets (blobs.OpenLocal) and is imported only by the
// functions' mains and tests, keeping AWS out of package blobs.
package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
)

// Options are the optional settings of OpenBucket; nil means none.
type Options struct {
	// KMSKeyID, if set, asks for SSE-KMS with this key on every write (the
	// bucket's policy may require it); if empty, the bucket's default applies.
	KMSKeyID string
}

// OpenBucket returns the bucket name reached through client. Writes stream
// through the SDK's transfer manager (multipart above 5 MiB, so a 50 MiB scan
// is never whole in memory), which also avoids the SDK's failure to hash a
// non-seekable PutObject body over plain http. The client's default checksum
// setting (CRC32 when supported) works with MinIO. Presigned URLs: PresignGet,
// PresignPut.
func OpenBucket(ctx context.Context, client *awss3.Client, name string, opts *Options) (*blob.Bucket, error) {
	if client == nil || name == "" {
		return nil, errors.New("s3: OpenBucket needs a client and a bucket name")
	}
	o := &s3blob.Options{}
	if opts != nil && opts.KMSKeyID != "" {
		o.EncryptionType = types.ServerSideEncryptionAwsKms
		o.KMSEncryptionID = opts.KMSKeyID
	}
	b, err := s3blob.OpenBucket(ctx, client, name, o)
	if err != nil {
		return nil, fmt.Errorf("s3: open %s: %w", name, err)
	}
	return b, nil
}

// MaxPresignExpiry is the longest validity PresignGet and PresignPut give.
const MaxPresignExpiry = 15 * time.Minute

// PresignGet returns a URL that downloads key for expiry (at most
// MaxPresignExpiry), without credentials.
func PresignGet(ctx context.Context, b *blob.Bucket, key string, expiry time.Duration) (string, error) {
	return presign(ctx, b, key, http.MethodGet, expiry)
}

// PresignPut returns a URL to which an HTTP PUT uploads key for expiry (at
// most MaxPresignExpiry), without credentials.
func PresignPut(ctx context.Context, b *blob.Bucket, key string, expiry time.Duration) (string, error) {
	return presign(ctx, b, key, http.MethodPut, expiry)
}

func presign(ctx context.Context, b *blob.Bucket, key, method string, expiry time.Duration) (string, error) {
	if expiry <= 0 || expiry > MaxPresignExpiry {
		return "", fmt.Errorf("s3: presign expiry %v not in (0, %v]", expiry, MaxPresignExpiry)
	}
	u, err := b.SignedURL(ctx, key, &blob.SignedURLOptions{Method: method, Expiry: expiry})
	if err != nil {
		return "", fmt.Errorf("s3: presign %s %s: %w", method, key, err)
	}
	return u, nil
}
