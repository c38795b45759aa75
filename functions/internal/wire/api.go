package wire

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/notify"
)

// APIHandler is the api function's handler: API Gateway HTTP API (payload
// 2.0) events through the same router as the local stack.
type APIHandler func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// API builds the whole HTTP API over AWS.
//
// Scans are uploaded through PUT /v1/dossiers/{id}/scan (API Gateway caps a
// request at 10 MB); a presigned S3 PUT to dossier.NewIntakeKey needs a hook
// in pkg/api that does not exist yet.
func API(ctx context.Context, env Env) (APIHandler, error) {
	c, err := NewCore(ctx, env, Logger())
	if err != nil {
		return nil, err
	}
	v, err := c.Vault(ctx)
	if err != nil {
		return nil, err
	}
	roots, err := c.Roots(ctx)
	if err != nil {
		return nil, err
	}
	sg, err := c.Signing(roots)
	if err != nil {
		return nil, err
	}
	o := DossierOptions{Vault: v, Queue: c.IngestQueue()}
	var apiSigning sohoaapi.Signing
	if sg != nil {
		o.Signer, apiSigning = ResultSigner{sg}, APISigning{sg}
	}
	ds, err := c.Dossiers(o)
	if err != nil {
		return nil, err
	}
	h := sohoaapi.New(sohoaapi.Config{
		Dossiers: ds, Vault: v, Catalog: c.Catalog, Auth: GatewayAuth{}, Documents: Documents{},
		Signing: apiSigning, Verifier: Verifier{Roots: roots}, Inbox: notify.NewInbox(c.Table),
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
