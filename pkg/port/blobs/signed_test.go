package blobs

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/errs"
)

func TestLocalSigned(t *testing.T) {
	ctx := context.Background()
	base, _ := url.Parse("http://127.0.0.1:8080/v1/blobs")
	secret := bytes.Repeat([]byte("k"), MinSecret)
	b, s, err := OpenLocalSigned(filepath.Join(t.TempDir(), "b"), base, secret)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	key := "vault/079200000001/giấy khai sinh.pdf"
	get, err := b.SignedURL(ctx, key, &blob.SignedURLOptions{Method: http.MethodGet, Expiry: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(get)
	if !strings.HasPrefix(get, base.String()) {
		t.Fatalf("signed URL %s is not under %s", get, base)
	}
	if got, err := s.Check(ctx, http.MethodGet, u); err != nil || got.Key != key {
		t.Fatalf("Check(GET) = %q, %v", got, err)
	}
	if _, err := s.Check(ctx, http.MethodPut, u); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("Check of a GET link used for PUT: %v", err)
	}
	q := u.Query()
	q.Set("obj", "vault/someone-else.pdf")
	tampered := *u
	tampered.RawQuery = q.Encode()
	if _, err := s.Check(ctx, http.MethodGet, &tampered); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("Check of a tampered link: %v", err)
	}
	_, other, err := OpenLocalSigned(filepath.Join(t.TempDir(), "c"), base, bytes.Repeat([]byte("j"), MinSecret))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Check(ctx, http.MethodGet, u); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("Check with another secret: %v", err)
	}
	old, err := b.SignedURL(ctx, key, &blob.SignedURLOptions{Method: http.MethodGet, Expiry: -time.Minute})
	if err == nil {
		ou, _ := url.Parse(old)
		if _, err := s.Check(ctx, http.MethodGet, ou); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("Check of an expired link: %v", err)
		}
	}
	for _, c := range []struct {
		base   *url.URL
		secret []byte
	}{{nil, secret}, {&url.URL{Path: "/rel"}, secret}, {base, []byte("short")}} {
		if _, _, err := OpenLocalSigned(t.TempDir(), c.base, c.secret); err == nil {
			t.Errorf("OpenLocalSigned(%v, %d-byte secret) succeeded", c.base, len(c.secret))
		}
	}
}
