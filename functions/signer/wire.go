package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sohoa/sohoa/functions/internal/assemble"
	"github.com/sohoa/sohoa/functions/internal/remotesign"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/signing"
)

// JobRunner is what the signer function needs of the dossier service.
type JobRunner interface {
	RunSignJob(ctx context.Context, m dossier.SignJobMessage) error
}

// Signer handles the sign queue: each message is a sign job the API queued
// (POST /v1/agency/sign-batch). A job that fails is delivered again until
// the queue's maxReceiveCount; RunSignJob resumes it where it stopped,
// without the code once the signature values are kept, and records every
// dossier's outcome on the job.
type Signer struct {
	Jobs       JobRunner
	MaxReceive int
	Log        *slog.Logger
}

// newHandler builds the signer function's handler over AWS.
func newHandler(ctx context.Context, cfg assemble.Config) (*Signer, error) {
	c, err := assemble.NewVaultStores(ctx, cfg)
	if err != nil {
		return nil, err
	}
	sg, err := remotesign.New(ctx, cfg, c.Roots, c.Table)
	if err != nil {
		return nil, err
	}
	a, err := c.Build(ctx, assemble.Ports{Signer: signing.ForDossiers(sg)})
	if err != nil {
		return nil, err
	}
	return &Signer{Jobs: a.Dossiers, MaxReceive: cfg.MaxReceive, Log: c.Log}, nil
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
	var j dossier.SignJobMessage
	if err := json.Unmarshal([]byte(m.Body), &j); err != nil || j.Job == "" {
		h.Log.Error("dropping a malformed sign job", "message", m.MessageId, "err", err)
		return false
	}
	if err := h.Jobs.RunSignJob(ctx, j); err != nil {
		attempts, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
		retry = attempts < h.MaxReceive
		h.Log.Error("sign job interrupted", "message", m.MessageId, "job", j.Job, "retry", retry, "err", err)
		return retry
	}
	return false
}
