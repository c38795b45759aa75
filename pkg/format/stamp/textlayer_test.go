package stamp_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/stamp"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// The layer's words extract as Unicode, sit in their boxes (selection lands
// on them), draw nothing visible, and leave pages without words untouched.
func TestTextLayer(t *testing.T) {
	pdftool.Path(t, "pdftotext")
	pdf := scanPDF(t, 2, 200, true)
	s := stamp.NewStamper(newFont(t))
	out, err := s.TextLayer(pdf, map[int][]stamp.Word{1: {
		{Text: "Giấy", X: 100, Y: 700, W: 60, H: 14},
		{Text: "khai", X: 165, Y: 700, W: 40, H: 14},
		{Text: "sinh", X: 210, Y: 700, W: 40, H: 14},
		{Text: "Đặng", X: 400, Y: 100, W: 50, H: 14, Angle: 180},
	}})
	if err != nil {
		t.Fatal(err)
	}
	pdftool.QpdfCheck(t, out)
	path := filepath.Join(t.TempDir(), "layer.pdf")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	text := pdftool.Text(t, out, 1)
	if !strings.Contains(text, "Giấy khai sinh") || !strings.Contains(text, "Đặng") {
		t.Fatalf("pdftotext page 1: %q", text)
	}
	x, y, _, h := wordBox(t, path, "Giấy")
	// pdftotext's y grows downwards from the top; the box's top is Y+H.
	if math.Abs(x-100) > 2 || math.Abs(y-(h-714)) > 3 {
		t.Errorf("Giấy at (%.1f, %.1f), want (100, %.1f)", x, y, h-714)
	}
	if strings.TrimSpace(pdftool.Text(t, out, 2)) != strings.TrimSpace(pdftool.Text(t, pdf, 2)) {
		t.Error("page 2 changed")
	}
	// Invisible: the rendered page is the scan's.
	orig := filepath.Join(t.TempDir(), "scan.pdf")
	if err := os.WriteFile(orig, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	before, after := render(t, orig, 2), render(t, path, 2)
	if len(before) == 0 || len(after) == 0 || string(before[0].Pix) != string(after[0].Pix) {
		t.Error("the layer is visible")
	}
	if same, err := s.TextLayer(pdf, nil); err != nil || &same[0] != &pdf[0] {
		t.Errorf("no words: %v", err)
	}
	if _, err := s.TextLayer([]byte("%PDF-1.7\nnot a pdf"), map[int][]stamp.Word{1: {{Text: "x", W: 1, H: 1}}}); err == nil {
		t.Error("garbage accepted")
	}
}
