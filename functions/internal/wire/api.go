package wire

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/notify"
	"github.com/sohoa/sohoa/pkg/s3"
	"github.com/sohoa/sohoa/pkg/scan"
	"github.com/sohoa/sohoa/pkg/signing"
)

// APIHandler is the api function's handler: API Gateway HTTP API (payload
// 2.0) events through the same router as the local stack.
type APIHandler func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// API builds the whole HTTP API over AWS.
//
// A new dossier's upload URL is a presigned S3 PUT to dossier.NewIntakeKey
// (Lambda caps a request at 6 MB; scans are larger): the intake bucket's
// ObjectCreated event then drives the ingest function.
func API(ctx context.Context, env Env) (APIHandler, error) {
	c, err := NewBase(ctx, env)
	if err != nil {
		return nil, err
	}
	v, roots := c.Vault, c.Roots
	sg, err := c.Signing(roots)
	if err != nil {
		return nil, err
	}
	o := DossierOptions{Vault: v, Queue: c.IngestQueue()}
	var apiSigning sohoaapi.Signing
	if sg != nil {
		o.Signer, apiSigning = signing.ForDossiers(sg), sohoaapi.SigningService(sg)
	}
	ds, err := c.Dossiers(o)
	if err != nil {
		return nil, err
	}
	rootCerts, err := c.RootCerts(ctx)
	if err != nil {
		return nil, err
	}
	// The PDF child shares the function's 1024 MB and API Gateway's 29 s.
	pdfLim := scan.DefaultPDFLimits()
	pdfLim.Timeout, pdfLim.MaxMemory = 20*time.Second, 512<<20
	door := scan.NewPDFDoor(pdfLim, 1) // a container serves one request at a time
	h := sohoaapi.New(sohoaapi.Config{
		Dossiers: ds, Vault: v, Catalog: c.Catalog, Auth: GatewayAuth{}, Documents: sohoaapi.Printed{},
		Signing: apiSigning, Verifier: sohoaapi.IsolatedVerifier{Roots: rootCerts, Door: door},
		Results: sohoaapi.IsolatedResults{Door: door},
		UploadURL: func(ctx context.Context, d *dossier.Dossier) (string, time.Time, error) {
			u, err := s3.PresignPut(ctx, c.Dossier, dossier.NewIntakeKey(d.ID), s3.MaxPresignExpiry)
			return u, time.Now().Add(s3.MaxPresignExpiry), err
		}, Inbox: notify.NewInbox(c.Table),
		BaseURL: env.Get(EnvBaseURL), Log: c.Log,
		Ready: func(ctx context.Context) error {
			if _, err := c.Table.Get(ctx, "HEALTH", "HEALTH"); err != nil && !errs.Is(err, errs.NotFound) {
				return err
			}
			return nil
		},
	})
	return httpadapter.NewV2(h).ProxyWithContext, nil
}
