package scan_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/race"

	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

func TestSplitIsolated(t *testing.T) {
	fx, err := fixtures()
	if err != nil {
		t.Fatal(err)
	}
	// A page without images whose content stream inflates to 256 MiB:
	// pdfcpu holds it whole, so only the child's memory limit stops it.
	var contentBomb []byte
	if !race.Enabled { // the race detector's address space rules out RLIMIT_AS, and its deflate is slow
		contentBomb = scantest.RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
			scantest.Stream("/Filter [/FlateDecode /FlateDecode]", scantest.Deflate(scantest.Zeros(256<<20))))
	}

	tests := []struct {
		name    string
		data    []byte
		timeout time.Duration
		mem     int64
		code    string
		msg     string
	}{
		{"good", fx["good"], 20 * time.Second, 1 << 30, "", ""},
		{"content bomb over the memory limit", contentBomb, 20 * time.Second, 128 << 20, scan.CodeUnreadable, ""},
		{"time limit", fx["good"], time.Millisecond, 1 << 30, scan.CodeTimeout, "giới hạn của hệ thống"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.data == nil {
				t.Skip("not under the race detector")
			}
			lim := scan.DefaultLimits()
			lim.Timeout, lim.PageTime, lim.MaxMemory = tt.timeout, 0, tt.mem
			res, err := scan.SplitIsolated(context.Background(), tt.data, lim)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Components) != 1 || res.Components[0].Code != "TK-01" || len(res.Components[0].Pages) != 2 {
					t.Errorf("components %d, want TK-01 with 2 pages", len(res.Components))
				}
				checkPDF(t, res.Components[0].PDF, 2)
				return
			}
			t.Logf("%.300s", err)
			var se *scan.Error
			if !errors.As(err, &se) || se.Code != tt.code || !strings.Contains(se.Message, tt.msg) {
				t.Errorf("err = %v, want %s with %q", err, tt.code, tt.msg)
			}
		})
	}
}

func TestSplitIsolatedCancelled(t *testing.T) {
	fx, err := fixtures()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = scan.SplitIsolated(ctx, fx["good"], scan.DefaultLimits())
	if !errors.Is(err, context.Canceled) || scan.CodeOf(err) != "" {
		t.Errorf("err = %v, want context.Canceled and no finding", err)
	}
}

// failingReader yields its bytes, then fails as a broken storage read would.
type failingReader struct{ r io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("connection reset by storage")
	}
	return n, err
}

func TestSplitIsolatedStream(t *testing.T) {
	fx, err := fixtures()
	if err != nil {
		t.Fatal(err)
	}
	good := fx["good"]
	lim := scan.DefaultLimits()
	tests := []struct {
		name string
		src  io.Reader
		size int64
		code string // the finding; "" with fault: an error that is no finding
		// fault: the source is at fault, not the scan (the job is retried).
		fault bool
	}{
		{"good", bytes.NewReader(good), int64(len(good)), "", false},
		{"storage fails mid-way", &failingReader{bytes.NewReader(good[:len(good)/2])}, int64(len(good)), "", true},
		{"storage ends early", bytes.NewReader(good[:len(good)/2]), int64(len(good)), "", true},
		{"empty", bytes.NewReader(nil), 0, scan.CodeUnreadable, false},
		{"too large, refused unread", &failingReader{bytes.NewReader(nil)}, lim.MaxBytes + 1, scan.CodeTooLarge, false},
		{"not a scan", strings.NewReader("<html><body>hello</body></html>"), 31, scan.CodeUnsupported, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			res, err := scan.SplitIsolatedStream(context.Background(), tt.src, tt.size, lim, dir)
			switch {
			case tt.fault:
				if err == nil || scan.CodeOf(err) != "" {
					t.Fatalf("err = %v, want a failure that is no finding", err)
				}
				t.Log(err)
			case tt.code != "":
				if scan.CodeOf(err) != tt.code {
					t.Fatalf("err = %v, want %s", err, tt.code)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Components) != 1 || res.Components[0].PDF != nil || filepath.Dir(res.Components[0].File) != dir {
					t.Fatalf("components %+v, want one written in %s", res.Components, dir)
				}
				b, err := os.ReadFile(res.Components[0].File)
				if err != nil {
					t.Fatal(err)
				}
				checkPDF(t, b, 2)
				mem, err := scan.SplitIsolated(context.Background(), good, lim)
				if err != nil {
					t.Fatal(err)
				}
				// pdfcpu numbers objects in map order: the same PDF, not the same bytes.
				if len(mem.Components[0].PDF) != len(b) {
					t.Errorf("streamed component of %d bytes, %d read in memory", len(b), len(mem.Components[0].PDF))
				}
			}
		})
	}
}
