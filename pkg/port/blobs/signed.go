package blobs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"

	"github.com/sohoa/sohoa/pkg/errs"
)

// MinSecret is the shortest HMAC secret OpenLocalSigned accepts.
const MinSecret = 32

// MaxPresignExpiry is the longest validity a presigned URL is given.
const MaxPresignExpiry = 15 * time.Minute

// Headers are what a presigned GET answers with, whatever the object's own
// metadata: the file's type and how a browser should show it (inline or
// attachment, with a file name).
type Headers struct {
	ContentType string
	Disposition string
}

// Presigner makes short-lived URLs that read or write one object of a bucket
// without credentials, so that big files go between the browser and the
// store and never through the API: S3's presigned URLs on AWS (s3.Presigner),
// HMAC-signed URLs served by the local stack (LocalSigner).
type Presigner interface {
	// PresignGet returns a URL that reads key until expiry (at most
	// MaxPresignExpiry); the answer carries h.
	PresignGet(ctx context.Context, key string, h Headers, expiry time.Duration) (string, error)
	// PresignPut returns a URL to which an HTTP PUT writes key until expiry
	// (at most MaxPresignExpiry).
	PresignPut(ctx context.Context, key string, expiry time.Duration) (string, error)
}

// CheckExpiry refuses an expiry outside (0, MaxPresignExpiry].
func CheckExpiry(expiry time.Duration) error {
	if expiry <= 0 || expiry > MaxPresignExpiry {
		return fmt.Errorf("blobs: presign expiry %v not in (0, %v]", expiry, MaxPresignExpiry)
	}
	return nil
}

// LocalSigner signs and checks the URLs of a local bucket: the local stack's
// stand-in for S3's presigned GET and PUT. A URL is base with the key, the
// method, the expiry, the answer's headers and an HMAC-SHA256 of all of them
// in its query; Handler serves such URLs.
type LocalSigner struct {
	base   *url.URL
	secret []byte
	now    func() time.Time
}

// OpenLocalSigned is OpenLocal with signed URLs: s.PresignGet, s.PresignPut
// and the bucket's own SignedURL return URLs under base that s.Handler serves.
func OpenLocalSigned(dir string, base *url.URL, secret []byte) (*blob.Bucket, *LocalSigner, error) {
	if base == nil || !base.IsAbs() {
		return nil, nil, errors.New("blobs: signed URLs need an absolute base URL")
	}
	if len(secret) < MinSecret {
		return nil, nil, fmt.Errorf("blobs: URL signing secret of %d bytes, want at least %d", len(secret), MinSecret)
	}
	s := &LocalSigner{base: base, secret: append([]byte(nil), secret...), now: time.Now}
	b, err := openLocal(dir, s)
	if err != nil {
		return nil, nil, err
	}
	return b, s, nil
}

// Grant is what a checked URL allows: one method on one key, answered with
// Headers.
type Grant struct {
	Key string
	Headers
}

// PresignGet implements Presigner.
func (s *LocalSigner) PresignGet(_ context.Context, key string, h Headers, expiry time.Duration) (string, error) {
	if err := CheckExpiry(expiry); err != nil {
		return "", err
	}
	return s.sign(http.MethodGet, key, h, expiry).String(), nil
}

// PresignPut implements Presigner.
func (s *LocalSigner) PresignPut(_ context.Context, key string, expiry time.Duration) (string, error) {
	if err := CheckExpiry(expiry); err != nil {
		return "", err
	}
	return s.sign(http.MethodPut, key, Headers{}, expiry).String(), nil
}

// URLFromKey implements fileblob.URLSigner: the bucket's SignedURL.
func (s *LocalSigner) URLFromKey(_ context.Context, key string, opts *driver.SignedURLOptions) (*url.URL, error) {
	return s.sign(opts.Method, key, Headers{}, opts.Expiry), nil
}

// KeyFromURL implements fileblob.URLSigner.
func (s *LocalSigner) KeyFromURL(ctx context.Context, u *url.URL) (string, error) {
	g, err := s.Check(ctx, u.Query().Get("method"), u)
	return g.Key, err
}

func (s *LocalSigner) sign(method, key string, h Headers, expiry time.Duration) *url.URL {
	exp := strconv.FormatInt(s.now().Add(expiry).Unix(), 10)
	q := url.Values{"obj": {key}, "method": {method}, "expiry": {exp}}
	if h.ContentType != "" {
		q.Set("ct", h.ContentType)
	}
	if h.Disposition != "" {
		q.Set("cd", h.Disposition)
	}
	q.Set("signature", s.mac(method, key, exp, h))
	u := *s.base
	u.RawQuery = q.Encode()
	return &u
}

// mac is the signature of a URL's fields, each length-prefixed so that no
// two different sets of fields sign alike.
func (s *LocalSigner) mac(method, key, exp string, h Headers) string {
	m := hmac.New(sha256.New, s.secret)
	for _, f := range []string{method, key, exp, h.ContentType, h.Disposition} {
		fmt.Fprintf(m, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// Check returns what a request with method to u may do, or errs.Forbidden if
// u is not a URL this signer made for that method, or has expired.
func (s *LocalSigner) Check(_ context.Context, method string, u *url.URL) (Grant, error) {
	q := u.Query()
	g := Grant{Key: q.Get("obj"), Headers: Headers{ContentType: q.Get("ct"), Disposition: q.Get("cd")}}
	exp := q.Get("expiry")
	got, err := hex.DecodeString(q.Get("signature"))
	if err != nil || g.Key == "" || !hmac.Equal(got, mustHex(s.mac(q.Get("method"), g.Key, exp, g.Headers))) {
		return Grant{}, errs.E(errs.Forbidden, "invalid link")
	}
	if m := q.Get("method"); m != method {
		return Grant{}, errs.E(errs.Forbidden, "link is for %s, not %s", m, method)
	}
	until, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || !s.now().Before(time.Unix(until, 0)) {
		return Grant{}, errs.E(errs.Forbidden, "expired link")
	}
	return g, nil
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

// ServeOptions configures the handler of a local bucket's signed URLs.
type ServeOptions struct {
	// MaxPut bounds the body of a PUT (413 above it); 0 means 512 MB.
	MaxPut int64
	// Landed is told of every object a PUT stored, as S3 tells its
	// ObjectCreated notifications; an error answers 503 (the object stays
	// and the client may put it again).
	Landed func(ctx context.Context, key string) error
}

// Handler serves the signed URLs of bucket b: GET answers the object with
// the URL's headers (ranges too), PUT stores the body under the URL's key.
func (s *LocalSigner) Handler(b *blob.Bucket, o ServeOptions) http.Handler {
	if o.MaxPut <= 0 {
		o.MaxPut = 512 << 20
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		g, err := s.Check(r.Context(), r.Method, r.URL)
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		switch r.Method {
		case http.MethodGet:
			s.serveGet(w, r, b, g)
		case http.MethodPut:
			s.servePut(w, r, b, g, o)
		default:
			http.Error(w, "only GET and PUT", http.StatusMethodNotAllowed)
		}
	})
}

func (s *LocalSigner) serveGet(w http.ResponseWriter, r *http.Request, b *blob.Bucket, g Grant) {
	rd, err := b.NewReader(r.Context(), g.Key, nil)
	if err != nil {
		http.Error(w, "no such object", http.StatusNotFound)
		return
	}
	defer rd.Close()
	h := w.Header()
	h.Set("Content-Type", g.ContentType)
	if g.ContentType == "" {
		h.Set("Content-Type", rd.ContentType())
	}
	if g.Disposition != "" {
		h.Set("Content-Disposition", g.Disposition)
	}
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox; frame-ancestors 'none'")
	http.ServeContent(w, r, "", rd.ModTime(), rd)
}

func (s *LocalSigner) servePut(w http.ResponseWriter, r *http.Request, b *blob.Bucket, g Grant, o ServeOptions) {
	if r.ContentLength > o.MaxPut {
		http.Error(w, fmt.Sprintf("larger than %d MB", o.MaxPut>>20), http.StatusRequestEntityTooLarge)
		return
	}
	ctype := r.Header.Get("Content-Type")
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	wctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	bw, err := b.NewWriter(wctx, g.Key, &blob.WriterOptions{ContentType: ctype})
	if err != nil {
		http.Error(w, "cannot store", http.StatusInternalServerError)
		return
	}
	n, err := io.Copy(bw, io.LimitReader(r.Body, o.MaxPut+1))
	if err != nil || n > o.MaxPut {
		cancel() // a writer cancelled before Close discards what it has
		_ = bw.Close()
		if n > o.MaxPut {
			http.Error(w, fmt.Sprintf("larger than %d MB", o.MaxPut>>20), http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "the upload was interrupted", http.StatusBadRequest)
		}
		return
	}
	if err := bw.Close(); err != nil {
		http.Error(w, "cannot store", http.StatusInternalServerError)
		return
	}
	if o.Landed != nil {
		if err := o.Landed(r.Context(), g.Key); err != nil {
			http.Error(w, "stored, but not announced; put it again", http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// Link is a presigned URL and the moment it stops working.
type Link struct {
	URL       string
	ExpiresAt time.Time
}

// DownloadExpiry is how long a download link works: long enough to follow
// at once, too short to be worth passing on.
const DownloadExpiry = 5 * time.Minute

// GetLink presigns a GET of key answered with h, valid DownloadExpiry from now.
func GetLink(ctx context.Context, p Presigner, key string, h Headers, now time.Time) (Link, error) {
	u, err := p.PresignGet(ctx, key, h, DownloadExpiry)
	if err != nil {
		return Link{}, fmt.Errorf("presign download: %w", err)
	}
	return Link{URL: u, ExpiresAt: now.Add(DownloadExpiry).UTC()}, nil
}

// Disposition is a Content-Disposition: kind "inline" (a browser shows the
// file itself) or "attachment" (it saves it), as name (non-ASCII names in
// RFC 2231 form).
func Disposition(kind, name string) string {
	return mime.FormatMediaType(kind, map[string]string{"filename": name})
}
