package separator_test

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/separator"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// TestSheetWordsAreText: pdftotext, a reader we did not write, finds the
// sheet's Vietnamese words: they are text, not pixels.
func TestSheetWordsAreText(t *testing.T) {
	b, err := separator.Sheet("TP-01.CCCD", "Bản sao Căn cước công dân có chứng thực")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(pdftool.Text(t, b, 1)), " ")
	for _, want := range []string{"TỜ PHÂN CÁCH THÀNH PHẦN HỒ SƠ", "TP-01.CCCD", "Bản sao Căn cước công dân có chứng thực", "Trang này không thuộc hồ sơ."} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext does not find %q:\n%s", want, text)
		}
	}
	pdftool.QpdfCheck(t, b)

	// Printed at 200 dpi (poppler renders it), the QR code reads back.
	dir := t.TempDir()
	pdftool.Run(t, "pdftoppm", "-r", "200", "-gray", "-png", pdftool.File(t, b), filepath.Join(dir, "p"))
	f, err := os.Open(filepath.Join(dir, "p-1.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if code, ok := separator.Decode(img); !ok || code != "TP-01.CCCD" {
		t.Errorf("the printed sheet decodes as %q %v", code, ok)
	}
}
