package pades_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// TestAppearanceTextExtracts: pdftotext, a reader we did not write, finds the
// Vietnamese words of the visible signature on the signed page.
func TestAppearanceTextExtracts(t *testing.T) {
	e := newEnv(t)
	o := e.officer(t, "linh")
	o.Visible = &pades.Appearance{}
	out, err := pades.Sign(context.Background(), padestest.PDF(2, false), o)
	if err != nil {
		t.Fatal(err)
	}
	text := pdftool.Text(t, out, 2)
	for _, want := range []string{"Ký bởi: Nguyễn Thị Lĩnh", "Nơi ký: Thành phố Hồ Chí Minh", "Thời gian:"} {
		if !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
			t.Errorf("pdftotext does not find %q on the signed page:\n%s", want, text)
		}
	}
	pdftool.QpdfCheck(t, out)
	if d := os.Getenv("SOHOA_KEEP_PDF"); d != "" {
		_ = os.WriteFile(d, out, 0o600)
	}
}
