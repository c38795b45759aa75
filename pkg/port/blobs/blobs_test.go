package blobs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	}, blobstest.Options{})
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
