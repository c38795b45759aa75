package main

import (
	"context"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/identity"
)

var quiet = slog.New(slog.DiscardHandler)

func sqsMsg(id, body string, receives string) events.SQSMessage {
	return events.SQSMessage{MessageId: id, Body: body, Attributes: map[string]string{"ApproximateReceiveCount": receives}}
}

type fakeSigner struct {
	err   error
	calls int
}

func (f *fakeSigner) SignBatch(_ context.Context, _ identity.Actor, ids []string, _, _ string) ([]dossier.BatchOutcome, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return []dossier.BatchOutcome{{DossierID: ids[0], DocumentID: "doc"}}, nil
}

func TestSignerRetries(t *testing.T) {
	job := `{"officer":{"sub":"o","role":"agency_officer","agency":"a"},"dossierIds":["d1"],"credentialId":"c","otp":"1"}`
	tests := []struct {
		name      string
		err       error
		body      string
		receives  string
		wantRetry bool
	}{
		{"signed", nil, job, "1", false},
		{"provider down", errs.E(errs.Unavailable, "503"), job, "1", true},
		{"provider down, last delivery", errs.E(errs.Unavailable, "503"), job, "5", false},
		{"wrong OTP", errs.E(errs.Forbidden, "otp"), job, "1", false},
		{"malformed", nil, `{"officer":`, "1", false},
		{"no dossiers", nil, `{"officer":{},"dossierIds":[]}`, "1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Signer{Dossiers: &fakeSigner{err: tt.err}, MaxReceive: 5, Log: quiet}
			resp, _ := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{sqsMsg("m", tt.body, tt.receives)}})
			if got := len(resp.BatchItemFailures) == 1; got != tt.wantRetry {
				t.Fatalf("retry %v, want %v", got, tt.wantRetry)
			}
		})
	}
}
