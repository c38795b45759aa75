package pades

import (
	"bytes"
	"fmt"
	"testing"

	pdfsignverify "github.com/digitorus/pdfsign/verify"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
)

// TestPdfsignSecondOpinion records why github.com/digitorus/pdfsign's
// verifier is not used as a second opinion: it cannot be given our trust
// anchors (only the system roots, or "trust whatever roots the file
// carries"), and it judges each signature dictionary it finds in the
// cross-reference table without looking at what later revisions changed, so
// it calls documents changed after signing valid. If a later version fixes
// both, this test fails and the question should be asked again.
func TestPdfsignSecondOpinion(t *testing.T) {
	e := newAttackEnv(t)
	signed := e.sign(t, padestest.PDF(1, false), LevelDefault, true)
	si := inspect(t, signed)
	n := si.size + 10
	annots := append(append(types.Array{}, si.page["Annots"].(types.Array)...), *types.NewIndirectRef(n, 0))
	overlay := appendUpdate(t, signed, "1 0 R", false,
		uobj{num: n, body: "<</Type/Annot/Subtype/Square/Rect[0 0 595 842]/IC[1 1 1]/F 4>>"},
		uobj{num: 4, body: withKey(si.page, "Annots", annots)})
	content := appendUpdate(t, signed, "1 0 R", false, uobj{num: 5, body: stream(fake, "/Type/ObjStm")})

	second := func(pdf []byte, trustFile bool) (valid, trusted bool, err error) {
		o := pdfsignverify.DefaultVerifyOptions()
		o.AllowedEKUs = append(o.AllowedEKUs, 36) // documentSigning, which our certificates carry
		o.AllowUntrustedRoots = trustFile
		r, err := pdfsignverify.VerifyWithOptions(bytes.NewReader(pdf), int64(len(pdf)), o)
		if err != nil {
			return false, false, err
		}
		if len(r.Signers) == 0 {
			return false, false, fmt.Errorf("no signers")
		}
		valid, trusted = true, true
		for _, s := range r.Signers {
			valid = valid && s.ValidSignature
			trusted = trusted && s.TrustedIssuer
		}
		return valid, trusted, nil
	}
	// Our own output: the signature checks, but our root can only be trusted
	// by trusting any root a file brings along.
	if valid, trusted, err := second(signed, false); err != nil || !valid || trusted {
		t.Errorf("our output with system roots: valid %v trusted %v err %v; pdfsign now takes other roots?", valid, trusted, err)
	}
	if _, trusted, err := second(signed, true); err != nil || !trusted {
		t.Logf("our output trusting embedded roots: trusted %v err %v", trusted, err)
	}
	// Changed after signing: ours says not valid, pdfsign's signature check says valid.
	for name, pdf := range map[string][]byte{"annotation overlay": overlay, "content redefined": content} {
		if rep := e.verify(t, pdf); rep.Valid {
			t.Fatalf("%s: ours says valid", name)
		}
		if valid, _, err := second(pdf, true); err != nil || !valid {
			t.Errorf("%s: pdfsign now refuses it (valid %v, err %v): evaluate it again as a second opinion", name, valid, err)
		}
	}
}
