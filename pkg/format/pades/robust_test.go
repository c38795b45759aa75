package pades_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/testkit/pdfcorpus"
)

// TestVerifyNeverPanics: damaged and hostile files get a verdict or a clear
// error, never a panic or a hang.
func TestVerifyNeverPanics(t *testing.T) {
	e := newEnv(t)
	signed, err := pades.Sign(context.Background(), padestest.PDF(1, false), e.officer(t, "linh"))
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]byte{
		"nested array 200 deep":  scantest.NestedArrays(200),
		"nested array 5000 deep": scantest.NestedArrays(5000),
	}
	// Every cut and a byte flip every few hundred bytes of a signed file.
	for i := 0; i < len(signed); i += 997 {
		inputs[fmt.Sprintf("cut at %d", i)] = signed[:i]
		flipped := []byte(string(signed))
		flipped[i] ^= 0x5a
		inputs[fmt.Sprintf("flip at %d", i)] = flipped
	}
	for name, pdf := range inputs {
		start := time.Now()
		rep, err := pades.Verify(context.Background(), pdf, pades.VerifyOptions{Roots: e.pki.Roots(), Timeout: 10 * time.Second})
		if err == nil && rep == nil {
			t.Errorf("%s: no report and no error", name)
		}
		if err != nil && errs.KindOf(err) == errs.Internal {
			t.Errorf("%s: internal error %v", name, err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
	}
}

// TestVerifyCorpus runs the verifier over the corpus of real PDFs named by
// SOHOA_PDF_CORPUS (from the pdfcpu and qpdf test suites; package pdfcorpus).
func TestVerifyCorpus(t *testing.T) {
	files := pdfcorpus.Files(t)
	e := newEnv(t)
	for _, f := range files {
		pdf, err := os.ReadFile(f)
		if err != nil || !strings.EqualFold(filepath.Ext(f), ".pdf") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			rep, err := pades.Verify(context.Background(), pdf, pades.VerifyOptions{Roots: e.pki.Roots(), Timeout: 20 * time.Second, Offline: true})
			switch {
			case err != nil:
				if k := errs.KindOf(err); k == errs.Internal {
					t.Errorf("internal error: %v", err)
				}
				t.Logf("refused: %v", err)
			case rep.Valid:
				t.Errorf("a file we did not sign is valid against our roots: %+v", rep)
			default:
				t.Logf("%d signatures, not valid", len(rep.Signatures))
			}
		})
	}
}
