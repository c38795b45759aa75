package pki

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/ocsp"
)

// maxRequest bounds OCSP and time-stamp request bodies.
const maxRequest = 16 << 10

// Handler serves, below the base URL's path:
//
//	POST {path}/ocsp, GET {path}/ocsp/{base64 request}  OCSP (RFC 6960), CertID hashed as requested
//	GET  {path}/crl/root.crl, {path}/crl/intermediate.crl  CRLs (DER)
//	GET  {path}/ca/root.cer, {path}/ca/intermediate.cer    CA certificates (DER)
//	POST {path}/tsa                                       RFC 3161 time stamps
//
// OCSP answers are signed by a delegated responder certificate per CA (EKU
// OCSPSigning, id-pkix-ocsp-nocheck), created afresh on every start: poppler's
// pdfsig 22.12 rejected CA-signed answers for the second of two signatures.
//
// Mount it at the base path without stripping it, e.g.
// mux.Handle("/pki/", p.Handler()) for the base URL http://host/pki.
func (p *PKI) Handler() http.Handler {
	mux := http.NewServeMux()
	prefix := p.base.Path
	mux.HandleFunc("POST "+prefix+"/ocsp", p.serveOCSPPost)
	mux.HandleFunc("POST "+prefix+"/ocsp/", p.serveOCSPPost)
	mux.HandleFunc("GET "+prefix+"/ocsp/", func(w http.ResponseWriter, r *http.Request) {
		raw := strings.TrimPrefix(r.URL.EscapedPath(), prefix+"/ocsp/")
		p.serveOCSP(w, raw)
	})
	mux.HandleFunc("GET "+prefix+"/crl/root.crl", func(w http.ResponseWriter, r *http.Request) { p.serveCRL(w, p.root) })
	mux.HandleFunc("GET "+prefix+"/crl/intermediate.crl", func(w http.ResponseWriter, r *http.Request) { p.serveCRL(w, p.inter) })
	mux.HandleFunc("GET "+prefix+"/ca/root.cer", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pkix-cert")
		_, _ = w.Write(p.Root().Raw)
	})
	mux.HandleFunc("GET "+prefix+"/ca/intermediate.cer", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pkix-cert")
		_, _ = w.Write(p.Intermediate().Raw)
	})
	mux.HandleFunc("POST "+prefix+"/tsa", p.serveTSA)
	return mux
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	if err != nil {
		http.Error(w, "request too large or unreadable", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	return b, true
}

func (p *PKI) serveOCSPPost(w http.ResponseWriter, r *http.Request) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	p.answerOCSP(w, b)
}

func (p *PKI) serveOCSP(w http.ResponseWriter, raw string) {
	s, err := url.PathUnescape(raw)
	if err != nil || len(s) > maxRequest {
		writeOCSP(w, ocsp.MalformedRequestErrorResponse)
		return
	}
	var der []byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if der, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		writeOCSP(w, ocsp.MalformedRequestErrorResponse)
		return
	}
	p.answerOCSP(w, der)
}

func writeOCSP(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/ocsp-response")
	_, _ = w.Write(b)
}

// keyHash hashes the subjectPublicKey BIT STRING of cert as in an OCSP CertID.
func keyHash(cert *x509.Certificate, h crypto.Hash) ([]byte, bool) {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &spki); err != nil || !h.Available() {
		return nil, false
	}
	hh := h.New()
	hh.Write(spki.PublicKey.Bytes)
	return hh.Sum(nil), true
}

func (p *PKI) answerOCSP(w http.ResponseWriter, der []byte) {
	req, err := ocsp.ParseRequest(der)
	if err != nil {
		writeOCSP(w, ocsp.MalformedRequestErrorResponse)
		return
	}
	var ca *Credential
	for _, c := range []*Credential{p.inter, p.root} {
		if kh, ok := keyHash(c.Chain[0], req.HashAlgorithm); ok && bytes.Equal(kh, req.IssuerKeyHash) {
			ca = c
			break
		}
	}
	if ca == nil {
		writeOCSP(w, ocsp.UnauthorizedErrorResponse)
		return
	}
	now := p.now().UTC().Truncate(time.Second)
	tpl := ocsp.Response{
		Status:       ocsp.Unknown,
		SerialNumber: req.SerialNumber,
		ThisUpdate:   now.Add(-time.Minute),
		NextUpdate:   now.Add(time.Hour),
		IssuerHash:   req.HashAlgorithm,
	}
	resp := p.responders[string(ca.Chain[0].RawSubject)]
	tpl.Certificate = resp.Chain[0]
	for _, c := range p.issuedBy(ca.Chain[0]) {
		if c.SerialNumber.Cmp(req.SerialNumber) == 0 {
			tpl.Status = ocsp.Good
			if rv, revoked := p.status(c.SerialNumber); revoked {
				tpl.Status, tpl.RevokedAt, tpl.RevocationReason = ocsp.Revoked, rv.At, rv.Reason
			}
		}
	}
	der, err = ocsp.CreateResponse(ca.Chain[0], resp.Chain[0], tpl, resp.Signer)
	if err != nil {
		writeOCSP(w, ocsp.InternalErrorErrorResponse)
		return
	}
	writeOCSP(w, der)
}

func (p *PKI) serveCRL(w http.ResponseWriter, ca *Credential) {
	now := p.now().UTC().Truncate(time.Second)
	rl := &x509.RevocationList{
		Number:     big.NewInt(now.Unix()),
		ThisUpdate: now.Add(-time.Minute),
		NextUpdate: now.Add(24 * time.Hour),
	}
	for _, c := range p.issuedBy(ca.Chain[0]) {
		if rv, revoked := p.status(c.SerialNumber); revoked {
			rl.RevokedCertificateEntries = append(rl.RevokedCertificateEntries, x509.RevocationListEntry{
				SerialNumber: c.SerialNumber, RevocationTime: rv.At, ReasonCode: rv.Reason,
			})
		}
	}
	der, err := x509.CreateRevocationList(rand.Reader, rl, ca.Chain[0], ca.Signer)
	if err != nil {
		http.Error(w, "cannot create CRL", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	_, _ = w.Write(der)
}

func (p *PKI) serveTSA(w http.ResponseWriter, r *http.Request) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	fail := func(f timestamp.FailureInfo) {
		resp, _ := timestamp.CreateErrorResponse(timestamp.Rejection, f)
		w.Header().Set("Content-Type", "application/timestamp-reply")
		_, _ = w.Write(resp)
	}
	req, err := timestamp.ParseRequest(b)
	if err != nil {
		fail(timestamp.BadDataFormat)
		return
	}
	switch req.HashAlgorithm {
	case crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		fail(timestamp.BadAlgorithm)
		return
	}
	if len(req.HashedMessage) != req.HashAlgorithm.Size() {
		fail(timestamp.BadDataFormat)
		return
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:     req.HashAlgorithm,
		HashedMessage:     req.HashedMessage,
		Time:              p.now().UTC(),
		Accuracy:          time.Second,
		Policy:            devPolicy,
		Nonce:             req.Nonce,
		AddTSACertificate: req.Certificates,
	}
	if req.Certificates {
		ts.Certificates = []*x509.Certificate{p.Intermediate()}
	}
	resp, err := ts.CreateResponseWithOpts(p.tsa.Chain[0], p.tsa.Signer, crypto.SHA256)
	if err != nil {
		fail(timestamp.SystemFailure)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	_, _ = w.Write(resp)
}
