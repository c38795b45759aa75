// Package pdftool runs, for tests, the PDF tools we did not write on what we
// produce: poppler's pdfsig and pdftotext, qpdf, and NSS's certutil (make
// tools installs them from Debian). A test whose tool is missing is skipped
// with a message saying how to install it; Available lets a test that checks
// more than one thing carry on without it.
package pdftool

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// timeout bounds one run of a tool.
const timeout = 60 * time.Second

// Available reports whether the tool is installed.
//
// With CI=true every tool is required: Available answers true so that the
// caller goes on to Path, which fails the test when the tool is missing.
func Available(name string) bool {
	if InCI() {
		return true
	}
	_, err := exec.LookPath(name)
	return err == nil
}

// InCI reports whether the tests run in continuous integration (CI=true),
// where a missing tool or server is a failure, never a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// Path returns the path of the tool, or skips t.
func Path(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if InCI() {
			t.Fatalf("%s is not installed and CI=true: a check we rely on cannot run (make tools installs poppler-utils, qpdf, libnss3-tools)", name)
		}
		t.Skipf("%s is not installed (make tools installs poppler-utils, qpdf, libnss3-tools): skipping the check with it", name)
	}
	return p
}

// Run runs the tool and returns its standard output; a failure fails t.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, errOut, err := run(t, name, args...)
	if err != nil {
		t.Fatalf("%s %v: %v\n%s%s", name, args, err, out, errOut)
	}
	return out
}

func run(t testing.TB, name string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, Path(t, name), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// File writes pdf to a temporary file and returns its path.
func File(t testing.TB, pdf []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// NSS returns an NSS database directory that trusts the PEM root, for pdfsig.
func NSS(t testing.TB, rootPEM []byte) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root.pem")
	if err := os.WriteFile(root, rootPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	Run(t, "certutil", "-N", "-d", "sql:"+dir, "--empty-password")
	Run(t, "certutil", "-A", "-d", "sql:"+dir, "-n", "trusted-root", "-t", "CT,C,C", "-i", root)
	return dir
}

// Pdfsig runs poppler's pdfsig with the NSS database nss on pdf and returns
// what it printed. Its exit status is not a failure: it is non-zero for an
// invalid signature, which some tests want.
func Pdfsig(t testing.TB, nss string, pdf []byte, extra ...string) string {
	t.Helper()
	args := append(append([]string{"-nssdir", "sql:" + nss}, extra...), File(t, pdf))
	out, errOut, _ := run(t, "pdfsig", args...)
	return out + errOut
}

// Signatures splits pdfsig's output into one block per signature.
func Signatures(out string) []string {
	parts := strings.Split(out, "Signature #")
	if len(parts) < 2 {
		return nil
	}
	return parts[1:]
}

// QpdfCheck fails t unless qpdf --check finds pdf clean, warnings included.
// It is a side check of tests that check more: without qpdf it only logs.
func QpdfCheck(t testing.TB, pdf []byte) {
	t.Helper()
	if !Available("qpdf") {
		t.Log("qpdf is not installed (make tools installs it): structure check skipped")
		return
	}
	out, errOut, err := run(t, "qpdf", "--check", File(t, pdf))
	if err != nil || !strings.Contains(out, "No syntax or stream encoding errors found") || strings.Contains(out+errOut, "WARNING") {
		t.Errorf("qpdf --check: %v\n%s%s", err, out, errOut)
	}
}

// Text returns the text of one page (1-based) as pdftotext extracts it.
func Text(t testing.TB, pdf []byte, page int) string {
	t.Helper()
	p := strconv.Itoa(page)
	return Run(t, "pdftotext", "-f", p, "-l", p, File(t, pdf), "-")
}
