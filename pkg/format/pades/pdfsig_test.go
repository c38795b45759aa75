package pades_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// TestPdfsig checks our signatures with a verifier we did not write:
// poppler's pdfsig with an NSS store trusting the dev root, doing online OCSP
// against the dev PKI on loopback.
func TestPdfsig(t *testing.T) {
	pdftool.Path(t, "pdfsig") // with CI=true a missing pdfsig fails the test
	e := newEnv(t)
	db := pdftool.NSS(t, e.pki.RootPEM())
	ctx := context.Background()

	o := e.officer(t, "linh")
	o.Visible = &pades.Appearance{}
	officer, err := pades.Sign(ctx, padestest.PDF(2, false), o)
	if err != nil {
		t.Fatal(err)
	}
	sealOpts := e.seal(o)
	sealed, err := pades.Sign(ctx, officer, sealOpts)
	if err != nil {
		t.Fatal(err)
	}
	// pdfsig checks OCSP online against the dev responder on loopback. (With
	// CA-signed OCSP answers, pdfsig 22.12 reported "Unknown issue with
	// Certificate" for the second of two signatures; the dev PKI therefore
	// answers through delegated responder certificates, as real CAs do.)
	sealOnly, err := pades.Sign(ctx, padestest.PDF(1, false), sealOpts)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		pdf   []byte
		want  int
		extra []string
	}{
		{"officer", officer, 1, nil},
		{"seal", sealOnly, 1, nil},
		{"officer+seal", sealed, 2, []string{"-no-ocsp"}},
	}
	for _, c := range cases {
		name, pdf, want := c.name, c.pdf, c.want
		t.Run(name, func(t *testing.T) {
			pdftool.QpdfCheck(t, pdf)
			out := pdftool.Pdfsig(t, db, pdf, c.extra...)
			blocks := pdftool.Signatures(out)
			if len(blocks) != want {
				t.Fatalf("pdfsig found %d signatures, want %d:\n%s", len(blocks), want, out)
			}
			for i, b := range blocks {
				for _, s := range []string{"Signature Type: ETSI.CAdES.detached", "Signature Validation: Signature is Valid.", "Certificate Validation: Certificate is Trusted."} {
					if !strings.Contains(b, s) {
						t.Errorf("signature %d: pdfsig does not say %q:\n%s", i+1, s, out)
					}
				}
			}
			if name != "seal" && !strings.Contains(blocks[0], "Nguyễn Thị Lĩnh") {
				t.Errorf("pdfsig does not show the officer's Vietnamese name:\n%s", out)
			}
		})
	}

	t.Run("byte changed in the signed range", func(t *testing.T) {
		bad := append([]byte(nil), officer...)
		i := strings.Index(string(bad), "Quyet dinh so")
		bad[i] = 'X'
		out := pdftool.Pdfsig(t, db, bad)
		if strings.Contains(out, "Signature is Valid") || !strings.Contains(out, "Signature Validation:") {
			t.Errorf("pdfsig accepts a modified document:\n%s", out)
		}
		rep := e.verify(t, bad)
		if rep.Valid || rep.Signatures[0].Intact {
			t.Errorf("Verify accepts a modified document: %+v", rep.Signatures[0])
		}
	})
}
