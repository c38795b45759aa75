package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/port/queue"
)

var quiet = slog.New(slog.DiscardHandler)

// fakeIntake records the calls of the ingest handler.
type fakeIntake struct {
	keys []string
	last []bool
	jobs []queue.Message
	fail map[string]error
}

func (f *fakeIntake) AcceptStoredScan(_ context.Context, key string, last bool) error {
	f.keys, f.last = append(f.keys, key), append(f.last, last)
	return f.fail[key]
}

func (f *fakeIntake) RunIngest(_ context.Context, m queue.Message) error {
	f.jobs = append(f.jobs, m)
	return nil
}

func sqsMsg(id, body string, receives string) events.SQSMessage {
	return events.SQSMessage{MessageId: id, Body: body, Attributes: map[string]string{"ApproximateReceiveCount": receives}}
}

func s3Body(t *testing.T, eventName string, keys ...string) string {
	t.Helper()
	var ev events.S3Event
	for _, k := range keys {
		var r events.S3EventRecord
		r.EventName = eventName
		r.S3.Object.Key = url.QueryEscape(k)
		ev.Records = append(ev.Records, r)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIngestHandle(t *testing.T) {
	f := &fakeIntake{fail: map[string]error{"intake/d2/b": errors.New("DynamoDB throttled")}}
	h := &Handler{Dossiers: f, MaxReceive: 5, Log: quiet}
	job, _ := json.Marshal(dossier.IngestJob{DossierID: "d3", ScanKey: "scans/d3/1-ab"})
	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		sqsMsg("m1", s3Body(t, "ObjectCreated:Put", "intake/d1/a b"), "1"),
		sqsMsg("m2", s3Body(t, "ObjectCreated:CompleteMultipartUpload", "intake/d2/b"), "5"),
		sqsMsg("m3", `{"Service":"Amazon S3","Event":"s3:TestEvent"}`, "1"),
		sqsMsg("m4", "not json", "1"),
		sqsMsg("m5", s3Body(t, "ObjectRemoved:Delete", "intake/d4/c"), "1"),
		sqsMsg("m6", string(job), "3"),
		sqsMsg("m7", s3Body(t, "s3:ObjectCreated:Put", "intake/d5/e"), "2"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m2" {
		t.Fatalf("failures %+v, want only m2", resp.BatchItemFailures)
	}
	if !slices.Equal(f.keys, []string{"intake/d1/a b", "intake/d2/b", "intake/d5/e"}) || !slices.Equal(f.last, []bool{false, true, false}) {
		t.Fatalf("accepted %q with last %v", f.keys, f.last)
	}
	if len(f.jobs) != 1 || f.jobs[0].Attempts != 3 || f.jobs[0].Topic != dossier.TopicIngest {
		t.Fatalf("jobs %+v", f.jobs)
	}
}

// TestObjectCreatedRoundTrip: the event the local stack makes for a stored
// scan is the one S3 sends, and the handler takes it as S3's: the key comes
// back decoded, on the delivery count given.
func TestObjectCreatedRoundTrip(t *testing.T) {
	for _, key := range []string{"intake/d1/ab12", "intake/d 2/x+y"} {
		f := &fakeIntake{}
		h := &Handler{Dossiers: f, MaxReceive: 5, Log: quiet}
		if err := h.HandleMessage(context.Background(), "m1", ObjectCreated("local", key), 5); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(f.keys, []string{key}) || !slices.Equal(f.last, []bool{true}) {
			t.Fatalf("%q: accepted %q, last %v", key, f.keys, f.last)
		}
		f.fail = map[string]error{key: errors.New("vault down")}
		if err := h.HandleMessage(context.Background(), "m2", ObjectCreated("local", key), 1); err == nil {
			t.Fatalf("%q: a failing ingestion is not reported", key)
		}
	}
}
