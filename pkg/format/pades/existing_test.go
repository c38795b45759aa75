package pades_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// certified returns a one-page PDF whose catalog's /Perms /DocMDP names a
// certification signature with permission level p.
func certified(p int) []byte {
	return scantest.RawPDF("<< /Type /Catalog /Pages 2 0 R /Perms << /DocMDP 4 0 R >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
		fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P %d /V /1.2 >> >>] >>", p))
}

// TestSignOverExistingSignatures: a result that already carries signatures
// signs (valid, broken) or is refused with a 4xx that names why (a
// certification that allows no change), never a 5xx; a PDF 2.0 file signs.
func TestSignOverExistingSignatures(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := e.officer(t, "linh")
	o.Visible = &pades.Appearance{}
	first, err := pades.Sign(ctx, padestest.PDF(1, false), o)
	if err != nil {
		t.Fatal(err)
	}
	// A signature broken by a byte changed in its signed range.
	broken := append([]byte(nil), first...)
	i := strings.Index(string(broken), "Quyet dinh so")
	broken[i] = 'X'

	tests := []struct {
		name string
		pdf  []byte
		want errs.Kind // 0 (Internal) stands for "signs"
		says string
	}{
		{"valid signature", first, 0, ""},
		{"broken signature", broken, 0, ""},
		{"certified P=2", certified(2), 0, ""},
		{"certified P=3", certified(3), 0, ""},
		{"certified P=1", certified(1), errs.Unprocessable, "DocMDP P=1"},
		// Signing a result stored before the upload door existed: the reader's
		// panic on the unparsed catalog is this document's 422, not a crash.
		{"catalog nested 200 deep", scantest.RawPDF("<< /Type /Catalog /Pages 2 0 R /X "+strings.Repeat("[", 200)+strings.Repeat("]", 200)+" >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"), errs.Unprocessable, "catalog"},
		{"PDF 2.0", []byte(strings.Replace(string(padestest.PDF(1, false)), "%PDF-1.7", "%PDF-2.0", 1)), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := pades.Sign(ctx, tt.pdf, e.seal(o))
			if tt.want != errs.Internal {
				if errs.KindOf(err) != tt.want || !strings.Contains(fmt.Sprint(err), tt.says) {
					t.Fatalf("err = %v, want %v naming %q", err, tt.want, tt.says)
				}
				return
			}
			if err != nil {
				t.Fatalf("does not sign: %v (%v)", err, errs.KindOf(err))
			}
			rep := e.verify(t, out)
			last := rep.Signatures[len(rep.Signatures)-1]
			if !last.Valid || last.Signer == "Nguyễn Thị Lĩnh" {
				t.Errorf("our signature: %+v", last)
			}
			if tt.name == "broken signature" && (rep.Valid || rep.Signatures[0].Intact) {
				t.Errorf("the broken earlier signature is not reported: %+v", rep.Signatures[0])
			}
			if tt.name == "valid signature" && !rep.Valid {
				t.Errorf("two valid signatures: %+v", rep)
			}
		})
	}
}
