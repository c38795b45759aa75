package scan_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// fuzzLimits keep each fuzz input cheap: small files, few pages and pixels.
func fuzzLimits() scan.Limits {
	return scan.Limits{MaxBytes: 4 << 20, MaxPages: 20, MaxPixels: 4_000_000, Timeout: 5 * time.Second}
}

// checkFuzzResult is what must hold for any input: a *scan.Error, or a
// consistent result.
func checkFuzzResult(t *testing.T, res *scan.Result, err error) {
	t.Helper()
	if err != nil {
		var se *scan.Error
		if !errors.As(err, &se) || se.Code == "" || se.Message == "" {
			t.Fatalf("error is not a clerk-readable *scan.Error: %v", err)
		}
		return
	}
	// Every page is in exactly one place: a component's pages, its blank
	// pages, its separator, the leading pages — or, blank, before the first
	// separator.
	where := map[int]int{}
	for _, c := range res.Components {
		for _, n := range append(slices.Clone(c.Pages), c.Blank...) {
			where[n]++
		}
		if c.Code != "" {
			where[c.SeparatorPage]++
		}
		if (len(c.Pages) == 0) != (c.PDF == nil) {
			t.Fatalf("component %q: %d pages, PDF %d bytes", c.Code, len(c.Pages), len(c.PDF))
		}
	}
	for _, n := range res.Leading {
		where[n]++
	}
	for _, p := range res.Pages {
		if k := where[p.Number]; k > 1 || (k == 0 && !p.Blank) {
			t.Fatalf("page %d is in %d places (blank %v); components %+v, leading %v", p.Number, k, p.Blank, res.Components, res.Leading)
		}
	}
}

func FuzzSniff(f *testing.F) {
	for _, s := range []string{"%PDF-1.7\n", "II*\x00", "MM\x00*", "\xFF\xD8\xFF\xE0", "\x89PNG\r\n\x1A\n", "<html>", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		format := scan.Sniff(data)
		switch format {
		case "", scan.FormatPDF, scan.FormatTIFF, scan.FormatJPEG, scan.FormatPNG:
		default:
			t.Fatalf("Sniff = %q", format)
		}
		if format == "" {
			_, err := scan.Split(context.Background(), data, fuzzLimits())
			if c := scan.CodeOf(err); c != scan.CodeUnsupported && c != scan.CodeUnreadable && c != scan.CodeTooLarge {
				t.Fatalf("unknown format accepted or misreported: %v", err)
			}
		}
	})
}

func FuzzSplit(f *testing.F) {
	f.Add(scantest.RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"))
	f.Add(scantest.RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>",
		scantest.Stream("", []byte("q 595 0 0 842 0 0 cm /Im0 Do Q")),
		scantest.Stream("/Type /XObject /Subtype /Image /Width 20000 /Height 20000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", scantest.Deflate([]byte("x")))))
	small, err := scantest.Dossier(scantest.Spec{Seed: 5, DPI: 50, Sheets: []scantest.Sheet{
		scantest.Separator("A", "a"), scantest.Text("x"), scantest.Blank()}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	f.Add(scantest.RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"))
	// Inline images: unfiltered, Flate, with /L, with a named colour space.
	f.Add(scantest.RawPDF("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /ColorSpace << /CS0 /DeviceRGB >> >> /Contents 4 0 R >>",
		scantest.Stream("", []byte("q 595 0 0 842 0 0 cm BI /W 4 /H 2 /BPC 8 /CS /G ID \x00\xff\x00\xffEI\x00\xff\x00\xff EI Q\n"+
			"q 100 0 0 100 0 0 cm BI /W 2 /H 2 /BPC 8 /CS /CS0 /F /Fl /L 12 ID "+string(scantest.Deflate(make([]byte, 12)))+" EI Q\n"+
			"q 10 0 0 10 0 0 cm BI /IM true /W 8 /H 1 ID \x0f EI Q"))))
	// A damaged cross-reference table that is reconstructed.
	f.Add(append([]byte("%PDF-1.7\n% junk\n"), small[9:]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := scan.Split(context.Background(), data, fuzzLimits())
		checkFuzzResult(t, res, err)
	})
}

func FuzzTIFF(f *testing.F) {
	for _, c := range []scantest.TIFFCompression{scantest.TIFFDeflate, scantest.TIFFJPEG} {
		b, err := scantest.TIFF(scantest.Spec{Seed: 1, DPI: 50, Sheets: []scantest.Sheet{scantest.Text("x"), scantest.Blank()}}, c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("II*\x00\x08\x00\x00\x00\x00\x00"))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08\x00\x01\x01\x00\x00\x04\x00\x00\x00\x01\xff\xff\xff\xff\x00\x00\x00\x08"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := scan.Split(context.Background(), data, fuzzLimits())
		checkFuzzResult(t, res, err)
	})
}
