package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sohoa/sohoa/functions/internal/wire"
	"github.com/sohoa/sohoa/pkg/aws/ingest"
	"github.com/sohoa/sohoa/pkg/aws/kms"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/errs"
	"github.com/sohoa/sohoa/pkg/domain/signing"
)

// newHandler builds the ingest function's handler over AWS.
func newHandler(ctx context.Context, cfg wire.Config) (*ingest.Handler, error) {
	c, err := wire.NewBase(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sealer, err := newSealer(ctx, c)
	if err != nil {
		return nil, err
	}
	a, err := c.Build(ctx, wire.Ports{Sealer: sealer})
	if err != nil {
		return nil, err
	}
	return &ingest.Handler{Dossiers: a.Dossiers, MaxReceive: cfg.MaxReceive, Log: c.Log}, nil
}

// newSealer returns the certifier of digitized components: the conversion
// mark, then the agency seal made by the asymmetric KMS key SOHOA_SEAL_KEY_ID
// with the certificate chain in wire.SealChainKey. Nil when no seal key is
// configured: components then stay uncertified (certified: false on the
// dossier), loudly.
func newSealer(ctx context.Context, c *wire.Base) (dossier.Sealer, error) {
	keyID := c.Config.SealKeyID
	if keyID == "" {
		c.Log.Warn("no seal key configured: digitized components are not certified")
		return nil, nil
	}
	chain, err := c.Chain(ctx, wire.SealChainKey)
	if errs.Is(err, errs.NotFound) {
		return nil, fmt.Errorf("the seal key is set but %s is missing: %w", wire.SealChainKey, err)
	}
	if err != nil {
		return nil, err
	}
	client := awskms.NewFromConfig(c.AWS.SDK(), func(o *awskms.Options) { o.BaseEndpoint = wire.Endpoint(c.Config.Endpoints.KMS) })
	key, err := kms.New(ctx, client, keyID, chain, kms.Options{})
	if err != nil {
		return nil, err
	}
	svc, err := signing.New(signing.Config{Seal: key, SealChain: chain, Roots: c.Roots, TSAURL: c.Config.TSAURL,
		HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		return nil, err
	}
	return signing.Certifier(svc)
}
