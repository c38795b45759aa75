package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/search/searchtest"
	"github.com/sohoa/sohoa/pkg/local/sqlite"
)

func TestSearchIndexConformance(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	idx, err := db.Search(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	searchtest.Run(t, idx)
	// Creating it again on the same file is harmless.
	if _, err := db.Search(context.Background()); err != nil {
		t.Fatal(err)
	}
}
