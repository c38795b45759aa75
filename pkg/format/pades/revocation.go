package pades

// Revocation of a signing certificate: from the file's DSS, else from the
// OCSP responder or CRL the certificate names.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"net/http"
	"time"

	"golang.org/x/crypto/ocsp"
)

func (v *verifier) loadDSS() {
	cat, err := v.x.Catalog()
	if err != nil {
		return
	}
	dss := v.dict(cat["DSS"])
	if dss == nil {
		return
	}
	read := func(key string) [][]byte {
		var out [][]byte
		for i, o := range v.array(dss[key]) {
			if i >= 1000 {
				break
			}
			sd, _, err := v.x.DereferenceStreamDict(o)
			if err != nil || sd == nil {
				continue
			}
			if len(sd.FilterPipeline) == 0 {
				out = append(out, sd.Raw)
				continue
			}
			if len(sd.Raw) > 1<<20 {
				continue
			}
			if err := sd.Decode(); err == nil && len(sd.Content) <= 4<<20 {
				out = append(out, sd.Content)
			}
		}
		return out
	}
	for _, der := range read("Certs") {
		if c, err := x509.ParseCertificate(der); err == nil {
			v.dssCerts = append(v.dssCerts, c)
		}
	}
	v.dssOCSP = read("OCSPs")
	v.dssCRL = read("CRLs")
}

// revocation returns the status of cert at the time at: from the DSS when
// it has an answer for cert, else online (OCSP, then CRL) unless Offline.
func (v *verifier) revocation(ctx context.Context, cert, issuer *x509.Certificate, at time.Time) (string, string) {
	if st := revocationFrom(v.dssOCSP, v.dssCRL, cert, issuer, at); st != "" {
		return st, "dss"
	}
	if len(cert.OCSPServer) == 0 && len(cert.CRLDistributionPoints) == 0 {
		// The trusted issuer offers no revocation service for this
		// certificate: there is nothing to ask and nothing to find.
		return "none", ""
	}
	if v.o.Offline {
		return "unknown", ""
	}
	ctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	if len(cert.OCSPServer) > 0 {
		if req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA256}); err == nil {
			if der, err := fetch(ctx, v.o.HTTPClient, http.MethodPost, cert.OCSPServer[0], "application/ocsp-request", req); err == nil {
				if st := revocationFrom([][]byte{der}, nil, cert, issuer, at); st != "" {
					return st, "ocsp"
				}
			}
		}
	}
	for _, url := range cert.CRLDistributionPoints {
		if der, err := fetch(ctx, v.o.HTTPClient, http.MethodGet, url, "", nil); err == nil {
			if st := revocationFrom(nil, [][]byte{der}, cert, issuer, at); st != "" {
				return st, "crl"
			}
		}
	}
	return "unknown", ""
}

// revocationFrom reads OCSP responses and CRLs for cert: "good", "revoked"
// (before at), or "" when none speaks of cert.
func revocationFrom(ocsps, crls [][]byte, cert, issuer *x509.Certificate, at time.Time) string {
	status := ""
	for _, der := range ocsps {
		// Match the serial first: checking a response's signature costs an ECDSA verification.
		if r, err := ocsp.ParseResponse(der, nil); err != nil || r.SerialNumber.Cmp(cert.SerialNumber) != 0 {
			continue
		}
		r, err := ocsp.ParseResponseForCert(der, cert, issuer)
		if err != nil {
			continue
		}
		switch r.Status {
		case ocsp.Revoked:
			if r.RevokedAt.Before(at) {
				return "revoked"
			}
			status = "good"
		case ocsp.Good:
			// Only an answer given after the signing time says the
			// certificate was good when it signed (ProducedAt has minute
			// precision in common responders).
			if !r.ProducedAt.Before(at.Truncate(time.Minute)) {
				status = "good"
			}
		}
	}
	if status == "good" {
		return status // OCSP is the fresher evidence; CRLs are kept for readers that want them
	}
	for _, der := range crls {
		crl, err := x509.ParseRevocationList(der)
		if err != nil || !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || crl.CheckSignatureFrom(issuer) != nil {
			continue
		}
		status = "good"
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(cert.SerialNumber) == 0 && e.RevocationTime.Before(at) {
				return "revoked"
			}
		}
	}
	return status
}
