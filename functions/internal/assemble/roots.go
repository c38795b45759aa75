package assemble

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"github.com/sohoa/sohoa/pkg/errs"
)

// Roots reads the trust anchors from TrustRootsKey. None is an empty pool,
// loudly: every signature then verifies as untrusted.
func (c *Stores) Roots(ctx context.Context) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	b, err := c.ReadConfig(ctx, TrustRootsKey)
	if errs.Is(err, errs.NotFound) {
		c.Log.Warn("no trust anchors: every signature will verify as untrusted", "key", TrustRootsKey)
		return pool, nil
	}
	if err != nil {
		return nil, err
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, errs.E(errs.Invalid, "assemble: %s holds no PEM certificate", TrustRootsKey)
	}
	return pool, nil
}

// Chain reads a PEM certificate chain (leaf first) from the config object key.
func (c *Stores) Chain(ctx context.Context, key string) ([]*x509.Certificate, error) {
	b, err := c.ReadConfig(ctx, key)
	if err != nil {
		return nil, err
	}
	var chain []*x509.Certificate
	for rest := b; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("assemble: %s: %w", key, err)
		}
		chain = append(chain, cert)
	}
	if len(chain) == 0 {
		return nil, errs.E(errs.Invalid, "assemble: %s holds no certificate", key)
	}
	return chain, nil
}
