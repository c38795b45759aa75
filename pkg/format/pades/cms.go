package pades

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sort"
)

// Object identifiers of RFC 5652 (CMS), RFC 5035 (ESS) and RFC 3161.
var (
	oidData            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSigningCertV2   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidTimeStampToken  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidSHA256          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidECPublicKey     = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	oidRSAEncryption   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
)

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type encapContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"optional,explicit,tag:0"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signerInfo struct {
	Version            int
	SID                issuerAndSerial
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue
}

// essCertIDv2 omits hashAlgorithm: SHA-256 is its DEFAULT (RFC 5035).
type essCertIDv2 struct {
	CertHash     []byte
	IssuerSerial issuerSerial
}

type issuerSerial struct {
	Issuer []asn1.RawValue // GeneralNames holding one directoryName
	Serial *big.Int
}

type signingCertificateV2 struct {
	Certs []essCertIDv2
}

var hashOIDs = map[crypto.Hash]asn1.ObjectIdentifier{crypto.SHA256: oidSHA256, crypto.SHA384: oidSHA384, crypto.SHA512: oidSHA512}

func hashFromOID(oid asn1.ObjectIdentifier) crypto.Hash {
	for h, o := range hashOIDs {
		if o.Equal(oid) {
			return h
		}
	}
	return 0
}

func set(elems ...[]byte) asn1.RawValue {
	sort.Slice(elems, func(i, j int) bool { return bytes.Compare(elems[i], elems[j]) < 0 })
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: bytes.Join(elems, nil)}
}

func attr(oid asn1.ObjectIdentifier, value any) ([]byte, error) {
	v, err := asn1.Marshal(value)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(attribute{Type: oid, Values: set(v)})
}

// signedAttributes returns the DER of the signed attributes (as a SET, the form
// that is hashed and signed) for a CAdES/PAdES B-B signature: content type,
// message digest and signing-certificate-v2, and no signing time (ETSI EN
// 319 142-1 §5.2: the signing time is the /M entry of the signature dictionary).
func signedAttributes(docDigest []byte, signer *x509.Certificate) ([]byte, error) {
	ct, err := attr(oidContentType, oidData)
	if err != nil {
		return nil, err
	}
	md, err := attr(oidMessageDigest, docDigest)
	if err != nil {
		return nil, err
	}
	certHash := sha256.Sum256(signer.Raw)
	scv2, err := attr(oidSigningCertV2, signingCertificateV2{Certs: []essCertIDv2{{
		CertHash: certHash[:],
		IssuerSerial: issuerSerial{
			Issuer: []asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: signer.RawIssuer}},
			Serial: signer.SerialNumber,
		},
	}}})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(set(ct, md, scv2))
}

func signatureAlgorithm(pub crypto.PublicKey, h crypto.Hash) (pkix.AlgorithmIdentifier, error) {
	switch pub.(type) {
	case *ecdsa.PublicKey:
		switch h {
		case crypto.SHA256:
			return pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA256}, nil
		case crypto.SHA384:
			return pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA384}, nil
		case crypto.SHA512:
			return pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA512}, nil
		}
	case *rsa.PublicKey:
		null := asn1.RawValue{Tag: asn1.TagNull}
		switch h {
		case crypto.SHA256:
			return pkix.AlgorithmIdentifier{Algorithm: oidSHA256WithRSA, Parameters: null}, nil
		case crypto.SHA384:
			return pkix.AlgorithmIdentifier{Algorithm: oidSHA384WithRSA, Parameters: null}, nil
		case crypto.SHA512:
			return pkix.AlgorithmIdentifier{Algorithm: oidSHA512WithRSA, Parameters: null}, nil
		}
	}
	return pkix.AlgorithmIdentifier{}, fmt.Errorf("unsupported key %T with %v", pub, h)
}

// normalizeSignature returns sig as the CMS wants it: ECDSA as DER
// SEQUENCE{r,s}. Some remote signers return IEEE P1363 r||s; that is converted.
func normalizeSignature(pub crypto.PublicKey, sig []byte) []byte {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return sig
	}
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &rs); err == nil && len(rest) == 0 {
		return sig
	}
	n := (k.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*n {
		return sig
	}
	rs.R = new(big.Int).SetBytes(sig[:n])
	rs.S = new(big.Int).SetBytes(sig[n:])
	der, err := asn1.Marshal(rs)
	if err != nil {
		return sig
	}
	return der
}

// algorithmFits reports whether the SignerInfo's signature algorithm is one
// checkSignature implements for pub's key type (RSASSA-PSS is not).
func algorithmFits(pub crypto.PublicKey, alg asn1.ObjectIdentifier) bool {
	var ok []asn1.ObjectIdentifier
	switch pub.(type) {
	case *ecdsa.PublicKey:
		ok = []asn1.ObjectIdentifier{oidECPublicKey, oidECDSAWithSHA256, oidECDSAWithSHA384, oidECDSAWithSHA512}
	case *rsa.PublicKey:
		ok = []asn1.ObjectIdentifier{oidRSAEncryption, oidSHA256WithRSA, oidSHA384WithRSA, oidSHA512WithRSA}
	}
	for _, o := range ok {
		if o.Equal(alg) {
			return true
		}
	}
	return false
}

// checkSignature verifies sig over digest with pub.
func checkSignature(pub crypto.PublicKey, h crypto.Hash, digest, sig []byte) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return errors.New("ECDSA signature does not match")
		}
		return nil
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, h, digest, sig)
	}
	return fmt.Errorf("unsupported public key %T", pub)
}

// buildCMS assembles the detached SignedData.
func buildCMS(chain []*x509.Certificate, h crypto.Hash, attrs []byte, sig []byte, tsToken []byte) ([]byte, error) {
	leaf := chain[0]
	algo, err := signatureAlgorithm(leaf.PublicKey, h)
	if err != nil {
		return nil, err
	}
	var inner asn1.RawValue
	if _, err := asn1.Unmarshal(attrs, &inner); err != nil {
		return nil, err
	}
	si := signerInfo{
		Version:            1,
		SID:                issuerAndSerial{Issuer: asn1.RawValue{FullBytes: leaf.RawIssuer}, Serial: leaf.SerialNumber},
		DigestAlgorithm:    pkix.AlgorithmIdentifier{Algorithm: hashOIDs[h]},
		SignedAttrs:        asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: inner.Bytes},
		SignatureAlgorithm: algo,
		Signature:          sig,
	}
	if len(tsToken) > 0 {
		a, err := asn1.Marshal(attribute{Type: oidTimeStampToken, Values: set(tsToken)})
		if err != nil {
			return nil, err
		}
		si.UnsignedAttrs = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: a}
	}
	var certs []byte
	for _, c := range chain {
		certs = append(certs, c.Raw...)
	}
	sd := signedData{
		Version:          1,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{{Algorithm: hashOIDs[h]}},
		EncapContentInfo: encapContentInfo{ContentType: oidData},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: certs},
		SignerInfos:      []signerInfo{si},
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(contentInfo{ContentType: oidSignedData, Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER}})
}

// parsedCMS is what Verify needs from a signature's /Contents.
type parsedCMS struct {
	hash         crypto.Hash
	attrsDER     []byte // signed attributes re-tagged as SET, as signed
	attrs        map[string][]asn1.RawValue
	signature    []byte
	sigAlg       asn1.ObjectIdentifier
	certs        []*x509.Certificate
	signer       *x509.Certificate
	tsToken      []byte
	signingTime  bool
	signingCertH []byte // signing-certificate-v2 hash, if present
}

func parseCMS(der []byte) (*parsedCMS, error) {
	var ci contentInfo
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return nil, fmt.Errorf("CMS: %w", err)
	}
	if len(bytes.Trim(rest, "\x00")) != 0 {
		return nil, errors.New("CMS: trailing data")
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, errors.New("CMS: not SignedData")
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("CMS SignedData: %w", err)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("CMS: %d signers, want 1", len(sd.SignerInfos))
	}
	if len(sd.EncapContentInfo.Content.Bytes) != 0 {
		return nil, errors.New("CMS: not detached")
	}
	p := &parsedCMS{attrs: map[string][]asn1.RawValue{}}
	if len(sd.Certificates.Bytes) > 0 {
		if p.certs, err = x509.ParseCertificates(sd.Certificates.Bytes); err != nil {
			return nil, fmt.Errorf("CMS certificates: %w", err)
		}
	}
	si := sd.SignerInfos[0]
	p.hash = hashFromOID(si.DigestAlgorithm.Algorithm)
	if p.hash == 0 {
		return nil, fmt.Errorf("CMS: unsupported digest %v", si.DigestAlgorithm.Algorithm)
	}
	p.signature, p.sigAlg = si.Signature, si.SignatureAlgorithm.Algorithm
	for _, c := range p.certs {
		if bytes.Equal(c.RawIssuer, si.SID.Issuer.FullBytes) && c.SerialNumber.Cmp(si.SID.Serial) == 0 {
			p.signer = c
		}
	}
	if p.signer == nil {
		return nil, errors.New("CMS: the signer's certificate is not included")
	}
	if len(si.SignedAttrs.Bytes) == 0 {
		return nil, errors.New("CMS: no signed attributes")
	}
	if p.attrsDER, err = asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: si.SignedAttrs.Bytes}); err != nil {
		return nil, err
	}
	if err := readAttrs(si.SignedAttrs.Bytes, p.attrs); err != nil {
		return nil, err
	}
	_, p.signingTime = p.attrs[oidSigningTime.String()]
	if v := p.attrs[oidSigningCertV2.String()]; len(v) == 1 {
		var sc signingCertificateV2
		if _, err := asn1.Unmarshal(v[0].FullBytes, &sc); err == nil && len(sc.Certs) > 0 {
			p.signingCertH = sc.Certs[0].CertHash
		}
	}
	if len(si.UnsignedAttrs.Bytes) > 0 {
		ua := map[string][]asn1.RawValue{}
		if err := readAttrs(si.UnsignedAttrs.Bytes, ua); err != nil {
			return nil, err
		}
		if v := ua[oidTimeStampToken.String()]; len(v) > 0 {
			p.tsToken = v[0].FullBytes
		}
	}
	return p, nil
}

func readAttrs(b []byte, into map[string][]asn1.RawValue) error {
	for len(b) > 0 {
		var a attribute
		var err error
		if b, err = asn1.Unmarshal(b, &a); err != nil {
			return fmt.Errorf("CMS attribute: %w", err)
		}
		vals := a.Values.Bytes
		for len(vals) > 0 {
			var v asn1.RawValue
			if vals, err = asn1.Unmarshal(vals, &v); err != nil {
				return fmt.Errorf("CMS attribute value: %w", err)
			}
			into[a.Type.String()] = append(into[a.Type.String()], v)
		}
	}
	return nil
}

// messageDigest returns the messageDigest attribute.
func (p *parsedCMS) messageDigest() []byte {
	v := p.attrs[oidMessageDigest.String()]
	if len(v) != 1 {
		return nil
	}
	var d []byte
	if _, err := asn1.Unmarshal(v[0].FullBytes, &d); err != nil {
		return nil
	}
	return d
}
