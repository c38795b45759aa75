package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

type leafKind int

const (
	officerLeaf leafKind = iota
	sealLeaf
	tsaLeaf
)

// issuer creates the PKI's certificates.
type issuer struct {
	p   *PKI
	org string
}

func serial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, fmt.Errorf("pki: serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

func skid(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	h := sha1.Sum(spki.PublicKey.Bytes)
	return h[:], nil
}

func (is issuer) create(tpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, error) {
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	tpl.SerialNumber = sn
	if tpl.SubjectKeyId == nil {
		if tpl.SubjectKeyId, err = skid(pub); err != nil {
			return nil, fmt.Errorf("pki: subject key id: %w", err)
		}
	}
	if parent == nil {
		parent = tpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("pki: issue %q: %w", tpl.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

func (is issuer) name(cn string) pkix.Name {
	return pkix.Name{CommonName: cn, Organization: []string{is.org}, Country: []string{"VN"}}
}

func (is issuer) root(key crypto.Signer) (*x509.Certificate, error) {
	now := is.p.now().UTC()
	return is.create(&x509.Certificate{
		Subject:               is.name(is.org + " Root CA"),
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, nil, key.Public(), key)
}

func (is issuer) intermediate(key crypto.Signer) (*x509.Certificate, error) {
	now := is.p.now().UTC()
	root := is.p.root.Chain[0]
	return is.create(&x509.Certificate{
		Subject:               is.name(is.org + " Issuing CA"),
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		OCSPServer:            []string{is.p.url("/ocsp")},
		IssuingCertificateURL: []string{is.p.url("/ca/root.cer")},
		CRLDistributionPoints: []string{is.p.url("/crl/root.crl")},
	}, root, key.Public(), is.p.root.Signer)
}

// oidExtKeyUsage is id-ce-extKeyUsage.
var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}

func (is issuer) leaf(key crypto.Signer, name, email string, kind leafKind) (*x509.Certificate, error) {
	now := is.p.now().UTC()
	tpl := &x509.Certificate{
		Subject:               is.name(name),
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(3, 0, 0),
		BasicConstraintsValid: true,
		OCSPServer:            []string{is.p.url("/ocsp")},
		IssuingCertificateURL: []string{is.p.url("/ca/intermediate.cer")},
		CRLDistributionPoints: []string{is.p.url("/crl/intermediate.crl")},
	}
	if email != "" {
		tpl.EmailAddresses = []string{email}
	}
	switch kind {
	case tsaLeaf:
		// RFC 3161 §2.3: the TSA certificate has exactly one EKU, timeStamping,
		// and the extension is critical (OpenSSL refuses it otherwise).
		tpl.KeyUsage = x509.KeyUsageDigitalSignature
		ext, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
		if err != nil {
			return nil, fmt.Errorf("pki: tsa eku: %w", err)
		}
		tpl.ExtraExtensions = []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: ext}}
	default:
		if kind == sealLeaf {
			tpl.Subject.Organization = []string{name}
		}
		tpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
		tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}
		tpl.UnknownExtKeyUsage = []asn1.ObjectIdentifier{oidDocumentSigning}
	}
	return is.create(tpl, is.p.inter.Chain[0], key.Public(), is.p.inter.Signer)
}

// oidOCSPNoCheck is id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1).
var oidOCSPNoCheck = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}

// responder issues a delegated OCSP responder certificate under ca.
func (is issuer) responder(ca *Credential, key crypto.Signer) (*x509.Certificate, error) {
	now := is.p.now().UTC()
	return is.create(&x509.Certificate{
		Subject:               is.name(ca.Chain[0].Subject.CommonName + " OCSP Responder"),
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
		BasicConstraintsValid: true,
		ExtraExtensions:       []pkix.Extension{{Id: oidOCSPNoCheck, Value: []byte{0x05, 0x00}}},
	}, ca.Chain[0], key.Public(), ca.Signer)
}
