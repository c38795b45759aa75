package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// resetPeakRSS resets the kernel's high-water mark of this process's
// resident memory (Linux: 5 > /proc/self/clear_refs), so that generating the
// scan does not count.
func resetPeakRSS() {
	runtime.GC()
	debug.FreeOSMemory() // the scan generator's garbage is not the pipeline's
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS returns VmHWM of this process in bytes, 0 if unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkPipeline100Pages measures the whole pipeline on a generated
// 100-page, 200-dpi scan with 5 components: HTTP upload → durable queue →
// isolated split → checks → certification (conversion mark + seal, B-LT with
// timestamp) → VALIDATED. It reports pages/s end to end and the peak RSS of
// the stack's process relative to the scan's size.
func BenchmarkPipeline100Pages(b *testing.B) {
	sheets, data := hundredPages(b)
	var logTo io.Writer = io.Discard
	if os.Getenv("SOHOA_TEST_LOG") != "" {
		logTo = os.Stderr
	}
	st, err := Start(context.Background(), Options{Dev: true, Addr: "127.0.0.1:0", DataDir: b.TempDir(),
		Log: slog.New(slog.NewTextHandler(logTo, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = st.Shutdown(ctx)
	}()
	t := &testing.T{}
	c := client{t: t, base: st.URL, operator: st.DevOperatorKey}
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	b.SetBytes(int64(len(data)))
	resetPeakRSS()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var d struct{ ID string }
		clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": "1.004222", "postOffice": "Bưu cục Hoàn Kiếm",
			"citizen": map[string]string{"id": citizenID, "name": "Nguyễn Văn An"}}, 201, &d)
		t0 := time.Now()
		if st, body, _ := clerk.do("PUT", "/v1/dossiers/"+d.ID+"/scan", "application/pdf", data); st != 202 {
			b.Fatalf("upload: %d %s", st, body)
		}
		t1 := time.Now()
		if got := clerk.waitStatus(d.ID); got.Status == "SCANNED" {
			b.Fatal("not ingested")
		}
		if os.Getenv("SOHOA_TEST_LOG") != "" {
			fmt.Fprintf(os.Stderr, "upload %v, until ingested %v\n", t1.Sub(t0), time.Since(t1))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(sheets)*b.N)/b.Elapsed().Seconds(), "pages/s")
	if peak := peakRSS(); peak > 0 {
		// The stack's process: HTTP upload, queue, worker, certification,
		// storage (the test client's copy of the scan included). The isolated
		// reader is a separate process: see scan's BenchmarkSplitIsolated100Pages.
		b.ReportMetric(float64(peak>>20), "stack-peak-MB")
		b.ReportMetric(float64(peak)/float64(len(data)), "stack-peak/scan-size")
	}
	b.ReportMetric(float64(len(data)>>20), "scan-MB")
}

// hundredPages is the 100-page, 54 MB scan of the pipeline benchmarks: a
// permanent-residence dossier of 5 components of 19 pages each, behind their
// separator sheets (CCCD is not one of the procedure's: a finding, still
// split).
func hundredPages(b *testing.B) ([]scantest.Sheet, []byte) {
	b.Helper()
	var sheets []scantest.Sheet
	for i, code := range []string{"TKCT", "GCNQSDD", "GKS", "VBDY", "CCCD"} {
		sheets = append(sheets, scantest.Separator(code, code))
		for p := 0; p < 19; p++ {
			sheets = append(sheets, scantest.Text(fmt.Sprintf("Thành phần %d — trang %d", i+1, p+1)))
		}
	}
	data, err := scantest.Dossier(scantest.Spec{Sheets: sheets, Seed: 100})
	if err != nil {
		b.Fatal(err)
	}
	return sheets, data
}
