package wire

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	yaml "go.yaml.in/yaml/v3"

	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/identity"
	"github.com/sohoa/sohoa/pkg/notify"
	"github.com/sohoa/sohoa/pkg/queue"
)

var quiet = slog.New(slog.DiscardHandler)

func TestActorFromClaims(t *testing.T) {
	tests := []struct {
		name   string
		claims map[string]string
		want   identity.Actor
		kind   errs.Kind
	}{
		{"clerk by group", map[string]string{"sub": "u1", "cognito:groups": "[postal_clerk]", "name": "Mai", "custom:post_office": "BC Hoàn Kiếm", "custom:agency": "x"},
			identity.Actor{Subject: "u1", Role: identity.Clerk, Name: "Mai", PostOffice: "BC Hoàn Kiếm"}, errs.Internal},
		{"officer with agency", map[string]string{"sub": "u2", "cognito:groups": "[agency_officer other]", "custom:agency": "000.21.29.H29"},
			identity.Actor{Subject: "u2", Role: identity.Officer, Agency: "000.21.29.H29"}, errs.Internal},
		{"officer without agency", map[string]string{"sub": "u2", "cognito:groups": "agency_officer"}, identity.Actor{}, errs.Forbidden},
		{"citizen by ID claim", map[string]string{"sub": "uuid", "cognito:groups": "[citizen]", "custom:citizen_id": "001203012345"},
			identity.Actor{Subject: "001203012345", Role: identity.Citizen}, errs.Internal},
		{"citizen without ID", map[string]string{"sub": "uuid", "cognito:groups": "[citizen]"}, identity.Actor{}, errs.Unauthorized},
		{"role claim wins", map[string]string{"sub": "u3", "custom:role": "auditor", "cognito:groups": "[citizen]"},
			identity.Actor{Subject: "u3", Role: identity.Auditor}, errs.Internal},
		{"two role groups", map[string]string{"sub": "u4", "cognito:groups": "[auditor postal_clerk]"}, identity.Actor{}, errs.Forbidden},
		{"same group twice", map[string]string{"sub": "u4", "cognito:groups": "auditor,auditor"}, identity.Actor{Subject: "u4", Role: identity.Auditor}, errs.Internal},
		{"no role", map[string]string{"sub": "u5", "cognito:groups": "[admins]"}, identity.Actor{}, errs.Forbidden},
		{"unknown role claim", map[string]string{"sub": "u5", "custom:role": "root"}, identity.Actor{}, errs.Forbidden},
		{"no subject", map[string]string{"cognito:groups": "[auditor]"}, identity.Actor{}, errs.Unauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ActorFromClaims(tt.claims)
			if tt.kind != errs.Internal { // Internal: no error expected
				if !errs.Is(err, tt.kind) {
					t.Fatalf("err %v, want kind %s", err, tt.kind)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	env := map[string]string{EnvTable: "t", EnvDossierBucket: "d"}
	if _, err := Load("ingest", func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), EnvVaultBucket) {
		t.Fatalf("missing %s: %v", EnvVaultBucket, err)
	}
	env[EnvVaultBucket], env[EnvMaxReceive], env[EnvCSCURL] = "v", "7", "https://not-read"
	e, err := Load("ingest", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := e.MaxReceive(5); n != 7 || e.Get(EnvCSCURL) != "" {
		t.Fatalf("max receive %d, undeclared variable read as %q", n, e.Get(EnvCSCURL))
	}
	env[EnvMaxReceive] = "zero"
	if e, _ := Load("ingest", func(k string) string { return env[k] }); e.fn != "" {
		if _, err := e.MaxReceive(5); err == nil {
			t.Fatal("a non-numeric max receive count is accepted")
		}
	}
	if _, err := Load("nope", os.Getenv); err == nil {
		t.Fatal("an unknown function loads")
	}
}

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
	h := &Ingest{Dossiers: f, MaxReceive: 5, Log: quiet}
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
		streamRecord("1", EventsPK, &dossier.StatusChanged{DossierID: "d1"}),
		streamRecord("2", "DOSSIER#d9", &dossier.StatusChanged{DossierID: "d9"}),
		streamRecord("3", EventsPK, nil),
		streamRecord("4", EventsPK, &dossier.StatusChanged{DossierID: "d2"}),
		streamRecord("5", EventsPK, &dossier.StatusChanged{DossierID: "d3"}),
		streamRecord("6", EventsPK, &dossier.StatusChanged{DossierID: "d4"}),
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

func TestPreviousDay(t *testing.T) {
	// 00:05 in Hanoi on 24 Nov is 17:05 UTC on 23 Nov: the report is of 23 Nov.
	from, to := PreviousDay(time.Date(2026, 11, 23, 17, 5, 0, 0, time.UTC))
	if from.Format(time.DateOnly) != "2026-11-23" || to.Sub(from) != 24*time.Hour || from.UTC().Hour() != 17 {
		t.Fatalf("from %v to %v", from, to)
	}
}

// TestEventsDecode checks that every sample in events/ decodes as the event
// type of the function that receives it, as Lambda would decode it.
func TestEventsDecode(t *testing.T) {
	files, err := filepath.Glob("../../../events/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no events: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		switch filepath.Base(filepath.Dir(f)) {
		case "api":
			var ev events.APIGatewayV2HTTPRequest
			err = json.Unmarshal(b, &ev)
			n = len(ev.RawPath)
		case "ingest", "signer":
			var ev events.SQSEvent
			err = json.Unmarshal(b, &ev)
			n = len(ev.Records)
		case "notify":
			var ev events.DynamoDBEvent
			err = json.Unmarshal(b, &ev)
			n = len(ev.Records)
			for _, r := range ev.Records {
				if d, ok := r.Change.NewImage["Data"]; ok && r.Change.NewImage["PK"].String() == EventsPK {
					var sc dossier.StatusChanged
					if err := json.Unmarshal(d.Binary(), &sc); err != nil || sc.DossierID == "" {
						t.Errorf("%s: Data is not a StatusChanged: %v", f, err)
					}
				}
			}
		case "report":
			var ev events.EventBridgeEvent
			err = json.Unmarshal([]byte(strings.ReplaceAll(string(b), "${SCHEDULE_TIME}", "2026-11-23T17:05:00Z")), &ev)
			n = len(ev.DetailType)
		case "s3":
			var ev events.S3Event
			err = json.Unmarshal(b, &ev)
			n = len(ev.Records)
		default:
			t.Errorf("%s: no function reads events/%s", f, filepath.Base(filepath.Dir(f)))
			continue
		}
		if err != nil || n == 0 {
			t.Errorf("%s: %v (empty: %v)", f, err, n == 0)
		}
	}
}

// TestTemplateEnvironment checks infra/template.yaml against Vars: each
// function gets every variable it requires and none it does not read.
func TestTemplateEnvironment(t *testing.T) {
	b, err := os.ReadFile("../../../infra/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				CodeUri     string `yaml:"CodeUri"`
				PackageType string `yaml:"PackageType"`
				Environment struct {
					Variables map[string]yaml.Node `yaml:"Variables"`
				} `yaml:"Environment"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &tpl); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Serverless::Function" || r.Properties.PackageType == "Image" {
			continue // container images (infra/ocr) read their own environment, not wire's
		}
		fn := strings.TrimSuffix(strings.TrimPrefix(r.Properties.CodeUri, "build/"), ".zip")
		vars, ok := Vars[fn]
		if !ok {
			t.Errorf("%s deploys %q, which wire does not know", id, fn)
			continue
		}
		seen[fn] = true
		var got []string
		for k := range r.Properties.Environment.Variables {
			got = append(got, k)
			if !Declared(fn, k) {
				t.Errorf("%s: the template sets %s, which the %s function does not read", id, k, fn)
			}
		}
		sort.Strings(got)
		for _, v := range vars {
			if v.Required && !slices.Contains(got, v.Name) {
				t.Errorf("%s: the %s function requires %s; the template does not set it", id, fn, v.Name)
			}
		}
	}
	for fn := range Vars {
		if !seen[fn] {
			t.Errorf("function %s is not in the template", fn)
		}
	}
}
