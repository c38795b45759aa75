package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/sohoa/sohoa/functions/internal/assemble"
	"github.com/sohoa/sohoa/pkg/aws/ingest"
	"github.com/sohoa/sohoa/pkg/aws/kms"
	"github.com/sohoa/sohoa/pkg/aws/lambdaocr"
	"github.com/sohoa/sohoa/pkg/aws/sqs"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/extract"
	"github.com/sohoa/sohoa/pkg/domain/signing"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pdfdoor"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
	"github.com/sohoa/sohoa/pkg/format/stamp"
)

// newHandler builds the ingest function's handler over AWS.
func newHandler(ctx context.Context, cfg assemble.Config) (*ingest.Handler, error) {
	c, err := assemble.NewVaultStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sealer, err := newSealer(ctx, c)
	if err != nil {
		return nil, err
	}
	// Results an officer PUT by presigned URL land under intake/ too: read
	// in the isolated child, one at a time, as the api function reads those
	// sent to it.
	ports := assemble.Ports{Sealer: sealer, Results: pdfdoor.New(pdfdoor.DefaultLimits(), 1)}
	if cfg.OCRFunction != "" {
		if ports.Extractor, err = newExtractor(c); err != nil {
			return nil, err
		}
		// Long components are read after VALIDATED by OCR jobs on their own
		// queue, which this function consumes too (Handler.OCR).
		ports.Queue = sqs.New(c.AWS.SQS(), map[string]sqs.Topic{dossier.TopicOCR: {URL: cfg.OCRQueueURL}}, c.Table)
	} else {
		c.Log.Warn("no OCR function configured (" + assemble.EnvOCRFunction + "): components carry no text layer and ID cards are not read")
	}
	a, err := c.Build(ctx, ports)
	if err != nil {
		return nil, err
	}
	client := c.AWS.SQS()
	h := &ingest.Handler{Dossiers: a.Dossiers, Log: c.Log, Backoff: func(ctx context.Context, source, handle string, attempts int) error {
		return sqs.Backoff(ctx, client, source, handle, attempts)
	}}
	if ports.Extractor != nil {
		h.OCR, h.OCRQueue = a.Dossiers, cfg.OCRQueueURL
	}
	return h, nil
}

// newExtractor returns the extractor of the local stack with the OCR
// function as its reader: the CCCD and the short components are read during
// ingestion, long ones by the OCR jobs, each in page ranges of invocations
// of SOHOA_OCR_FUNCTION.
func newExtractor(c *assemble.VaultStores) (dossier.Extractor, error) {
	per := c.Config.OCRPagesPerCall
	if per > lambdaocr.MaxPages {
		return nil, fmt.Errorf("%s=%d: the OCR function reads at most %d pages an invocation", assemble.EnvOCRPagesPerCall, per, lambdaocr.MaxPages)
	}
	client := lambda.NewFromConfig(c.AWS.SDK(), func(o *lambda.Options) { o.BaseEndpoint = assemble.Endpoint(c.Config.Endpoints.Lambda) })
	font, err := pdffont.NewFont()
	if err != nil {
		return nil, err
	}
	reader := &lambdaocr.Client{Lambda: client, Function: c.Config.OCRFunction, Bucket: c.Dossier, PagesPerCall: per}
	return extract.New(reader, stamp.NewStamper(font)), nil
}

// newSealer returns the certifier of digitized components: the conversion
// mark, then the agency seal made by the asymmetric KMS key SOHOA_SEAL_KEY_ID
// with the certificate chain in assemble.SealChainKey. Nil when no seal key is
// configured: components then stay uncertified (certified: false on the
// dossier), loudly.
func newSealer(ctx context.Context, c *assemble.VaultStores) (dossier.Sealer, error) {
	keyID := c.Config.SealKeyID
	if keyID == "" {
		c.Log.Warn("no seal key configured: digitized components are not certified")
		return nil, nil
	}
	chain, err := c.Chain(ctx, assemble.SealChainKey)
	if errs.Is(err, errs.NotFound) {
		return nil, fmt.Errorf("the seal key is set but %s is missing: %w", assemble.SealChainKey, err)
	}
	if err != nil {
		return nil, err
	}
	client := awskms.NewFromConfig(c.AWS.SDK(), func(o *awskms.Options) { o.BaseEndpoint = assemble.Endpoint(c.Config.Endpoints.KMS) })
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
