package dossier_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// corpusDir finds the folder of real-world PDFs (other projects' test
// files): $SOHOA_PDF_CORPUS, or a "corpus/pdf" folder next to the
// repository or one of its parents. Without one the test is skipped
// (under CI=true it fails: CI must have the corpus).
func corpusDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("SOHOA_PDF_CORPUS"); d != "" {
		if _, err := os.Stat(d); err != nil {
			t.Fatalf("SOHOA_PDF_CORPUS: %v", err)
		}
		return d
	}
	wd, _ := os.Getwd()
	for dir := wd; ; dir = filepath.Dir(dir) {
		for _, c := range []string{filepath.Join(dir, "corpus", "pdf"), filepath.Join(dir, "shared", "corpus", "pdf")} {
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				return c
			}
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no PDF corpus: set SOHOA_PDF_CORPUS")
	}
	t.Skip("no PDF corpus found; set SOHOA_PDF_CORPUS to run this test")
	return ""
}

// TestCorpusThroughDossier uploads every real-world PDF of the corpus as a
// clerk's scan of a birth registration and checks, through the whole
// pipeline, the findings each gets: what is true of that file.
func TestCorpusThroughDossier(t *testing.T) {
	heavy(t)
	dir := corpusDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("corpus %s: %d files, %v", dir, len(files), err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if filepath.Ext(name) == ".md" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t)
			ctx := context.Background()
			d := e.create(t)
			if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(data)); err != nil {
				t.Logf("XX %s upload refused: %v", name, err)
				return
			}
			e.drain(t)
			got, err := e.svc.Get(ctx, clerk, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for _, fd := range got.Findings {
				codes = append(codes, fd.Code)
			}
			slices.Sort(codes)
			codes = slices.Compact(codes)
			msg := ""
			if len(got.Findings) > 0 {
				msg = got.Findings[0].Message
			}
			t.Logf("XX %s %s %v %q", name, got.Status, codes, msg)
			_ = fmt.Sprint
		})
	}
}
