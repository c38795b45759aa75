package main

import (
	"context"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
)

var quiet = slog.New(slog.DiscardHandler)

func sqsMsg(id, body string, receives string) events.SQSMessage {
	return events.SQSMessage{MessageId: id, Body: body, Attributes: map[string]string{"ApproximateReceiveCount": receives}}
}

// fakeJobs records the jobs run and fails as told.
type fakeJobs struct {
	err  error
	jobs []dossier.SignJobMessage
}

func (f *fakeJobs) RunSignJob(_ context.Context, m dossier.SignJobMessage) error {
	f.jobs = append(f.jobs, m)
	return f.err
}

func TestSignerRetries(t *testing.T) {
	job := `{"job":"j1","otp":"123456"}`
	tests := []struct {
		name      string
		err       error
		body      string
		receives  string
		wantRetry bool
		wantRun   bool
	}{
		{"done", nil, job, "1", false, true},
		{"interrupted", errs.E(errs.Unavailable, "503"), job, "1", true, true},
		{"interrupted, last delivery", errs.E(errs.Unavailable, "503"), job, "5", false, true},
		{"malformed", nil, `{"job":`, "1", false, false},
		{"no job", nil, `{"otp":"1"}`, "1", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeJobs{err: tt.err}
			h := &Signer{Jobs: f, Log: quiet}
			resp, _ := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{sqsMsg("m", tt.body, tt.receives)}})
			if got := len(resp.BatchItemFailures) == 1; got != tt.wantRetry {
				t.Fatalf("retry %v, want %v", got, tt.wantRetry)
			}
			if ran := len(f.jobs) == 1; ran != tt.wantRun {
				t.Fatalf("ran %v, want %v", ran, tt.wantRun)
			}
			if tt.wantRun && (f.jobs[0].Job != "j1" || f.jobs[0].OTP != "123456") {
				t.Fatalf("job %+v", f.jobs[0])
			}
		})
	}
}
