package scan_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/ccitt"
	"github.com/sohoa/sohoa/pkg/format/ccitt/ccitttest"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/format/separator"
)

// dossier100 is a 100-page, 5-component, 200-dpi scan: each component is a
// separator sheet and 19 pages (one of them blank).
func dossier100(noise int) ([]byte, error) {
	var sheets []scantest.Sheet
	for c := range 5 {
		sheets = append(sheets, scantest.Separator(fmt.Sprintf("TP-%02d", c+1), "Thành phần hồ sơ số "+strconv.Itoa(c+1)))
		for p := range 19 {
			if p == 10 {
				sheets = append(sheets, scantest.Blank())
				continue
			}
			sheets = append(sheets, scantest.Text("Tờ khai đăng ký"))
		}
	}
	return scantest.Dossier(scantest.Spec{Sheets: sheets, Seed: 100, Noise: noise})
}

// BenchmarkSplit100Pages splits a generated 100-page 200-dpi scan with 5
// components and reports pages/s and the peak resident memory of the process
// during the split relative to the scan size (Linux only; 0 elsewhere).
// Noise 12 is a typical office scanner; 20 is heavy noise (a worn scanner).
func BenchmarkSplit100Pages(b *testing.B) {
	for _, noise := range []int{12, 20} {
		b.Run("noise="+strconv.Itoa(noise), func(b *testing.B) {
			data, err := dossier100(noise)
			if err != nil {
				b.Fatal(err)
			}
			lim := scan.DefaultLimits()
			b.SetBytes(int64(len(data)))
			runtime.GC()
			debug.FreeOSMemory()
			base := resetPeakRSS()
			var peak int64
			b.ResetTimer()
			for b.Loop() {
				res, err := scan.Split(context.Background(), data, lim)
				if err != nil {
					b.Fatal(err)
				}
				// The blank page of each component is left out of it, and named.
				if len(res.Components) != 5 || len(res.Components[4].Pages) != 18 || len(res.Components[4].Blank) != 1 {
					b.Fatalf("bad split: %d components", len(res.Components))
				}
				peak = max(peak, peakRSS())
			}
			b.StopTimer()
			b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(len(data))/(1<<20), "scanMB")
			if peak > 0 {
				b.ReportMetric(float64(peak-base)/float64(len(data)), "peakRSS/scan")
				b.ReportMetric(float64(peak)/(1<<20), "peakRSS-MB")
			}
		})
	}
}

// resetPeakRSS resets the kernel's high-water mark of resident memory and
// returns the current resident size.
func resetPeakRSS() int64 {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	return statusKB("VmRSS:")
}

func peakRSS() int64 { return statusKB("VmHWM:") }

func statusKB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if s, ok := strings.CutPrefix(string(line), field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(s), " kB"), 10, 64)
			return n << 10
		}
	}
	return 0
}

// BenchmarkSplitIsolated100Pages is BenchmarkSplit100Pages through
// SplitIsolated: it adds the process start and the copies over pipes, and
// reports the child's own peak resident memory relative to the scan size.
func BenchmarkSplitIsolated100Pages(b *testing.B) {
	data, err := dossier100(12)
	if err != nil {
		b.Fatal(err)
	}
	lim := scan.DefaultLimits()
	b.SetBytes(int64(len(data)))
	var peak int64
	b.ResetTimer()
	for b.Loop() {
		res, err := scan.SplitIsolated(context.Background(), data, lim)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Components) != 5 {
			b.Fatalf("bad split: %d components", len(res.Components))
		}
		peak = max(peak, res.PeakRSS)
	}
	b.StopTimer()
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(peak)/float64(len(data)), "childPeakRSS/scan")
	b.ReportMetric(float64(peak)/(1<<20), "childPeakRSS-MB")
}

// g4Dossier300 is a 300-page bilevel 300-dpi A4 scan with CCITT G4 pages
// (what a fax-mode counter scanner writes): 10 components, each a
// separator and 29 text pages. Ten distinct page images are drawn and
// repeated, so generating it costs seconds, not minutes.
func g4Dossier300() ([]byte, error) {
	const dpi = 300
	var pattern []scantest.Sheet
	for c := range 10 {
		pattern = append(pattern, scantest.Separator(fmt.Sprintf("TP-%02d", c+1), "Thành phần hồ sơ số "+strconv.Itoa(c+1)))
	}
	pattern = append(pattern, scantest.Text("Tờ khai đăng ký"), scantest.Text("Giấy chứng sinh"))
	imgs, err := scantest.Images(scantest.Spec{Sheets: pattern, Seed: 300, DPI: dpi})
	if err != nil {
		return nil, err
	}
	var sheets []scantest.Sheet
	var pages []*image.Gray
	for c := range 10 {
		sheets, pages = append(sheets, pattern[c]), append(pages, imgs[c])
		for p := range 29 {
			sheets, pages = append(sheets, pattern[10+p%2]), append(pages, imgs[10+p%2])
		}
	}
	return scantest.LayoutPDF(scantest.Spec{Sheets: sheets, DPI: dpi}, pages, scantest.G4)
}

// BenchmarkSplitG4300Pages splits a 300-page 300-dpi CCITT G4 PDF through
// SplitIsolated (as ingestion does) and reports pages/s and the reader
// child's peak resident memory, which must not grow with the page count
// (≤ 300 MB for this scan).
func BenchmarkSplitG4300Pages(b *testing.B) {
	data, err := g4Dossier300()
	if err != nil {
		b.Fatal(err)
	}
	lim := scan.DefaultLimits()
	b.SetBytes(int64(len(data)))
	var peak int64
	b.ResetTimer()
	for b.Loop() {
		res, err := scan.SplitIsolated(context.Background(), data, lim)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Pages) != 300 || len(res.Components) != 10 || len(res.Components[9].Pages) != 29 {
			b.Fatalf("bad split: %d pages, %d components", len(res.Pages), len(res.Components))
		}
		peak = max(peak, res.PeakRSS)
	}
	b.StopTimer()
	b.ReportMetric(float64(300*b.N)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(len(data))/(1<<20), "scanMB")
	b.ReportMetric(float64(peak)/(1<<20), "childPeakRSS-MB")
}

// BenchmarkG4Decode300dpi decodes the G4 pages of a 300-dpi text page to
// the reduced page detection uses, on one core: pages/s.
func BenchmarkG4Decode300dpi(b *testing.B) {
	imgs, err := scantest.Images(scantest.Spec{Sheets: []scantest.Sheet{scantest.Text("Tờ khai đăng ký")}, Seed: 7, DPI: 300})
	if err != nil {
		b.Fatal(err)
	}
	img := imgs[0]
	data := ccitttest.Encode(img, ccitttest.EncodeOptions{K: -1})
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	f := separator.ReduceFactor(w, h)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := ccitt.Reduced(data, ccitt.Params{Width: w, Height: h, K: -1}, f, ccitt.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
