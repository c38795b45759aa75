package pades

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/errs"
)

// addDSS appends the Document Security Store update (ETSI EN 319 142-1 §5.4,
// B-LT): every certificate of the signer's and the TSA's chains, an OCSP
// response and a CRL for each non-root certificate, and a VRI entry for this
// signature. An existing DSS (from an earlier signature) is extended.
func (p *Prepared) addDSS(ctx context.Context, signed []byte, tsaCerts []*x509.Certificate) ([]byte, error) {
	certs := uniqueCerts(append(append([]*x509.Certificate{}, p.opts.Chain...), tsaCerts...))
	hc := p.opts.client()
	var ocsps, crls [][]byte
	for _, c := range certs {
		if bytes.Equal(c.RawIssuer, c.RawSubject) {
			continue // a root: trusted as such, nothing to check
		}
		issuer := findIssuer(c, certs)
		if issuer == nil {
			return nil, errs.E(errs.Invalid, "the issuer of %q is not in the chain", c.Subject.CommonName)
		}
		// The signer's status is asked now, after the signature time stamp,
		// never taken from the cache: an answer from before the time stamp
		// does not say the certificate was good when it signed.
		cache := p.opts.Revocation
		if c.Equal(p.opts.Chain[0]) {
			cache = nil
		}
		o, err := fetchOCSP(ctx, hc, cache, c, issuer)
		if err != nil {
			return nil, err
		}
		if o != nil {
			ocsps = append(ocsps, o)
		}
		crl, err := fetchCRL(ctx, hc, p.opts.Revocation, c, issuer)
		if err != nil {
			return nil, err
		}
		if crl != nil {
			crls = append(crls, crl)
		}
	}

	d := p.doc
	next := p.size
	alloc := func() int { next++; return next - 1 }
	u := extendUpdate(signed)
	write := func(items [][]byte) types.Array {
		var refs types.Array
		for _, it := range items {
			n := alloc()
			u.stream(n, "", it)
			refs = append(refs, *types.NewIndirectRef(n, 0))
		}
		return refs
	}
	var certDER [][]byte
	for _, c := range certs {
		certDER = append(certDER, c.Raw)
	}
	certRefs, ocspRefs, crlRefs := write(certDER), write(ocsps), write(crls)

	dss := types.Dict{}
	dssNum, dssGen := 0, 0
	switch v := p.catalog["DSS"].(type) {
	case types.IndirectRef:
		old, err := d.dict(v)
		if err != nil {
			return nil, err
		}
		dss, dssNum, dssGen = old.Clone().(types.Dict), v.ObjectNumber.Value(), v.GenerationNumber.Value()
	case types.Dict:
		dss = v.Clone().(types.Dict)
	}
	if dssNum == 0 {
		dssNum = alloc()
	}
	for key, add := range map[string]types.Array{"Certs": certRefs, "OCSPs": ocspRefs, "CRLs": crlRefs} {
		old, err := d.array(dss[key])
		if err != nil {
			return nil, err
		}
		if all := append(append(types.Array{}, old...), add...); len(all) > 0 {
			dss[key] = all
		}
	}
	vri := types.Dict{}
	if old, err := d.dict(dss["VRI"]); err == nil && old != nil {
		vri = old.Clone().(types.Dict)
	}
	contents, err := hex.DecodeString(string(signed[p.contents[0]+1 : p.contents[1]-1]))
	if err != nil {
		return nil, fmt.Errorf("pades: contents: %w", err)
	}
	key := sha1.Sum(contents) // ETSI EN 319 142-1 §5.4.2.3: SHA-1 of the signature's /Contents, upper-case hex
	entry := types.Dict{"Cert": certRefs}
	if len(ocspRefs) > 0 {
		entry["OCSP"] = ocspRefs
	}
	if len(crlRefs) > 0 {
		entry["CRL"] = crlRefs
	}
	vri[strings.ToUpper(hex.EncodeToString(key[:]))] = entry
	dss["VRI"] = vri
	dss["Type"] = types.Name("DSS")
	u.object(dssNum, dssGen, dss.PDFString())

	cat := p.catalog.Clone().(types.Dict)
	cat["DSS"] = *types.NewIndirectRef(dssNum, dssGen)
	if _, ok := cat["Extensions"]; !ok {
		cat["Extensions"] = types.Dict{"ESIC": types.Dict{"BaseVersion": types.Name("1.7"), "ExtensionLevel": types.Integer(2)}}
	}
	u.object(d.x.Root.ObjectNumber.Value(), d.x.Root.GenerationNumber.Value(), cat.PDFString())
	u.finish(d, p.sigXref, next, d.xrefStream)
	return u.buf.Bytes(), nil
}

func uniqueCerts(in []*x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	for _, c := range in {
		dup := false
		for _, o := range out {
			if o.Equal(c) {
				dup = true
			}
		}
		if !dup && c != nil {
			out = append(out, c)
		}
	}
	return out
}

func findIssuer(c *x509.Certificate, pool []*x509.Certificate) *x509.Certificate {
	for _, i := range pool {
		if bytes.Equal(i.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(i) == nil {
			return i
		}
	}
	return nil
}
