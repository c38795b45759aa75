package blobs

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"

	"github.com/sohoa/sohoa/pkg/errs"
)

// MinSecret is the shortest HMAC secret OpenLocalSigned accepts.
const MinSecret = 32

// LocalSigner checks the signed URLs of a local bucket: the local stack's
// stand-in for S3's presigned GET and PUT. URLs are made with the bucket's
// SignedURL (method, expiry); the server that base points at calls Check.
type LocalSigner struct {
	hmac *fileblob.URLSignerHMAC
}

// OpenLocalSigned is OpenLocal with signed URLs: bucket.SignedURL returns
// base with the key, method, expiry and an HMAC-SHA256 of them (keyed by
// secret) in its query.
func OpenLocalSigned(dir string, base *url.URL, secret []byte) (*blob.Bucket, *LocalSigner, error) {
	if base == nil || !base.IsAbs() {
		return nil, nil, errors.New("blobs: signed URLs need an absolute base URL")
	}
	if len(secret) < MinSecret {
		return nil, nil, fmt.Errorf("blobs: URL signing secret of %d bytes, want at least %d", len(secret), MinSecret)
	}
	s := &LocalSigner{hmac: fileblob.NewURLSignerHMAC(base, secret)}
	b, err := openLocal(dir, s.hmac)
	if err != nil {
		return nil, nil, err
	}
	return b, s, nil
}

// Check returns the key that a request with method to u may access, or
// errs.Forbidden if u is not a URL this signer made for that method, or has
// expired.
func (s *LocalSigner) Check(ctx context.Context, method string, u *url.URL) (string, error) {
	key, err := s.hmac.KeyFromURL(ctx, u)
	if err != nil {
		return "", errs.Wrap(errs.Forbidden, err, "invalid or expired link")
	}
	if m := u.Query().Get("method"); m != method {
		return "", errs.E(errs.Forbidden, "link is for %s, not %s", m, method)
	}
	return key, nil
}
