// Package pdfcorpus finds, for tests, the folder of real-world PDFs (files
// from other projects' test suites: damaged, encrypted, signed, linearized,
// born-digital and scanned) that ingestion, verification and signing must
// survive. The folder is named by SOHOA_PDF_CORPUS (make sets it when a
// corpus is checked out beside the repository), or found as corpus/pdf in a
// parent folder of the test or beside one. Without a corpus the tests that
// need it are skipped; under CI=true they fail, since CI must have it.
package pdfcorpus

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Env names the corpus folder.
const Env = "SOHOA_PDF_CORPUS"

// Dir returns the corpus folder, or skips t (fails it under CI=true).
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv(Env); d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Fatalf("%s=%s is not a folder: %v", Env, d, err)
		}
		return d
	}
	if d := find(); d != "" {
		return d
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no PDF corpus: set %s", Env)
	}
	t.Skipf("no PDF corpus found; set %s to run this test", Env)
	return ""
}

// find looks for corpus/pdf in the working folder's parents and in their
// subfolders one level down.
func find() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		cands := []string{filepath.Join(dir, "corpus", "pdf")}
		if more, err := filepath.Glob(filepath.Join(dir, "*", "corpus", "pdf")); err == nil {
			cands = append(cands, more...)
		}
		for _, c := range cands {
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				return c
			}
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// Files returns the paths of the corpus's files (its README left out),
// sorted by name.
func Files(t testing.TB) []string {
	t.Helper()
	dir := Dir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(strings.ToUpper(e.Name()), "README") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	if len(out) == 0 {
		t.Fatalf("the PDF corpus %s is empty", dir)
	}
	slices.Sort(out)
	return out
}

// Read returns the corpus's files by base name.
func Read(t testing.TB) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, f := range Files(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(f)] = b
	}
	return m
}

// Optional is Files for a test that also has cases of its own: without a
// corpus it answers nil instead of skipping (under CI=true it still fails).
func Optional(t testing.TB) []string {
	t.Helper()
	if os.Getenv(Env) == "" && find() == "" && os.Getenv("CI") != "true" {
		return nil
	}
	return Files(t)
}
