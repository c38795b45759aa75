package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// BenchmarkIngestProcess100Pages measures the memory of the process that runs
// an ingestion, apart from whoever uploads: the real binary runs in its own
// process, the benchmark uploads the 100-page scan of
// BenchmarkPipeline100Pages over HTTP and waits for the verdict. It reports
// pages/s end to end and, from the kernel, the stack process's peak
// resident memory (VmHWM, including its start) against the scan's size; the
// isolated reader's own peak comes from the stack's log ("readerPeakMB").
func BenchmarkIngestProcess100Pages(b *testing.B) {
	sheets, data := hundredPages(b)
	addr := freeAddr(b)
	dir := b.TempDir()
	cmd, logs := launchLogged(b, binary(b), addr, dir, "-ocr=false")
	t := &testing.T{}
	c := client{t: t, base: "http://" + addr, data: dir}
	clerk := c.as(c.tokenFor("postal_clerk", "clerk-01", "", "Trần Thị Mai"))
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var d struct{ ID string }
		clerk.json("POST", "/v1/dossiers", map[string]any{"procedure": "1.004222", "postOffice": "Bưu cục Hoàn Kiếm",
			"citizen": map[string]string{"id": citizenID, "name": "Nguyễn Văn An"}}, 201, &d)
		if st, body, _ := clerk.do("PUT", "/v1/dossiers/"+d.ID+"/scan", "application/pdf", data); st != 202 {
			b.Fatalf("upload: %d %s", st, body)
		}
		if got := clerk.waitStatus(d.ID); got.Status == "SCANNED" || len(got.Components) != 4 {
			b.Fatalf("not ingested: %s, %d components", got.Status, len(got.Components))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(sheets)*b.N)/b.Elapsed().Seconds(), "pages/s")
	peak := statusBytes(cmd.Process.Pid, "VmHWM:")
	if peak <= 0 {
		b.Fatal("no VmHWM for the stack process (Linux /proc needed)")
	}
	b.ReportMetric(float64(peak>>20), "ingest-peak-MB")
	b.ReportMetric(float64(peak)/float64(len(data)), "ingest-peak/scan-size")
	var reader int64
	for _, m := range regexp.MustCompile(`readerPeakMB=(\d+)`).FindAllStringSubmatch(logs.String(), -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		reader = max(reader, n)
	}
	b.ReportMetric(float64(reader), "reader-peak-MB")
	b.ReportMetric(float64(len(data)>>20), "scan-MB")
	// CPU seconds an ingestion costs, whatever else the machine runs: the
	// stack process's own, and its children's (the isolated readers).
	if self, children, ok := cpuSeconds(cmd.Process.Pid); ok {
		b.ReportMetric(self/float64(b.N), "stack-cpu-s/op")
		b.ReportMetric(children/float64(b.N), "reader-cpu-s/op")
	}
	if os.Getenv("SOHOA_TEST_LOG") != "" {
		fmt.Fprint(os.Stderr, logs.String())
	}
}

// cpuSeconds reads the user and system time of process pid and of its
// waited-for children from /proc/<pid>/stat (Linux, 100 ticks a second).
func cpuSeconds(pid int) (self, children float64, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// The fields after the command name (which may hold spaces) in parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return 0, 0, false
	}
	tick := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v / 100 }
	// utime, stime, cutime, cstime are fields 14-17 of stat, 11-14 here.
	return tick(f[11]) + tick(f[12]), tick(f[13]) + tick(f[14]), true
}

// statusBytes reads a "kB" field of /proc/<pid>/status in bytes, 0 if unknown.
func statusBytes(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// lockedBuffer is a bytes.Buffer written by a child process's output copier
// and read by the benchmark.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
