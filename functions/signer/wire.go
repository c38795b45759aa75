package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sohoa/sohoa/functions/internal/assemble"
	"github.com/sohoa/sohoa/functions/internal/remotesign"
	"github.com/sohoa/sohoa/pkg/aws/sqs"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/signing"
	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/queue"
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
	Jobs JobRunner
	// Backoff postpones a failed job's next delivery (sqs.Backoff); nil:
	// the queue's visibility timeout.
	Backoff func(ctx context.Context, source, handle string, attempts int) error
	Log     *slog.Logger
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
	client := c.AWS.SQS()
	return &Signer{Jobs: a.Dossiers, Log: c.Log, Backoff: func(ctx context.Context, source, handle string, attempts int) error {
		return sqs.Backoff(ctx, client, source, handle, attempts)
	}}, nil
}

// Handle implements the function.
func (h *Signer) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range ev.Records {
		mctx := logctx.WithRequest(ctx, m.MessageId)
		if !h.one(mctx, m) {
			continue
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		if h.Backoff != nil {
			attempts, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
			if err := h.Backoff(mctx, m.EventSourceARN, m.ReceiptHandle, max(attempts, 1)); err != nil {
				h.Log.WarnContext(mctx, "could not set the retry delay; the queue's visibility timeout applies", "err", err)
			}
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
		retry = !queue.LastAttempt(attempts)
		h.Log.Error("sign job interrupted", "message", m.MessageId, "job", j.Job, "retry", retry, "err", err)
		return retry
	}
	return false
}
