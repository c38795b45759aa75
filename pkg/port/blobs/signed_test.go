package blobs

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
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

// TestLocalSignedPut: a PUT to a signed URL stores the body under the URL's
// key and announces it (Landed), within MaxPut; no other key, method or
// size is taken.
func TestLocalSignedPut(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + srv.Listener.Addr().String() + "/blobs")
	b, s, err := OpenLocalSigned(filepath.Join(t.TempDir(), "b"), base, bytes.Repeat([]byte("k"), MinSecret))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var landed []string
	failLanding := false
	srv.Config.Handler = s.Handler(b, ServeOptions{MaxPut: 1000, Landed: func(_ context.Context, key string) error {
		if failLanding {
			return errs.E(errs.Unavailable, "queue down")
		}
		landed = append(landed, key)
		return nil
	}})
	srv.Start()
	defer srv.Close()
	put, _ := s.PresignPut(ctx, "intake/d1/result-1.pdf", time.Minute)
	get, _ := s.PresignGet(ctx, "intake/d1/result-1.pdf", Headers{}, time.Minute)
	for _, c := range []struct {
		name, url, method string
		body              []byte
		fail              bool
		want              int
		stored            bool
	}{
		{"a GET link used to PUT", get, http.MethodPut, []byte("%PDF"), false, http.StatusForbidden, false},
		{"over MaxPut", put, http.MethodPut, bytes.Repeat([]byte("x"), 1001), false, http.StatusRequestEntityTooLarge, false},
		{"not announced", put, http.MethodPut, []byte("%PDF-1.7 first"), true, http.StatusServiceUnavailable, true},
		{"stored and announced", put, http.MethodPut, []byte("%PDF-1.7 result"), false, http.StatusOK, true},
		{"DELETE", put, http.MethodDelete, nil, false, http.StatusForbidden, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			failLanding = c.fail
			n := len(landed)
			req, _ := http.NewRequest(c.method, c.url, bytes.NewReader(c.body))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != c.want {
				t.Fatalf("%s: %d, want %d", c.name, res.StatusCode, c.want)
			}
			got, err := b.ReadAll(ctx, "intake/d1/result-1.pdf")
			if (err == nil) != c.stored {
				t.Fatalf("stored: %v (%v), want %v", err == nil, err, c.stored)
			}
			if c.want == http.StatusOK && (!bytes.Equal(got, c.body) || len(landed) != n+1 || landed[n] != "intake/d1/result-1.pdf") {
				t.Fatalf("stored %q, landed %q", got, landed)
			}
		})
	}
}
