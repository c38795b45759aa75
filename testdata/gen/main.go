// Command gen writes the sample scans of the README walkthrough: a birth
// registration dossier (procedure 1.001193) printed with Sohoa separator
// sheets and scanned at 200 dpi with slight skew and scanner noise, once
// without its CCCD component and once complete, and a one-page result PDF;
// then the complete dossier as counters' scanners also write it: pages in 4
// strips, mixed raster (MRC), CCITT G4, duplex with blank backs, and a
// multi-page G4 TIFF written BlackIsZero.
//
//	go run ./testdata/gen -out ./.sohoa/samples
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sohoa/sohoa/pkg/scan/scantest"
)

func main() {
	out := flag.String("out", ".", "output directory")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string][]scantest.Sheet{
		"scan-incomplete.pdf": {
			scantest.Separator("TKKS", "Tờ khai đăng ký khai sinh"), scantest.Text("Tờ khai đăng ký khai sinh"),
			scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		},
		"scan-complete.pdf": {
			scantest.Separator("TKKS", "Tờ khai đăng ký khai sinh"), scantest.Text("Tờ khai đăng ký khai sinh — trang 1"), scantest.Text("Tờ khai — trang 2"),
			scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
			scantest.Separator("CCCD", "Căn cước công dân"), scantest.Text("Căn cước — mặt trước"), scantest.Text("Căn cước — mặt sau"),
		},
		"result.pdf": {scantest.Text("GIẤY KHAI SINH — Nguyễn Văn Bình")},
	}
	complete := files["scan-complete.pdf"]
	for name, spec := range map[string]struct {
		layout scantest.Layout
		duplex bool
	}{
		"scan-complete-strips.pdf": {scantest.Strips4, false},
		"scan-complete-mrc.pdf":    {scantest.MRC, false},
		"scan-complete-g4.pdf":     {scantest.G4, false},
		"scan-complete-duplex.pdf": {scantest.OneJPEG, true},
	} {
		b, err := scantest.ScanPDF(scantest.Spec{Sheets: complete, Seed: 14, Duplex: spec.duplex}, spec.layout)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := write(dir, name, b); err != nil {
			return err
		}
	}
	tif, err := scantest.TIFF(scantest.Spec{Sheets: complete, Seed: 14}, scantest.TIFFG4BlackIsZero)
	if err != nil {
		return fmt.Errorf("scan-complete-g4-blackiszero.tif: %w", err)
	}
	if err := write(dir, "scan-complete-g4-blackiszero.tif", tif); err != nil {
		return err
	}
	for name, sheets := range files {
		b, err := scantest.Dossier(scantest.Spec{Sheets: sheets, Seed: uint64(len(name))})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s  %d pages  %d KB\n", p, len(sheets), len(b)>>10)
	}
	return nil
}

func write(dir, name string, b []byte) error {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s  %d KB\n", p, len(b)>>10)
	return nil
}
