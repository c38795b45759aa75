package lambdatest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// The dossier the API event creates (events/api/create-dossier.json).
const (
	citizenID = "001203012345"
	agency    = "000.21.29.H29"
	officerID = "officer-hotich-sub"
)

// apiWant is the status each events/api file must get, in the state the test
// puts the stack in; a file without an entry fails the test.
var apiWant = map[string]int{
	"create-dossier.json":            http.StatusCreated,
	"get-dossier.json":               http.StatusOK,
	"get-dossier-other-citizen.json": http.StatusNotFound,
	"get-dossier-forged-header.json": http.StatusUnauthorized,
	"agency-queue.json":              http.StatusOK,
	"procedures.json":                http.StatusOK,
	"track.json":                     http.StatusOK,
	"healthz.json":                   http.StatusOK,
	// The web pages, served by the same function.
	"page-landing.json": http.StatusOK,
	"page-track.json":   http.StatusOK,
	"page-me.json":      http.StatusOK, // a citizen's session cookie (pageSession)
	"page-stats.json":   http.StatusOK, // an auditor's session cookie: the reports service is wired
}

// TestFunctions drives the real bootstrap of every function through the
// Runtime API with every file in events/, against MinIO, DynamoDB Local,
// fauxqs and the SES server: a clerk creates a dossier through the api
// function, a scan put into the intake bucket reaches VALIDATED through the
// ingest function (its S3 event delivered twice), the stream consumer
// notifies once per event however often it is delivered, the report function
// writes the day's report, and the signer drops jobs it cannot run.
func TestFunctions(t *testing.T) {
	need(t)
	st := newStack(t)
	ctx := context.Background()
	// The staff directory the notify function reads at init.
	st.putObject(t, st.dossierBkt, "config/directory.json", []byte(`{"officers":[{"id":"`+officerID+
		`","name":"Nguyễn Thị Lĩnh","agency":"`+agency+`","email":"linh.nguyen@hotich.example.vn"}]}`), "application/json")

	fns := map[string]*Function{}
	var inits []string
	for _, name := range Functions {
		f, err := Start(ctx, name, h.bins[name], st.env(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(f.Stop)
		fns[name] = f
		inits = append(inits, fmt.Sprintf("%s %v", name, f.Init.Round(100*time.Microsecond)))
	}
	t.Logf("init (process start to first /next): %s", strings.Join(inits, ", "))

	vars := map[string]string{"DOSSIER_BUCKET": st.dossierBkt, "SESSION": pageSession(t, st),
		"AUDITOR_SESSION": pageSessionOf(t, st, identity.Actor{Subject: "kiemtoan-01", Role: identity.Auditor, Name: "Lê Văn Kiểm"})}

	// api: a clerk opens the dossier; every other request sees it.
	created := apiCall(t, fns["api"], load(t, filepath.Join(h.root, "events/api/create-dossier.json"), vars), http.StatusCreated)
	var c struct{ ID, Code string }
	if err := json.Unmarshal(created, &c); err != nil || c.ID == "" || c.Code == "" {
		t.Fatalf("create: %s (%v)", created, err)
	}
	vars["DOSSIER_ID"], vars["DOSSIER_CODE"] = c.ID, c.Code
	for _, file := range eventFiles(t, "api") {
		name := filepath.Base(file)
		want, ok := apiWant[name]
		if !ok {
			t.Errorf("events/api/%s has no expected status in apiWant", name)
			continue
		}
		if name == "create-dossier.json" {
			continue // done above; a POST is not redelivered by API Gateway
		}
		payload := load(t, file, vars)
		first := apiCall(t, fns["api"], payload, want)
		second := apiCall(t, fns["api"], payload, want)
		if (name == "track.json" || name == "page-track.json") && (strings.Contains(string(first), "Nguyễn") || strings.Contains(string(first), citizenID)) {
			t.Errorf("public tracking shows personal data: %s", first)
		}
		if name == "page-me.json" && !strings.Contains(string(first), "Kho giấy tờ của tôi") {
			t.Errorf("the signed-in page is not the citizen's vault:\n%s", first)
		}
		if name == "page-track.json" && !strings.Contains(string(first), c.Code) {
			t.Errorf("the tracking page does not show %s:\n%s", c.Code, first)
		}
		if want == http.StatusOK && name != "healthz.json" && string(first) != string(second) {
			t.Errorf("%s: a repeated GET answered differently:\n%s\n%s", name, first, second)
		}
	}
	if d, _ := st.dossier(t, c.ID); d.Status != dossier.Received {
		t.Fatalf("after the API events the dossier is %s, want RECEIVED", d.Status)
	}

	// ingest: the scan goes into the intake bucket; its S3 event, through
	// the ingest queue, reaches the function twice.
	scanPDF, err := scantest.Dossier(scantest.Spec{Seed: 7, Sheets: []scantest.Sheet{
		scantest.Separator("TKKS", "Tờ khai đăng ký khai sinh"), scantest.Text("Tờ khai trang 1"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước công dân"), scantest.Text("CCCD mặt trước"), scantest.Text("CCCD mặt sau"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	key := dossier.NewIntakeKey(c.ID)
	vars["INTAKE_NAME"] = key[strings.LastIndex(key, "/")+1:]
	body := s3EventBody(t, st, key, scanPDF)
	msg := sqsRoundTrip(t, st, body)
	var first string
	for i := 1; i <= 2; i++ {
		noFailures(t, "ingest delivery "+strconv.Itoa(i), invoke(t, fns["ingest"], "S3 event", msg))
		d, data := st.dossier(t, c.ID)
		if d.Status != dossier.Validated {
			t.Fatalf("after delivery %d the dossier is %s, want VALIDATED; findings %+v\n%s", i, d.Status, d.Findings, tail(fns["ingest"].Logs()))
		}
		if i == 1 {
			first = data
		} else if data != first {
			t.Fatalf("the second delivery changed the dossier:\n%s\n%s", first, data)
		}
	}
	d, stored := st.dossier(t, c.ID)
	nEvents := len(st.events(t, c.ID))
	if len(d.Scans) != 1 || nEvents != 3 || count(d.History, dossier.Validated) != 1 {
		t.Fatalf("after two deliveries: %d scans, %d events, history %+v; want 1 scan, 3 events (RECEIVED, SCANNED, VALIDATED)", len(d.Scans), nEvents, d.History)
	}
	for _, file := range eventFiles(t, "ingest") {
		noFailures(t, filepath.Base(file), invoke(t, fns["ingest"], filepath.Base(file), load(t, file, vars)))
	}
	if _, now := st.dossier(t, c.ID); now != stored || len(st.events(t, c.ID)) != nEvents {
		t.Fatalf("the events/ingest samples changed the dossier:\n%s\n%s", stored, now)
	}

	// notify: the three status events, as the table's stream carries them, twice.
	stream := streamEvent(t, st.events(t, c.ID))
	mailsBefore := 0
	if h.srv.sesStore != "" {
		mailsBefore = mails(t, "an.nguyen@example.vn", c.Code)
	}
	for i := 1; i <= 2; i++ {
		noFailures(t, "notify delivery "+strconv.Itoa(i), invoke(t, fns["notify"], "stream", stream))
	}
	inbox := notify.NewInbox(st.rec)
	for subject, want := range map[string]int{citizenID: 1, officerID: 1} {
		ns, err := inbox.List(ctx, subject)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != want {
			t.Errorf("in-app notifications of %s: %d, want %d: %+v", subject, len(ns), want, ns)
		}
	}
	if h.srv.sesStore != "" {
		if n := mails(t, "an.nguyen@example.vn", c.Code) - mailsBefore; n != 1 {
			t.Errorf("new emails to the citizen about %s: %d, want 1", c.Code, n)
		}
	}

	// The auditor's dashboard on the api function counts the dossier from
	// the index the notify function just kept.
	statsPage := apiCall(t, fns["api"], load(t, filepath.Join(h.root, "events/api/page-stats.json"), vars), http.StatusOK)
	if !regexp.MustCompile(`<tr><th scope="row">[^<]+</th><td class="num">1</td>`).Match(statsPage) {
		t.Errorf("the dashboard does not count the dossier received this month:\n%s", statsPage)
	}

	// report: the schedule fires just after midnight of the day after receipt.
	recv := d.ReceivedAt.In(calendar.Location())
	day := time.Date(recv.Year(), recv.Month(), recv.Day(), 0, 0, 0, 0, calendar.Location())
	vars["SCHEDULE_TIME"] = day.AddDate(0, 0, 1).Add(5 * time.Minute).UTC().Format(time.RFC3339)
	for _, file := range eventFiles(t, "report") {
		for i := 0; i < 2; i++ {
			out := invoke(t, fns["report"], filepath.Base(file), load(t, file, vars))
			var r struct {
				Day  string
				Keys []string
			}
			if err := json.Unmarshal(out, &r); err != nil || r.Day != day.Format(time.DateOnly) || len(r.Keys) != 2 {
				t.Fatalf("report answer %s (%v), want day %s and two keys", out, err, day.Format(time.DateOnly))
			}
		}
	}
	var rep struct {
		Agencies []struct {
			Agency   string
			Received int
		}
	}
	if err := json.Unmarshal(st.getObject(t, st.rptBk, "sla/daily/"+day.Format(time.DateOnly)+".json"), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Agencies) != 1 || rep.Agencies[0].Agency != agency || rep.Agencies[0].Received != 1 {
		t.Errorf("daily report %+v, want one dossier received by %s", rep, agency)
	}
	if csv := string(st.getObject(t, st.rptBk, "sla/daily/"+day.Format(time.DateOnly)+".csv")); !strings.Contains(csv, agency) {
		t.Errorf("CSV report without the agency:\n%s", csv)
	}

	// The sample stream records (a dossier this stack never had, a dossier
	// item change) are handled without a failure.
	for _, file := range eventFiles(t, "notify") {
		noFailures(t, filepath.Base(file), invoke(t, fns["notify"], filepath.Base(file), load(t, file, vars)))
	}

	// signer: a message naming a sign job that does not exist, and a
	// malformed one, are dropped (not retried) and change nothing.
	for _, file := range eventFiles(t, "signer") {
		noFailures(t, filepath.Base(file), invoke(t, fns["signer"], filepath.Base(file), load(t, file, vars)))
	}
	if _, now := st.dossier(t, c.ID); now != stored {
		t.Fatalf("the signer changed the dossier:\n%s\n%s", stored, now)
	}
}

func count(h []dossier.Event, s dossier.Status) int {
	n := 0
	for _, e := range h {
		if e.Status == s {
			n++
		}
	}
	return n
}

// apiCall invokes the api function and checks the HTTP status.
func apiCall(t *testing.T, f *Function, payload []byte, want int) []byte {
	t.Helper()
	var req events.APIGatewayV2HTTPRequest
	_ = json.Unmarshal(payload, &req)
	out := invoke(t, f, req.RawPath, payload)
	var r events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%s %s: answer %s: %v", req.RequestContext.HTTP.Method, req.RawPath, out, err)
	}
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", req.RequestContext.HTTP.Method, req.RawPath, r.StatusCode, want, r.Body)
	}
	body := []byte(r.Body)
	if r.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(r.Body); err != nil {
			t.Fatal(err)
		}
	}
	return body
}

// s3EventBody puts the scan under key in the dossier bucket and returns the
// S3 event notification of the put: MinIO's own, through its webhook, when
// the servers offer one; otherwise events/s3/intake-put.json filled in.
func s3EventBody(t *testing.T, st *stack, key string, scan []byte) string {
	t.Helper()
	if h.srv.webhookAddr == "" || h.srv.webhookARN == "" {
		t.Log("MinIO's webhook is not configured (SOHOA_TEST_S3_WEBHOOK_ADDR/ARN): using events/s3/intake-put.json")
		st.putObject(t, st.dossierBkt, key, scan, "application/pdf")
		return string(load(t, filepath.Join(h.root, "events/s3/intake-put.json"), map[string]string{
			"DOSSIER_BUCKET": st.dossierBkt, "DOSSIER_ID": strings.Split(key, "/")[1], "INTAKE_NAME": strings.Split(key, "/")[2]}))
	}
	got := make(chan string, 16)
	ln := listenRetry(t, h.srv.webhookAddr)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if strings.Contains(string(b), st.dossierBkt) {
			select {
			case got <- string(b):
			default:
			}
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	_, err := st.s3.PutBucketNotificationConfiguration(context.Background(), &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(st.dossierBkt),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			QueueArn: aws.String(h.srv.webhookARN), Events: []s3types.Event{"s3:ObjectCreated:*"},
			Filter: &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{
				{Name: s3types.FilterRuleNamePrefix, Value: aws.String(dossier.IntakePrefix)}}}},
		}}},
	})
	if err != nil {
		t.Fatalf("configure the bucket's notification: %v", err)
	}
	st.putObject(t, st.dossierBkt, key, scan, "application/pdf")
	select {
	case b := <-got:
		var ev events.S3Event
		if err := json.Unmarshal([]byte(b), &ev); err != nil || len(ev.Records) != 1 || ev.Records[0].S3.Object.URLDecodedKey != key {
			t.Fatalf("MinIO's event %s does not decode as the put of %s (%v)", b, key, err)
		}
		return b
	case <-time.After(30 * time.Second):
		t.Fatal("no event from MinIO's webhook within 30 s")
	}
	return ""
}

// listenRetry listens on addr, waiting for another test that holds it.
func listenRetry(t *testing.T, addr string) net.Listener {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook address %s stays busy: %v", addr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// sqsRoundTrip sends body to the stack's ingest queue, receives it, and
// returns the SQS event Lambda's event source mapping would make of it.
func sqsRoundTrip(t *testing.T, st *stack, body string) []byte {
	t.Helper()
	ctx := context.Background()
	if _, err := st.sqs.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: aws.String(st.ingest.URL), MessageBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
	out, err := st.sqs.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: aws.String(st.ingest.URL), MaxNumberOfMessages: 1,
		WaitTimeSeconds: 5, MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive from the ingest queue: %d messages, %v", len(out.Messages), err)
	}
	m := out.Messages[0]
	ev := events.SQSEvent{Records: []events.SQSMessage{{
		MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
		Md5OfBody: aws.ToString(m.MD5OfBody), Attributes: m.Attributes, MessageAttributes: map[string]events.SQSMessageAttribute{},
		EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:" + h.srv.region + ":000000000000:" + st.prefix + "-ingest",
		AWSRegion: h.srv.region,
	}}}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// streamEvent is the DynamoDB stream batch of the given items' insertion
// (NEW_IMAGE), attribute names as pkg/aws/dynamo writes them.
func streamEvent(t *testing.T, its []records.Item) []byte {
	t.Helper()
	var recs []map[string]any
	for i, it := range its {
		img := map[string]any{"PK": map[string]string{"S": it.PK}, "SK": map[string]string{"S": it.SK},
			"Version": map[string]string{"N": strconv.FormatInt(it.Version, 10)},
			"Data":    map[string]string{"B": base64.StdEncoding.EncodeToString(it.Data)}}
		if !it.ExpiresAt.IsZero() {
			img["TTL"] = map[string]string{"N": strconv.FormatInt(it.ExpiresAt.Unix(), 10)}
		}
		recs = append(recs, map[string]any{
			"eventID": fmt.Sprintf("%032d", i+1), "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
			"awsRegion": h.srv.region,
			"dynamodb": map[string]any{"ApproximateCreationDateTime": time.Now().Unix(),
				"Keys":     map[string]any{"PK": img["PK"], "SK": img["SK"]},
				"NewImage": img, "SequenceNumber": fmt.Sprintf("%024d", i+1), "SizeBytes": len(it.Data) + 80, "StreamViewType": "NEW_IMAGE"},
			"eventSourceARN": "arn:aws:dynamodb:" + h.srv.region + ":000000000000:table/sohoa/stream/2026-11-01T00:00:00.000",
		})
	}
	b, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mails counts the emails the SES server captured (it keeps them across
// runs) to address that mention code.
func mails(t *testing.T, address, code string) int {
	t.Helper()
	resp, err := http.Get(h.srv.sesStore)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var store struct {
		Emails []struct {
			Destination struct {
				To []string `json:"to"`
			} `json:"destination"`
			Subject string `json:"subject"`
		} `json:"emails"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&store); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range store.Emails {
		if slices.Contains(m.Destination.To, address) && strings.Contains(m.Subject, code) {
			n++
		}
	}
	return n
}

// pageSessionKey is the api function's SOHOA_SESSION_KEY in these tests.
const pageSessionKey = "lambdatest-session-key-0123456789abcdef"

// pageSession is a citizen's session cookie value, as the pages start it:
// a session record in the stack's table (DynamoDB), its token keyed by
// pageSessionKey.
func pageSession(t *testing.T, st *stack) string {
	t.Helper()
	return pageSessionOf(t, st, identity.Actor{Subject: citizenID, Role: identity.Citizen, Name: "Nguyễn Văn An"})
}

// pageSessionOf is a's session cookie value, as the pages start it.
func pageSessionOf(t *testing.T, st *stack, a identity.Actor) string {
	t.Helper()
	s, err := identity.NewSessions(st.rec, []byte(pageSessionKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Start(context.Background(), a, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
