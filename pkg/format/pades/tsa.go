package pades

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

// oidExtKeyUsageExt is id-ce-extKeyUsage.
var oidExtKeyUsageExt = asn1.ObjectIdentifier{2, 5, 29, 37}

// checkedToken is an RFC 3161 time-stamp token whose signature was verified
// with its own signer's certificate.
type checkedToken struct {
	ts     *timestamp.Timestamp
	signer *x509.Certificate
}

// verifyToken checks an RFC 3161 token: the CMS signature is verified with
// the certificate that the SignerInfo names (issuer and serial), and only that
// certificate must chain to roots at the token's time with a critical
// extended key usage that is exactly timeStamping (RFC 3161 §2.3). Other
// certificates in the token serve as intermediates at most, never as the
// signer: a token signed by anyone else with the real TSA's certificate added
// as a decoy is refused. extra are candidate certificates for a token that
// carries none (from the DSS).
func verifyToken(token []byte, roots *x509.CertPool, extra []*x509.Certificate) (*checkedToken, error) {
	if roots == nil {
		return nil, errors.New("no TSA trust anchors configured")
	}
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("the token is not a CMS SignedData: %w", err)
	}
	if len(p7.Signers) != 1 {
		return nil, fmt.Errorf("the token has %d signers, want 1", len(p7.Signers))
	}
	inToken := len(p7.Certificates)
	if inToken == 0 {
		p7.Certificates = append(p7.Certificates, extra...)
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return nil, errors.New("the token's signer certificate is not available")
	}
	if err := p7.Verify(); err != nil { // the signature with exactly that certificate
		return nil, fmt.Errorf("the token's signature does not verify: %w", err)
	}
	ts, err := timestamp.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("the token cannot be read: %w", err)
	}
	if err := tsaUsage(signer); err != nil {
		return nil, err
	}
	inter := x509.NewCertPool()
	for _, c := range p7.Certificates {
		if !c.Equal(signer) {
			inter.AddCert(c)
		}
	}
	for _, c := range extra {
		inter.AddCert(c)
	}
	if _, err := signer.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: ts.Time, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
		return nil, fmt.Errorf("the token's signer %q does not chain to a TSA trust anchor: %w", signer.Subject.CommonName, err)
	}
	if ts.Time.IsZero() || ts.Time.After(time.Now().Add(5*time.Minute)) {
		return nil, fmt.Errorf("the token's time %v is not plausible", ts.Time)
	}
	return &checkedToken{ts: ts, signer: signer}, nil
}

// tsaUsage requires the critical extKeyUsage extension with timeStamping only.
func tsaUsage(c *x509.Certificate) error {
	critical := false
	for _, e := range c.Extensions {
		if e.Id.Equal(oidExtKeyUsageExt) {
			critical = e.Critical
		}
	}
	if !critical || len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(c.UnknownExtKeyUsage) != 0 {
		return fmt.Errorf("the token's signer %q lacks the critical timeStamping extended key usage", c.Subject.CommonName)
	}
	if c.KeyUsage != 0 && c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return fmt.Errorf("the token's signer %q may not sign (key usage)", c.Subject.CommonName)
	}
	return nil
}

// Extended key usages accepted for a document signer: emailProtection,
// documentSigning (RFC 9336), Adobe Authentic Documents, Microsoft document
// signing.
var (
	oidDocumentSigning    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}
	oidAdobeAuthenticDocs = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 5}
	oidMSDocumentSigning  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 3, 12}
)

// signerUsage requires a signing key usage (digitalSignature or
// nonRepudiation, the extension present) and, when the certificate restricts
// its extended key usage, one meant for documents: a TLS server, OCSP
// responder or TSA certificate cannot sign a document. anyExtendedKeyUsage is
// not accepted.
func signerUsage(c *x509.Certificate) error {
	if c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return errors.New("the certificate may not be used for signatures (key usage)")
	}
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return nil
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageEmailProtection {
			return nil
		}
	}
	for _, u := range c.UnknownExtKeyUsage {
		if u.Equal(oidDocumentSigning) || u.Equal(oidAdobeAuthenticDocs) || u.Equal(oidMSDocumentSigning) {
			return nil
		}
	}
	return errors.New("the certificate's extended key usage does not allow signing documents")
}
