package lambdatest

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// MaxZip is the target size of a function's deployment zip.
const MaxZip = 15 << 20

// lambdaZips builds each function as `make build` does (linux/arm64, no cgo,
// lambda.norpc, stripped) and returns the size of its zip holding bootstrap.
func lambdaZips(t testing.TB) map[string]int {
	t.Helper()
	out := t.TempDir()
	args := []string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out + string(os.PathSeparator)}
	for _, fn := range Functions {
		args = append(args, "./functions/"+fn)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = h.root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	sizes := map[string]int{}
	for _, fn := range Functions {
		bin, err := os.ReadFile(filepath.Join(out, fn))
		if err != nil {
			t.Fatal(err)
		}
		var z bytes.Buffer
		zw := zip.NewWriter(&z)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Unix(0, 0)})
		if err == nil {
			_, err = w.Write(bin)
		}
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes[fn] = z.Len()
	}
	return sizes
}

// TestZipSize checks every function's arm64 zip against MaxZip. It builds
// for arm64, so it runs with the integration tests only.
func TestZipSize(t *testing.T) {
	need(t)
	sizes := lambdaZips(t)
	var line []string
	for _, fn := range Functions {
		line = append(line, fmt.Sprintf("%s %.1f MB", fn, float64(sizes[fn])/(1<<20)))
		if sizes[fn] > MaxZip {
			t.Errorf("%s.zip is %d bytes, over the %d-byte target", fn, sizes[fn], MaxZip)
		}
	}
	t.Logf("zip sizes (linux/arm64): %s", strings.Join(line, ", "))
}

// BenchmarkColdStart reports, per function, the init time of its real
// bootstrap (process start to its first /next, against the local servers)
// as ms/init, and the size of its arm64 zip as zip-bytes.
func BenchmarkColdStart(b *testing.B) {
	need(b)
	st := newStack(b)
	sizes := lambdaZips(b)
	for _, fn := range Functions {
		b.Run(fn, func(b *testing.B) {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				f, err := Start(context.Background(), fn, h.bins[fn], st.env(), time.Minute)
				if err != nil {
					b.Fatal(err)
				}
				total += f.Init
				f.Stop()
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/init")
			b.ReportMetric(float64(sizes[fn]), "zip-bytes")
			b.ReportMetric(0, "ns/op")
		})
	}
}
