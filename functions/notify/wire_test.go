package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/errs"
)

var quiet = slog.New(slog.DiscardHandler)

func streamRecord(seq, pk string, ev *dossier.StatusChanged) events.DynamoDBEventRecord {
	img := map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute(pk)}
	if ev != nil {
		b, _ := json.Marshal(ev)
		img["Data"] = events.NewBinaryAttribute(b)
	}
	return events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{SequenceNumber: seq, NewImage: img}}
}

func TestNotifyHandle(t *testing.T) {
	var seen []string
	fail := map[string]error{"d3": errors.New("SES throttled"), "d2": errs.E(errs.Invalid, "no agency")}
	h := &Notify{Log: quiet, Handlers: []notify.Handler{func(_ context.Context, ev dossier.StatusChanged) error {
		seen = append(seen, ev.DossierID)
		return fail[ev.DossierID]
	}}}
	resp, err := h.Handle(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		streamRecord("1", dossier.EventsPK, &dossier.StatusChanged{DossierID: "d1"}),
		streamRecord("2", "DOSSIER#d9", &dossier.StatusChanged{DossierID: "d9"}),
		streamRecord("3", dossier.EventsPK, nil),
		streamRecord("4", dossier.EventsPK, &dossier.StatusChanged{DossierID: "d2"}),
		streamRecord("5", dossier.EventsPK, &dossier.StatusChanged{DossierID: "d3"}),
		streamRecord("6", dossier.EventsPK, &dossier.StatusChanged{DossierID: "d4"}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "5" {
		t.Fatalf("failures %+v, want only sequence 5 (Lambda retries from it)", resp.BatchItemFailures)
	}
	if !slices.Equal(seen, []string{"d1", "d2", "d3"}) {
		t.Fatalf("handled %v", seen)
	}
}
