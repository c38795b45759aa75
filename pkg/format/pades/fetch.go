package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/ocsp"

	"github.com/sohoa/sohoa/pkg/errs"
)

// maxResponse bounds TSA, OCSP and CRL response bodies.
const maxResponse = 4 << 20

// post sends body and returns the response body, bounded in size; every
// failure is errs.Unavailable (the service is down, slow or answers garbage).
func fetch(ctx context.Context, c *http.Client, method, url, ctype string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "bad URL %q", url)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "%s is unreachable", url)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "%s: reading the answer failed", url)
	}
	if len(b) > maxResponse {
		return nil, errs.E(errs.Unavailable, "%s answered more than %d bytes", url, maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, errs.E(errs.Unavailable, "%s answered HTTP %d", url, resp.StatusCode)
	}
	return b, nil
}

// requestTimestamp gets an RFC 3161 token over the signature value
// (the signature-time-stamp of RFC 3161 Appendix A / CAdES) and checks it.
func requestTimestamp(ctx context.Context, c *http.Client, url string, signature []byte) ([]byte, []*x509.Certificate, error) {
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, nil, fmt.Errorf("pades: nonce: %w", err)
	}
	req, err := timestamp.CreateRequest(bytes.NewReader(signature), &timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true, Nonce: nonce})
	if err != nil {
		return nil, nil, fmt.Errorf("pades: time-stamp request: %w", err)
	}
	body, err := fetch(ctx, c, http.MethodPost, url, "application/timestamp-query", req)
	if err != nil {
		return nil, nil, errs.Wrap(errs.Unavailable, err, "the time-stamping authority failed")
	}
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, nil, errs.Wrap(errs.Unavailable, err, "the time-stamping authority answered garbage or refused")
	}
	want := crypto.SHA256.New()
	want.Write(signature)
	if ts.HashAlgorithm != crypto.SHA256 || !bytes.Equal(ts.HashedMessage, want.Sum(nil)) {
		return nil, nil, errs.E(errs.Unavailable, "the time stamp is over another message")
	}
	if ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0 {
		return nil, nil, errs.E(errs.Unavailable, "the time stamp does not answer our request (nonce)")
	}
	return ts.RawToken, ts.Certificates, nil
}

// RevocationCache keeps OCSP responses and CRLs fetched for B-LT signatures
// until shortly before they expire, so a batch does not ask the responder
// once per document. It is safe for concurrent use. The zero value is not
// usable; call NewRevocationCache.
type RevocationCache struct {
	mu     sync.Mutex
	maxAge time.Duration
	now    func() time.Time
	items  map[string]cached
}

type cached struct {
	der     []byte
	expires time.Time
}

// NewRevocationCache returns a cache that keeps an answer for at most maxAge
// (and never past its nextUpdate). maxAge ≤ 0 means 5 minutes.
func NewRevocationCache(maxAge time.Duration) *RevocationCache {
	if maxAge <= 0 {
		maxAge = 5 * time.Minute
	}
	return &RevocationCache{maxAge: maxAge, now: time.Now, items: map[string]cached{}}
}

func (c *RevocationCache) get(key string) []byte {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.items[key]
	if !ok || !c.now().Before(it.expires) {
		delete(c.items, key)
		return nil
	}
	return it.der
}

func (c *RevocationCache) put(key string, der []byte, next time.Time) {
	if c == nil {
		return
	}
	exp := c.now().Add(c.maxAge)
	if !next.IsZero() && next.Before(exp) {
		exp = next
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.items) > 10000 {
		clear(c.items)
	}
	c.items[key] = cached{der: der, expires: exp}
}

// fetchOCSP returns a checked DER OCSP response saying cert is good.
func fetchOCSP(ctx context.Context, hc *http.Client, cache *RevocationCache, cert, issuer *x509.Certificate) ([]byte, error) {
	if len(cert.OCSPServer) == 0 {
		return nil, nil
	}
	url := cert.OCSPServer[0]
	key := "ocsp|" + url + "|" + cert.SerialNumber.String()
	if der := cache.get(key); der != nil {
		return der, nil
	}
	req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		return nil, fmt.Errorf("pades: OCSP request: %w", err)
	}
	der, err := fetch(ctx, hc, http.MethodPost, url, "application/ocsp-request", req)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "the OCSP responder failed")
	}
	resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "the OCSP responder answered garbage")
	}
	if resp.Status != ocsp.Good {
		return nil, errs.E(errs.Forbidden, "the certificate %q is not in good standing (OCSP status %d)", cert.Subject.CommonName, resp.Status)
	}
	cache.put(key, der, resp.NextUpdate)
	return der, nil
}

// fetchCRL returns a checked DER CRL that does not list cert.
func fetchCRL(ctx context.Context, hc *http.Client, cache *RevocationCache, cert, issuer *x509.Certificate) ([]byte, error) {
	if len(cert.CRLDistributionPoints) == 0 {
		return nil, nil
	}
	url := cert.CRLDistributionPoints[0]
	key := "crl|" + url + "|" + cert.SerialNumber.String() // checked for this certificate
	if der := cache.get(key); der != nil {
		return der, nil
	}
	der, err := fetch(ctx, hc, http.MethodGet, url, "", nil)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "the CRL server failed")
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "the CRL server answered garbage")
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "the CRL is not signed by the certificate's issuer")
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return nil, errs.E(errs.Forbidden, "the certificate %q is revoked (CRL)", cert.Subject.CommonName)
		}
	}
	cache.put(key, der, crl.NextUpdate)
	return der, nil
}
