package scan_test

import (
	"context"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/scan"
)

// BenchmarkThumbs100Pages is BenchmarkSplitIsolated100Pages with and
// without page images: the cost of rendering them in the child.
func BenchmarkThumbs100Pages(b *testing.B) {
	data, err := dossier100(12)
	if err != nil {
		b.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		bytes int64
	}{{"none", 0}, {"default", scan.DefaultLimits().ThumbBytes}} {
		b.Run(tt.name, func(b *testing.B) {
			lim := scan.DefaultLimits()
			lim.ThumbBytes = tt.bytes
			var imgs, size int
			for b.Loop() {
				res, err := scan.SplitIsolated(context.Background(), data, lim)
				if err != nil {
					b.Fatal(err)
				}
				imgs, size = 0, 0
				for _, c := range res.Components {
					for _, t := range c.Thumbs {
						imgs++
						size += len(t.Small) + len(t.Large)
					}
				}
			}
			b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(imgs), "pages-rendered")
			if imgs > 0 {
				b.ReportMetric(float64(size)/float64(imgs)/1024, "KB/page")
			}
		})
	}
}
