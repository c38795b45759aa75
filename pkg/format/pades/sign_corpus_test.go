package pades_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pdfdoor"
	"github.com/sohoa/sohoa/pkg/testkit/pdfcorpus"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// TestCorpusSigns signs every PDF of the corpus folder (real files from the
// pdfcpu and qpdf test suites: forms, signed and certified files, xref and
// object streams, incremental and linearized files, CJK fonts, damaged
// files). Each either signs — our verifier finds our signature valid, qpdf
// --check is clean where the input was, pdfsig says valid and trusted — or
// is refused with a 4xx kind that names the problem. Never a 5xx, never a panic.
func TestCorpusSigns(t *testing.T) {
	files := pdfcorpus.Files(t)
	e := newEnv(t)
	var nss string
	if pdftool.Available("pdfsig") {
		nss = pdftool.NSS(t, e.pki.RootPEM())
	}
	for _, f := range files {
		if !strings.EqualFold(filepath.Ext(f), ".pdf") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// Through the door first, as an uploaded result: refused, or
			// accepted (possibly repaired by a rewrite).
			in, err = pdfdoor.CheckResult(context.Background(), in, pdfdoor.DefaultLimits())
			if err != nil {
				k := errs.KindOf(err)
				if k == errs.Internal || k == errs.Unavailable {
					t.Fatalf("refused at the door with %v (a 5xx): %v", k, err)
				}
				t.Logf("refused at the door (%v): %v", k, err)
				return
			}
			o := e.officer(t, "linh")
			o.Visible = &pades.Appearance{}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := pades.Sign(ctx, in, o)
			if err != nil {
				k := errs.KindOf(err)
				if k == errs.Internal || k == errs.Unavailable {
					t.Fatalf("refused with %v (a 5xx): %v", k, err)
				}
				t.Logf("refused (%v): %v", k, err)
				return
			}
			rep := e.verify(t, out)
			last := rep.Signatures[len(rep.Signatures)-1]
			if !last.Valid {
				t.Errorf("our signature does not verify: %+v", last)
			}
			t.Logf("signed: %d signatures, ours %s", len(rep.Signatures), last.Level)
			if nss != "" {
				blocks := pdftool.Signatures(pdftool.Pdfsig(t, nss, out))
				if len(blocks) == 0 {
					t.Fatalf("pdfsig finds no signature")
				}
				b := blocks[len(blocks)-1]
				for _, s := range []string{"Signature is Valid.", "Certificate is Trusted."} {
					if !strings.Contains(b, s) {
						t.Errorf("pdfsig does not say %q of our signature:\n%s", s, b)
					}
				}
			}
			pdftool.QpdfCheck(t, out)
		})
	}
}
