package scan_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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
	if !raceOn { // the race detector's address space rules out RLIMIT_AS, and its deflate is slow
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
