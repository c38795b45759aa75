package wire

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"time"

	"github.com/sohoa/sohoa/pkg/csc"
	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/kms"
	"github.com/sohoa/sohoa/pkg/signing"
)

// Roots reads the trust anchors from TrustRootsKey; none is an empty pool
// (every signature then verifies as untrusted).
func (c *Core) Roots(ctx context.Context) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	b, err := c.readConfig(ctx, TrustRootsKey)
	if err != nil || b == nil {
		return pool, err
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, errs.E(errs.Invalid, "wire: %s holds no PEM certificate", TrustRootsKey)
	}
	return pool, nil
}

// RootCerts returns the trust anchors of TrustRootsKey as certificates, for
// the verifier that runs in the isolated child (a pool cannot be sent there).
func (c *Core) RootCerts(ctx context.Context) ([]*x509.Certificate, error) {
	b, err := c.readConfig(ctx, TrustRootsKey)
	if err != nil || b == nil {
		return nil, err
	}
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "wire: %s holds a certificate that cannot be read", TrustRootsKey)
		}
		out = append(out, cert)
	}
	return out, nil
}

// Signing returns the signing service over the CSC provider at SOHOA_CSC_URL,
// or nil if none is configured.
func (c *Core) Signing(roots *x509.CertPool) (*signing.Service, error) {
	if c.Env.Get(EnvCSCURL) == "" {
		return nil, nil
	}
	hc := &http.Client{Timeout: 15 * time.Second}
	remote, err := csc.New(csc.Config{BaseURL: c.Env.Get(EnvCSCURL), HTTPClient: hc,
		ClientID: c.Env.Get(EnvCSCClientID), ClientSecret: c.Env.Get(EnvCSCSecret)})
	if err != nil {
		return nil, err
	}
	return signing.New(signing.Config{Remote: remote, Roots: roots, TSAURL: c.Env.Get(EnvTSAURL),
		HTTPClient: &http.Client{Timeout: 10 * time.Second}})
}

// Sealer returns the certifier of digitized components: the conversion mark,
// then the agency seal made by the asymmetric KMS key SOHOA_SEAL_KEY_ID with
// the certificate chain in SealChainKey. Nil when no seal key is configured:
// components then stay uncertified (certified: false on the dossier).
func (c *Core) Sealer(ctx context.Context, roots *x509.CertPool) (dossier.Sealer, error) {
	keyID := c.Env.Get(EnvSealKeyID)
	if keyID == "" {
		c.Log.Warn("no seal key configured: digitized components are not certified")
		return nil, nil
	}
	pemChain, err := c.readConfig(ctx, SealChainKey)
	if err != nil {
		return nil, err
	}
	var chain []*x509.Certificate
	for rest := pemChain; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("wire: %s: %w", SealChainKey, err)
		}
		chain = append(chain, cert)
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("wire: the seal key is set but %s holds no certificate chain", SealChainKey)
	}
	key, err := kms.New(ctx, c.AWS.KMS(), keyID, chain, kms.Options{})
	if err != nil {
		return nil, err
	}
	svc, err := signing.New(signing.Config{Seal: key, SealChain: chain, Roots: roots, TSAURL: c.Env.Get(EnvTSAURL),
		HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		return nil, err
	}
	return signing.Certifier(svc)
}
