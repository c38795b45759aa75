// Command gen writes the sample scans of docs/walkthrough.md: a birth
// registration dossier (procedure 1.001193) printed with Sohoa separator
// sheets and scanned at 200 dpi with slight skew and scanner noise, once
// without its CCCD component and once complete, and a one-page result PDF;
// then the complete dossier as counters' scanners also write it: pages in 4
// strips, mixed raster (MRC), CCITT G4, duplex with blank backs, and a
// multi-page G4 TIFF written BlackIsZero;
// and, for the OCR, the same dossier with a filled declaration and a
// specimen CCCD (scan-ocr.pdf, 200 dpi; scan-ocr-300.pdf, 300 dpi, the card
// upside down), whose made-up holder is printed for the walkthrough.
//
//	go run ./testdata/gen -out ./.sohoa/samples
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/format/separator"
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
	if err := ocrSamples(dir); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintln(os.Stderr, "gen: no OCR samples:", err)
	} else if err != nil {
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

// ocrSamples writes dossiers whose pages OCR can read: a filled TKKS form, a
// birth certificate and a specimen CCCD (front, back), behind separators.
func ocrSamples(dir string) error {
	fonts, err := ocrtest.LoadFonts()
	if err != nil {
		return err
	}
	card := ocrtest.Specimen(5)
	front, err := fonts.CardSheet(card, false)
	if err != nil {
		return err
	}
	back, err := fonts.CardSheet(card, true)
	if err != nil {
		return err
	}
	for _, v := range []struct {
		name   string
		dpi    int
		rotate int
	}{{"scan-ocr.pdf", 200, 0}, {"scan-ocr-300.pdf", 300, 180}} {
		s := ocrtest.Scan{DPI: v.dpi, Skew: 0.6, Seed: uint64(v.dpi)}
		sep := func(code, name string) (*image.Gray, error) {
			img, err := scantest.SeparatorImage(code, name)
			if err != nil {
				return nil, err
			}
			return scantest.Transform(img, separator.DPI, v.dpi, 0.5), nil
		}
		var pages []*image.Gray
		for _, sh := range []struct {
			code, name string
			sheets     []*image.Gray
		}{
			{"TKKS", "Tờ khai đăng ký khai sinh", []*image.Gray{fonts.TextPage(ocrtest.BirthDeclarationTitle, ocrtest.BirthDeclaration)}},
			{"GCS", "Giấy chứng sinh", []*image.Gray{fonts.TextPage("GIẤY CHỨNG SINH", []string{"Họ và tên mẹ: Nguyễn Thị Thuỳ Dương", "Sinh con lúc 08 giờ 30 phút ngày 15/08/2025"})}},
			{"CCCD", "Căn cước", []*image.Gray{front, back}},
		} {
			sp, err := sep(sh.code, sh.name)
			if err != nil {
				return err
			}
			pages = append(pages, sp)
			for i, sheet := range sh.sheets {
				ps := s
				ps.Seed += uint64(len(pages))
				if sh.code == "CCCD" && i == 1 {
					ps.Rotate = v.rotate
				}
				pages = append(pages, ocrtest.Print(sheet, ps))
			}
		}
		b, err := ocrtest.PDF(pages, s)
		if err != nil {
			return fmt.Errorf("%s: %w", v.name, err)
		}
		p := filepath.Join(dir, v.name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s  %d pages  %d KB  (CCCD holder, made up: %s, %s)\n", p, len(pages), len(b)>>10, card.ID, card.Name)
	}
	return nil
}
