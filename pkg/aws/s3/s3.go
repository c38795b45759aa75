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

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"github.com/sohoa/sohoa/pkg/port/blobs"
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
// setting (CRC32 when supported) works with MinIO. Presigned URLs: Presigner
// (PresignGet, PresignPut).
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
const MaxPresignExpiry = blobs.MaxPresignExpiry

// PresignGet returns a URL that downloads key for expiry (at most
// MaxPresignExpiry), without credentials.
func PresignGet(ctx context.Context, b *blob.Bucket, key string, expiry time.Duration) (string, error) {
	return Presigner{Bucket: b}.PresignGet(ctx, key, blobs.Headers{}, expiry)
}

// PresignPut returns a URL to which an HTTP PUT uploads key for expiry (at
// most MaxPresignExpiry), without credentials.
func PresignPut(ctx context.Context, b *blob.Bucket, key string, expiry time.Duration) (string, error) {
	return Presigner{Bucket: b}.PresignPut(ctx, key, expiry)
}

// Presigner is blobs.Presigner over an S3 bucket opened by OpenBucket: the
// headers of a presigned GET are S3's response-content-type and
// response-content-disposition, signed into the URL.
type Presigner struct {
	Bucket *blob.Bucket
}

// PresignGet implements blobs.Presigner.
func (p Presigner) PresignGet(ctx context.Context, key string, h blobs.Headers, expiry time.Duration) (string, error) {
	return presign(ctx, p.Bucket, key, &blob.SignedURLOptions{Method: http.MethodGet, Expiry: expiry,
		BeforeSign: func(as func(any) bool) error {
			var in *awss3.GetObjectInput
			if !as(&in) {
				return errors.New("s3: the bucket is not an S3 bucket")
			}
			if h.ContentType != "" {
				in.ResponseContentType = aws.String(h.ContentType)
			}
			if h.Disposition != "" {
				in.ResponseContentDisposition = aws.String(h.Disposition)
			}
			return nil
		}})
}

// PresignPut implements blobs.Presigner.
func (p Presigner) PresignPut(ctx context.Context, key string, expiry time.Duration) (string, error) {
	return presign(ctx, p.Bucket, key, &blob.SignedURLOptions{Method: http.MethodPut, Expiry: expiry})
}

func presign(ctx context.Context, b *blob.Bucket, key string, o *blob.SignedURLOptions) (string, error) {
	if err := blobs.CheckExpiry(o.Expiry); err != nil {
		return "", err
	}
	u, err := b.SignedURL(ctx, key, o)
	if err != nil {
		return "", fmt.Errorf("s3: presign %s %s: %w", o.Method, key, err)
	}
	return u, nil
}
