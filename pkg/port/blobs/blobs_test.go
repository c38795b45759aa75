package blobs

import (
	"bytes"
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/port/blobs/blobstest"
)

func TestLocalConformance(t *testing.T) {
	blobstest.RunConformance(t, func(t *testing.T) *blob.Bucket {
		b, err := OpenLocal(filepath.Join(t.TempDir(), "bucket"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return b
	}, blobstest.Options{Presigned: func(t *testing.T) (*blob.Bucket, blobstest.PresignGet) {
		srv := httptest.NewUnstartedServer(nil)
		base, _ := url.Parse("http://" + srv.Listener.Addr().String() + "/blobs")
		b, s, err := OpenLocalSigned(filepath.Join(t.TempDir(), "bucket"), base, bytes.Repeat([]byte("s"), MinSecret))
		if err != nil {
			t.Fatal(err)
		}
		srv.Config.Handler = s.Handler(b, ServeOptions{})
		srv.Start()
		t.Cleanup(func() { srv.Close(); b.Close() })
		return b, func(ctx context.Context, key, ct, cd string, expiry time.Duration) (string, error) {
			return s.PresignGet(ctx, key, Headers{ContentType: ct, Disposition: cd}, expiry)
		}
	}})
}

func TestOpenLocal(t *testing.T) {
	if _, err := OpenLocal(""); err == nil {
		t.Error("OpenLocal of an empty path succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLocal(file); err == nil {
		t.Error("OpenLocal of a regular file succeeded")
	}
	// Nested, missing folders are created; the bucket leaves no probe behind.
	dir := filepath.Join(t.TempDir(), "a", "b")
	b, err := OpenLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Fatalf("a new bucket folder holds %v (%v)", entries, err)
	}
	// Sidecar attribute files never show in a listing.
	ctx := context.Background()
	if err := b.WriteAll(ctx, "k.pdf", []byte("x"), &blob.WriterOptions{ContentType: "application/pdf"}); err != nil {
		t.Fatal(err)
	}
	it := b.List(nil)
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			break
		}
		if strings.HasSuffix(obj.Key, ".attrs") {
			t.Fatalf("listing shows sidecar %q", obj.Key)
		}
	}
	// A key cannot escape the folder.
	if err := b.WriteAll(ctx, "../outside", []byte("x"), nil); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "outside")); err == nil {
			t.Fatal("a key with .. wrote outside the bucket folder")
		}
	}
}
