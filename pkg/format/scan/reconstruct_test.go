package scan_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// TestDamagedCrossReference splits scans whose cross-reference structure
// is damaged the ways real files are, and which qpdf and poppler still open
// by scanning for objects: each splits exactly like the intact file.
func TestDamagedCrossReference(t *testing.T) {
	spec := scantest.Spec{Seed: 7, DPI: testDPI, Sheets: []scantest.Sheet{
		scantest.Separator("TK-01", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh 1"), scantest.Text("Giấy chứng sinh 2"),
	}}
	good, err := scantest.ScanPDF(spec, scantest.OneJPEG) // a classic xref table
	if err != nil {
		t.Fatal(err)
	}
	// pdfcpu writes an xref stream and object streams.
	streams, err := scantest.Dossier(spec)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(streams, []byte("/ObjStm")) {
		t.Fatal("pdfcpu wrote no object stream")
	}
	xref := bytes.LastIndex(good, []byte("\nxref"))
	startxref := bytes.LastIndex(good, []byte("startxref"))
	if xref < 0 || startxref < 0 {
		t.Fatal("generated scan has no classic xref table")
	}
	damaged := map[string][]byte{
		// Bytes inserted after the header: every offset is wrong.
		"offsets shifted": append(append(append([]byte{}, good[:15]...), bytes.Repeat([]byte("% junk\n"), 40)...), good[15:]...),
		// The table and trailer are gone; startxref points into an image.
		"no xref, no trailer": append(append([]byte{}, good[:xref]...), []byte("\nstartxref\n4000\n%%EOF\n")...),
		// startxref points past the end of the file.
		"startxref past the end": append(append([]byte{}, good[:startxref]...), []byte("startxref\n99999999\n%%EOF\n")...),
		// Each /Length lies: 3 bytes short (the stream's end is found by endstream).
		"stream lengths wrong": regexp.MustCompile(`/Length (\d+)`).ReplaceAllFunc(good, func(m []byte) []byte {
			n, _ := strconv.Atoi(string(m[8:]))
			return fmt.Appendf(nil, "/Length %d", max(n-3, 0))
		}),
		// The xref table's entries for every object say "free" and the
		// trailer has no /Root: only scanning the objects finds them.
		"xref all free, no root": func() []byte {
			b := bytes.Clone(good)
			tail := b[xref:]
			tail = regexp.MustCompile(`(\d{10} \d{5}) n`).ReplaceAll(tail, []byte("$1 f"))
			tail = regexp.MustCompile(`/Root \d+ 0 R`).ReplaceAll(tail, nil)
			return append(b[:xref], tail...)
		}(),
	}
	// Object streams with their xref stream cut off: the objects inside
	// the object streams are found too.
	if sx := bytes.LastIndex(streams, []byte("startxref")); sx > 0 {
		damaged["object streams, no xref stream"] = append(bytes.Clone(streams[:sx]), []byte("startxref\n0\n%%EOF\n")...)
	}
	// Object streams, every offset wrong.
	damaged["object streams, offsets shifted"] = append(append(bytes.Clone(streams[:15]), bytes.Repeat([]byte("% junk\n"), 40)...), streams[15:]...)
	// An update appended after the file, without an xref of its own,
	// replaces the catalog: the later definition wins, as for readers
	// that reconstruct (here it names the same pages).
	if m := regexp.MustCompile(`(?s)(\d+) 0 obj\s*<<\s*/Type /Catalog.*?endobj`).Find(good); m != nil {
		upd := append(bytes.Clone(good), '\n')
		upd = append(upd, m...)
		upd = append(upd, []byte("\nstartxref\n12\n%%EOF\n")...)
		damaged["update without xref"] = upd
	} else {
		t.Fatal("no catalog in the generated scan")
	}
	lim := scan.DefaultLimits()
	lim.MaxMemory = 1 << 30
	want, err := scan.Split(context.Background(), good, lim)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range damaged {
		t.Run(name, func(t *testing.T) {
			res, err := scan.SplitIsolated(context.Background(), data, lim)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if got, w := componentPages(res), componentPages(want); got != w {
				t.Fatalf("components %s, want %s", got, w)
			}
		})
	}
}

func componentPages(r *scan.Result) string {
	s := ""
	for _, c := range r.Components {
		s += fmt.Sprintf("%s:%v ", c.Code, c.Pages)
	}
	return s
}

// TestReconstructionIsLinear: a hostile file of 30,000 streams whose
// lengths lie and that never say "endstream" is reconstructed (or refused)
// in about the time of reading it, not in the square of its size.
func TestReconstructionIsLinear(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n")
	for i := 3; i < 30_003; i++ {
		fmt.Fprintf(&b, "%d 0 obj << /Length 999999 >>\nstream\n%s\n", i, bytes.Repeat([]byte("x"), 200))
	}
	b.WriteString("startxref\n0\n%%EOF\n")
	start := time.Now()
	_, err := scan.Split(context.Background(), b.Bytes(), scan.DefaultLimits())
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s", d)
	}
	if err == nil {
		t.Fatal("accepted a file without pages")
	}
}
