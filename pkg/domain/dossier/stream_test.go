package dossier_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/format/scan"
)

// TestIngestFromFiles: a scan reader that streams (as the isolated reader
// does) gets the scan from storage with its size and leaves the component
// PDFs as files in the folder it is given; the ingestion stores those bytes,
// paces the certification by the largest, and removes the folder.
func TestIngestFromFiles(t *testing.T) {
	heavy(t)
	e := newEnv(t)
	ctx := context.Background()
	var dirs []string
	written := map[string]string{} // component code → SHA-256 of its file
	var largest int64
	e.cfg.Scans = func(ctx context.Context, src io.Reader, size int64, dir string) (*scan.Result, error) {
		dirs = append(dirs, dir)
		data, err := io.ReadAll(src)
		if err != nil || int64(len(data)) != size {
			return nil, fmt.Errorf("read %d of %d bytes: %v", len(data), size, err)
		}
		res, err := scan.Split(ctx, data, scan.DefaultLimits())
		if err != nil {
			return nil, err
		}
		for i := range res.Components {
			c := &res.Components[i]
			if c.PDF == nil {
				continue
			}
			c.File = filepath.Join(dir, fmt.Sprintf("c%d.pdf", i))
			if err := os.WriteFile(c.File, c.PDF, 0o600); err != nil {
				return nil, err
			}
			sum := sha256.Sum256(c.PDF)
			written[c.Code], largest = hex.EncodeToString(sum[:]), max(largest, int64(len(c.PDF)))
			c.PDF = nil
		}
		return res, nil
	}
	var paced []int64
	done := 0
	e.cfg.Pacer = func(n int64) func() { paced = append(paced, n); return func() { done++ } }
	e.cfg.Certifiers = 2 // Pacer is told what two components at once hold
	svc, err := dossier.NewService(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	d := e.create(t)
	if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	got, err := e.svc.Get(ctx, clerk, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != dossier.Validated || len(got.Components) != 3 {
		t.Fatalf("status %s with %d components; findings %+v", got.Status, len(got.Components), got.Findings)
	}
	for _, c := range got.Components {
		if c.SHA256 != written[c.Code] {
			t.Errorf("%s stored as %s, its file was %s", c.Code, c.SHA256, written[c.Code])
		}
		b, err := e.blobs.ReadAll(ctx, c.Key)
		if sum := sha256.Sum256(b); err != nil || hex.EncodeToString(sum[:]) != c.SHA256 {
			t.Errorf("%s in storage: %v, not the recorded bytes", c.Code, err)
		}
	}
	if len(dirs) == 0 {
		t.Fatal("the scan reader was never called")
	}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("the ingestion left its folder %s behind (%v)", dir, err)
		}
	}
	if len(paced) == 0 || paced[0] != largest*2 || done != len(paced) {
		t.Errorf("paced %v (largest component %d), released %d times", paced, largest, done)
	}
}

// TestRemoveStaleScanFolders: only the ingestion folders older than the age
// are removed.
func TestRemoveStaleScanFolders(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	mk := func(name string, age time.Duration) string {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Join(p, "inner"), 0o700); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-age)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := mk("sohoa-scan-123", 2*time.Hour)
	fresh := mk("sohoa-scan-456", time.Minute)
	other := mk("someone-else", 3*time.Hour)
	n, err := dossier.RemoveStaleScanFolders(time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("removed %d, %v; want 1", n, err)
	}
	for p, want := range map[string]bool{stale: false, fresh: true, other: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", p, err == nil, want)
		}
	}
}
