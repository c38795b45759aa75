package pades

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/pkg/testkit/pdfcorpus"
)

// TestRealWorldBLTA verifies a PAdES B-LTA file made by another product
// (pdfcpu's test suite: a Ukrainian test CA, a DSS revision and a document
// time stamp), trusting the self-signed roots in its DSS: every signature
// must be valid, with nothing reported as changed by the later revisions.
func TestRealWorldBLTA(t *testing.T) {
	pdf, err := os.ReadFile(filepath.Join(pdfcorpus.Dir(t), "pdfcpu-testPAdES_BLTA.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := parse(t.Context(), pdf)
	if err != nil {
		t.Fatal(err)
	}
	v := &verifier{pdf: pdf, x: x}
	v.loadDSS()
	roots := x509.NewCertPool()
	for _, c := range v.dssCerts {
		if bytes.Equal(c.RawIssuer, c.RawSubject) {
			roots.AddCert(c)
		}
	}
	rep, err := Verify(t.Context(), pdf, VerifyOptions{Roots: roots, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid || len(rep.Signatures) != 2 || rep.Signatures[1].SubFilter != "ETSI.RFC3161" || rep.Signatures[0].Revocation != "good" {
		t.Errorf("%+v", rep)
	}
}
