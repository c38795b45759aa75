package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/sohoa/sohoa/functions/internal/assemble"
	"github.com/sohoa/sohoa/functions/internal/remotesign"
	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/aws/s3"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/domain/report"
	"github.com/sohoa/sohoa/pkg/domain/signing"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pdfdoor"
	"github.com/sohoa/sohoa/pkg/web"
)

// handler is the api function's handler: API Gateway HTTP API (payload 2.0)
// events through the same router as the local stack.
type handler func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// newHandler builds the whole HTTP API over AWS.
//
// A new dossier's upload URL is a presigned S3 PUT to dossier.NewIntakeKey
// (Lambda caps a request at 6 MB; scans are larger): the intake bucket's
// ObjectCreated event then drives the ingest function.
func newHandler(ctx context.Context, cfg assemble.Config) (handler, error) {
	c, err := assemble.NewVaultStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// Files are handed out as presigned S3 URLs, and results may be uploaded
	// by one: Lambda answers at most 6 MB and takes at most 6 MB.
	p := assemble.Ports{Queue: c.APIQueue(), Links: true}
	var apiSigning sohoaapi.Signing
	sg, err := remotesign.New(ctx, cfg, c.Roots, c.Table)
	switch {
	case err == nil:
		p.Signer, apiSigning = signing.ForDossiers(sg), sohoaapi.SigningService(sg)
	case errs.Is(err, errs.NotFound):
		c.Log.Warn("no remote signing provider: results cannot be signed", "err", err)
	default:
		return nil, err
	}
	a, err := c.Build(ctx, p)
	if err != nil {
		return nil, err
	}
	// The statistics read the index the notify function keeps from the
	// status-change events, in the same table.
	reports, err := report.New(report.Config{Source: report.NewIndex(c.Table), Dossiers: a.Dossiers,
		Calendar: a.Calendar, ProcessingDays: a.Catalog.ProcessingDays})
	if err != nil {
		return nil, err
	}
	// Uploaded results and PDFs posted for verification are read in the
	// isolated child (assemble.Main starts it first), which shares the function's
	// 1024 MB and API Gateway's 29 s: one at a time, 512 MB, 20 s.
	rootCerts, err := c.Chain(ctx, assemble.TrustRootsKey)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return nil, err
	}
	pdfLim := pdfdoor.DefaultLimits()
	pdfLim.Timeout, pdfLim.MaxMemory = 20*time.Second, 512<<20
	door := pdfdoor.New(pdfLim, 1)
	apiCfg := sohoaapi.Config{
		Dossiers: a.Dossiers, Vault: a.Vault, Catalog: a.Catalog, Auth: GatewayAuth{}, Documents: sohoaapi.Printed{},
		Signing: apiSigning, Verifier: sohoaapi.IsolatedVerifier{Roots: rootCerts, Door: door},
		Results: sohoaapi.IsolatedResults{Door: door},
		// An instance serves one request at a time: one verification or
		// result check, the same for the API and the pages.
		Admission: sohoaapi.NewAdmission(1, 1),
		UploadURL: func(ctx context.Context, d *dossier.Dossier) (string, time.Time, error) {
			u, err := s3.PresignPut(ctx, c.Dossier, dossier.NewIntakeKey(d.ID), s3.MaxPresignExpiry)
			return u, time.Now().Add(s3.MaxPresignExpiry), err
		}, Inbox: notify.NewInbox(c.Table),
		BaseURL: cfg.BaseURL, Log: c.Log, Metrics: assemble.Metrics("api"),
		Ready: a.Ready, Search: a.Search, Reports: reports,
	}
	sessions, err := c.Sessions(ctx)
	if err != nil {
		return nil, err
	}
	staff, err := c.Staff(ctx)
	if err != nil {
		return nil, err
	}
	if apiCfg.Pages, err = Pages(apiCfg, cfg, sessions, web.PeopleOf(staff.People())); err != nil {
		return nil, err
	}
	return httpadapter.NewV2(sohoaapi.New(apiCfg)).ProxyWithContext, nil
}
