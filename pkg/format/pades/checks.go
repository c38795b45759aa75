package pades

// One signature's verdict: its CMS (PAdES or PKCS#7 detached) or document
// time stamp, and what later revisions changed.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

func (v *verifier) check(ctx context.Context, f *sigField) Signature {
	s := Signature{Field: f.name, Revocation: "unknown"}
	bad := func(format string, args ...any) Signature {
		s.Problems = append(s.Problems, fmt.Sprintf(format, args...))
		s.Valid, s.Intact = false, false
		return s
	}
	if sf, ok := f.v["SubFilter"].(types.Name); ok {
		s.SubFilter = string(sf)
	}
	s.Reason, s.Location = decodeText(f.v["Reason"]), decodeText(f.v["Location"])
	s.SignedAt = parsePDFDate(decodeText(f.v["M"]))

	r, err := v.byteRange(f)
	if err != nil {
		return bad("%v", err)
	}
	f.end = r[2] + r[3]
	s.WholeDocument = len(bytes.Trim(v.pdf[f.end:], " \r\n\t\f\x00")) == 0
	raw, err := hex.DecodeString(string(v.pdf[r[1]+1 : r[2]-1]))
	if err != nil {
		return bad("the /Contents is not a hex string")
	}
	signed := func(h hash.Hash) {
		h.Write(v.pdf[r[0]:r[1]])
		h.Write(v.pdf[r[2] : r[2]+r[3]])
	}
	switch s.SubFilter {
	case "ETSI.CAdES.detached", "adbe.pkcs7.detached":
		v.checkCMS(ctx, &s, raw, signed)
	case "ETSI.RFC3161":
		v.checkDocTimestamp(&s, raw, signed)
	default:
		return bad("the signature type %q is not supported", s.SubFilter)
	}

	// Later updates may add signatures and validation data, nothing else.
	if !s.WholeDocument {
		old, err := v.revision(ctx, f.end)
		if err != nil {
			s.ModifiedAfter = []string{"the signed revision cannot be read: " + err.Error()}
		} else {
			if e := old.x.Table[f.vNum]; e == nil || e.Offset == nil || *e.Offset != *v.x.Table[f.vNum].Offset {
				s.ModifiedAfter = append(s.ModifiedAfter, "the signature dictionary was replaced after signing")
			}
			s.ModifiedAfter = append(s.ModifiedAfter, modifications(old, &graph{x: v.x, raw: v.pdf})...)
		}
		for _, m := range s.ModifiedAfter {
			s.Problems = append(s.Problems, "changed after signing: "+m)
		}
	}
	s.Valid = s.Valid && len(s.ModifiedAfter) == 0
	return s
}

// checkCMS verifies a CMS signature (PAdES or PKCS#7 detached) and sets
// Intact, Trusted, Timestamped, Revocation, Level and Valid.
func (v *verifier) checkCMS(ctx context.Context, s *Signature, raw []byte, signed func(hash.Hash)) {
	p, err := parseCMS(raw)
	if err != nil {
		s.Problems = append(s.Problems, fmt.Sprintf("the CMS cannot be read: %v", err))
		return
	}
	s.Certificate, s.Signer = p.signer, p.signer.Subject.CommonName

	// Integrity: byte ranges → message digest → signature over the attributes.
	h := p.hash.New()
	signed(h)
	intact := bytes.Equal(h.Sum(nil), p.messageDigest())
	if !intact {
		s.Problems = append(s.Problems, "the signed bytes do not match the signed digest: the document was changed after it was signed, or the signature belongs to another document")
	}
	ah := p.hash.New()
	ah.Write(p.attrsDER)
	if !algorithmFits(p.signer.PublicKey, p.sigAlg) {
		intact = false
		s.Problems = append(s.Problems, "the signature algorithm "+p.sigAlg.String()+" is not supported")
	} else if err := checkSignature(p.signer.PublicKey, p.hash, ah.Sum(nil), p.signature); err != nil {
		intact = false
		s.Problems = append(s.Problems, "the signature value does not match the certificate: "+err.Error())
	}
	if p.signingCertH != nil {
		certH := sha256.Sum256(p.signer.Raw)
		if !bytes.Equal(certH[:], p.signingCertH) {
			intact = false
			s.Problems = append(s.Problems, "the signing-certificate-v2 attribute names another certificate")
		}
	}
	s.Intact = intact

	// Pool of intermediates: the CMS's and the DSS's certificates.
	inter := x509.NewCertPool()
	for _, c := range append(append([]*x509.Certificate{}, p.certs...), v.dssCerts...) {
		inter.AddCert(c)
	}

	// Time stamp over the signature value, verified with its own signer.
	at := v.o.Time
	tsPresent := len(p.tsToken) > 0
	if tsPresent {
		tok, err := verifyToken(p.tsToken, v.o.TSARoots, v.dssCerts)
		switch {
		case err != nil:
			s.Problems = append(s.Problems, "the signature time stamp is not valid: "+err.Error())
		case !tok.ts.HashAlgorithm.Available():
			s.Problems = append(s.Problems, "the time stamp uses an unknown hash")
		default:
			th := tok.ts.HashAlgorithm.New()
			th.Write(p.signature)
			if !bytes.Equal(th.Sum(nil), tok.ts.HashedMessage) {
				s.Problems = append(s.Problems, "the time stamp is over another signature")
				break
			}
			s.Timestamped, s.SignedAt, at = true, tok.ts.Time, tok.ts.Time
		}
	}

	// Chain to the trust anchors at the signing time; the usage is checked
	// on the certificate itself, not with ExtKeyUsageAny's blessing.
	var chains [][]*x509.Certificate
	if v.o.Roots == nil {
		s.Problems = append(s.Problems, "no trust anchors configured")
	} else if err := signerUsage(p.signer); err != nil {
		s.Problems = append(s.Problems, err.Error())
	} else if chains, err = p.signer.Verify(x509.VerifyOptions{Roots: v.o.Roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		s.Problems = append(s.Problems, "the certificate is not trusted: "+err.Error())
	} else {
		s.Trusted = true
	}
	if s.Trusted && len(chains[0]) > 1 {
		s.Revocation, s.RevocationSource = v.revocation(ctx, p.signer, chains[0][1], at)
		switch s.Revocation {
		case "revoked":
			s.Problems = append(s.Problems, "the certificate was revoked before the signing time")
		case "unknown":
			s.Problems = append(s.Problems, "the certificate's revocation status is unknown: the file carries none and no OCSP responder or CRL answered")
		}
	} else if s.Trusted {
		s.Revocation = "good" // the signer is itself a trust anchor
	}

	if s.SubFilter == "ETSI.CAdES.detached" && !p.signingTime && p.signingCertH != nil {
		s.Level = "B-B"
		if s.Timestamped {
			s.Level = "B-T"
			if s.Revocation == "good" && s.RevocationSource == "dss" {
				s.Level = "B-LT"
			}
		}
	}
	s.Valid = s.Intact && s.Trusted && (!tsPresent || s.Timestamped) && (s.Revocation == "good" || s.Revocation == "none")
}

// checkDocTimestamp verifies a document time stamp (ETSI.RFC3161): a token
// whose message imprint is the hash of the signed bytes.
func (v *verifier) checkDocTimestamp(s *Signature, raw []byte, signed func(hash.Hash)) {
	raw = bytes.TrimRight(raw, "\x00")
	tok, err := verifyToken(raw, v.o.TSARoots, v.dssCerts)
	if err != nil {
		s.Problems = append(s.Problems, "the document time stamp is not valid: "+err.Error())
		return
	}
	s.Signer, s.Certificate = tok.signer.Subject.CommonName, tok.signer
	if !tok.ts.HashAlgorithm.Available() {
		s.Problems = append(s.Problems, "the document time stamp uses an unknown hash")
		return
	}
	h := tok.ts.HashAlgorithm.New()
	signed(h)
	if !bytes.Equal(h.Sum(nil), tok.ts.HashedMessage) {
		s.Problems = append(s.Problems, "the document time stamp is over other bytes: the document was changed after it was time-stamped")
		return
	}
	s.Intact, s.Trusted, s.Timestamped, s.SignedAt = true, true, true, tok.ts.Time
	s.Revocation, s.RevocationSource = "good", "tsa"
	s.Valid = true
}

// parsePDFDate parses a PDF date string; an unreadable one gives zero.
func parsePDFDate(s string) time.Time {
	m := pdfDateRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}
	}
	n := func(i, def int) int {
		if m[i] == "" {
			return def
		}
		v, _ := strconv.Atoi(m[i])
		return v
	}
	loc := time.UTC
	if m[7] == "+" || m[7] == "-" {
		off := n(8, 0)*3600 + n(9, 0)*60
		if m[7] == "-" {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	return time.Date(n(1, 0), time.Month(n(2, 1)), n(3, 1), n(4, 0), n(5, 0), n(6, 0), 0, loc)
}
