package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sohoa/sohoa/functions/internal/remotesign"
	"github.com/sohoa/sohoa/functions/internal/wire"
	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/identity"
	"github.com/sohoa/sohoa/pkg/signing"
)

// SignJob is a batch-signing job on the sign queue: an officer's results to
// sign under one authorization. It belongs with pkg/dossier (and an API route
// that queues it); until then it is declared here, where it is consumed.
type SignJob struct {
	Officer      identity.Actor `json:"officer"`
	DossierIDs   []string       `json:"dossierIds"`
	CredentialID string         `json:"credentialId"`
	OTP          string         `json:"otp"`
}

// BatchSigner is what the signer function needs of the dossier service.
type BatchSigner interface {
	SignBatch(ctx context.Context, a identity.Actor, ids []string, credentialID, otp string) ([]dossier.BatchOutcome, error)
}

// Signer handles the sign queue. An OTP authorizes one signHash call, so a
// job is retried only when the provider could not be reached (errs.Unavailable)
// before anything was signed; a refused OTP or a bad job is dropped and
// logged, and each dossier's own failure is on its outcome (it stays
// APPROVED, unsigned).
type Signer struct {
	Dossiers   BatchSigner
	MaxReceive int
	Log        *slog.Logger
}

// newHandler builds the signer function's handler over AWS.
func newHandler(ctx context.Context, cfg wire.Config) (*Signer, error) {
	c, err := wire.NewBase(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sg, err := remotesign.New(cfg, c.Roots)
	if err != nil {
		return nil, err
	}
	a, err := c.Build(ctx, wire.Ports{Vault: c.VaultBucket, Signer: signing.ForDossiers(sg)})
	if err != nil {
		return nil, err
	}
	return &Signer{Dossiers: a.Dossiers, MaxReceive: cfg.MaxReceive, Log: c.Log}, nil
}

// Handle implements the function.
func (h *Signer) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range ev.Records {
		if h.one(ctx, m) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// one runs a job and reports whether it should be delivered again.
func (h *Signer) one(ctx context.Context, m events.SQSMessage) (retry bool) {
	var j SignJob
	if err := json.Unmarshal([]byte(m.Body), &j); err != nil || len(j.DossierIDs) == 0 {
		h.Log.Error("dropping a malformed sign job", "message", m.MessageId, "err", err)
		return false
	}
	out, err := h.Dossiers.SignBatch(ctx, j.Officer, j.DossierIDs, j.CredentialID, j.OTP)
	if err != nil {
		attempts, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
		retry = errs.Is(err, errs.Unavailable) && attempts < h.MaxReceive
		h.Log.Error("sign job failed", "message", m.MessageId, "officer", j.Officer.Label(),
			"dossiers", len(j.DossierIDs), "retry", retry, "err", err)
		return retry
	}
	signed := 0
	for _, o := range out {
		if o.Error != "" {
			h.Log.Warn("result not signed", "dossier", o.DossierID, "err", o.Error)
			continue
		}
		signed++
	}
	h.Log.Info("sign job done", "message", m.MessageId, "signed", signed, "of", len(out))
	return false
}
