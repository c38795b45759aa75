// Package pki is Sohoa's development public-key infrastructure: an ECDSA P-256
// root, an intermediate CA, one signing credential per configured officer, an
// agency seal and an RFC 3161 time-stamping authority, created in a directory
// on first start and loaded from it afterwards. Its Handler serves what the
// certificates point at: OCSP, CRLs, CA certificates and the TSA, so that a
// signature made with these keys can be validated online by any reader (poppler's
// pdfsig with an NSS store that trusts Root).
//
// It is for the local stack and for tests. It is not a production CA: keys are
// stored unencrypted on disk and anyone who can reach the handler gets answers.
package pki

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
)

// Officer configures one officer's signing credential.
type Officer struct {
	// ID is the officer's user ID (the subject of their tokens); it names the
	// credential's files and is how callers look the credential up.
	ID string
	// Name is the full name with diacritics, e.g. "Nguyễn Thị Lĩnh"; it is the
	// certificate's common name.
	Name string
	// Email is optional; it goes into the certificate's subject alternative name.
	Email string
}

// Options configures LoadOrCreate.
type Options struct {
	// BaseURL is the absolute URL where Handler is reachable, e.g.
	// "http://127.0.0.1:8080/pki". Certificates point their OCSP, CRL and
	// CA-issuer URLs below it. Required.
	BaseURL string
	// Organization is the subject organization of the CAs and leaves
	// (default "Sohoa Dev").
	Organization string
	// Agency is the name of the agency whose seal is issued
	// (default "Ủy ban nhân dân (phát triển)").
	Agency string
	// Officers lists the officer credentials to issue. Officers added later
	// are issued on the next load; existing ones are kept.
	Officers []Officer
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

// Credential is a private key with its certificate chain.
type Credential struct {
	// ID is the officer's ID, "seal" for the agency seal or "tsa".
	ID string
	// Name is the certificate's common name.
	Name string
	// Signer is the private key.
	Signer crypto.Signer
	// Chain is the leaf first, then the intermediate, then the root.
	Chain []*x509.Certificate
}

// Certificate returns the credential's leaf certificate.
func (c *Credential) Certificate() *x509.Certificate { return c.Chain[0] }

// ChainPEM returns the chain from the leaf up to and including the root as PEM.
func (c *Credential) ChainPEM() []byte {
	var b []byte
	for _, cert := range c.Chain {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})...)
	}
	return b
}

// PKI is a loaded development PKI. Its methods are safe for concurrent use.
type PKI struct {
	base    *url.URL
	now     func() time.Time
	dir     string
	root    *Credential // Chain = [root]
	inter   *Credential // Chain = [intermediate, root]
	seal    *Credential
	tsa     *Credential
	officer map[string]*Credential
	order   []string
	// responders sign OCSP answers for each CA (delegated, RFC 6960 §4.2.2.2),
	// keyed by the CA certificate's raw subject.
	responders map[string]*Credential

	mu      sync.Mutex
	revoked map[string]revocation // serial (decimal) → revocation
}

type revocation struct {
	At     time.Time `json:"at"`
	Reason int       `json:"reason"`
}

// devPolicy is the TSA policy OID. 2.999 is the X.660 arc reserved for examples.
var devPolicy = []int{2, 999, 1, 1}

// oidDocumentSigning is id-kp-documentSigning (RFC 9336).
var oidDocumentSigning = []int{1, 3, 6, 1, 5, 5, 7, 3, 36}

// Root returns the root CA certificate (the trust anchor).
func (p *PKI) Root() *x509.Certificate { return p.root.Chain[0] }

// Intermediate returns the issuing CA certificate of every leaf.
func (p *PKI) Intermediate() *x509.Certificate { return p.inter.Chain[0] }

// RootPEM returns the root certificate as PEM, e.g. for certutil -A.
func (p *PKI) RootPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Root().Raw})
}

// Roots returns a new pool holding only the root.
func (p *PKI) Roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root())
	return pool
}

// Officer returns the credential of the officer with that ID, or an
// errs.NotFound error.
func (p *PKI) Officer(id string) (*Credential, error) {
	c, ok := p.officer[id]
	if !ok {
		return nil, errs.E(errs.NotFound, "no credential for officer %q", id)
	}
	return c, nil
}

// Officers returns the officer credentials in configuration order.
func (p *PKI) Officers() []*Credential {
	out := make([]*Credential, 0, len(p.order))
	for _, id := range p.order {
		out = append(out, p.officer[id])
	}
	return out
}

// Seal returns the agency seal credential.
func (p *PKI) Seal() *Credential { return p.seal }

// TSA returns the time-stamping authority's credential.
func (p *PKI) TSA() *Credential { return p.tsa }

// TSAURL returns the URL of the RFC 3161 endpoint.
func (p *PKI) TSAURL() string { return p.url("/tsa") }

// OCSPURL returns the URL of the OCSP responder.
func (p *PKI) OCSPURL() string { return p.url("/ocsp") }

func (p *PKI) url(path string) string {
	return strings.TrimSuffix(p.base.String(), "/") + path
}

// Revoke marks the certificate with that serial number as revoked from now on,
// in OCSP answers and CRLs. It is persisted in the PKI directory.
func (p *PKI) Revoke(serial *big.Int) error {
	if serial == nil {
		return errs.E(errs.Invalid, "no serial number")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revoked[serial.String()] = revocation{At: p.now().UTC().Truncate(time.Second), Reason: 1}
	return p.saveRevoked()
}

// status reports whether serial is revoked.
func (p *PKI) status(serial *big.Int) (revocation, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.revoked[serial.String()]
	return r, ok
}

// issuedBy returns the certificates issued by the CA cert ca that the PKI knows.
func (p *PKI) issuedBy(ca *x509.Certificate) []*x509.Certificate {
	var out []*x509.Certificate
	if ca.Equal(p.Root()) {
		return []*x509.Certificate{p.Intermediate()}
	}
	for _, c := range p.leaves() {
		out = append(out, c.Chain[0])
	}
	return out
}

func (p *PKI) leaves() []*Credential {
	out := p.Officers()
	return append(out, p.seal, p.tsa)
}

func parseBase(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errs.FieldError("BaseURL", "the PKI needs the base URL where its handler is served")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errs.FieldError("BaseURL", "base URL %q is not an absolute http(s) URL", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}
