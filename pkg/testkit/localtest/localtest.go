// Package localtest opens the local adapters for a test: a SQLite file
// (records and queue) and a file bucket, in t.TempDir, closed when the test
// ends. Domain tests run against these real adapters, not fakes.
package localtest

import (
	"context"
	"path/filepath"
	"testing"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/local/sqlite"
	"github.com/sohoa/sohoa/pkg/port/blobs"
)

// DB opens a fresh SQLite database.
func DB(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "sohoa.db"))
	if err != nil {
		t.Fatalf("open SQLite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Bucket opens a fresh bucket on disk.
func Bucket(t testing.TB) *blob.Bucket {
	t.Helper()
	b, err := blobs.OpenLocal(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatalf("open bucket: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
