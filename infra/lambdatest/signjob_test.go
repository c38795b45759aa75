package lambdatest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/app"
	s3blob "github.com/sohoa/sohoa/pkg/aws/s3"
	"github.com/sohoa/sohoa/pkg/aws/sqs"
	"github.com/sohoa/sohoa/pkg/dev/cscserver"
	"github.com/sohoa/sohoa/pkg/dev/pki"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/signing"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/format/csc"
	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// TestSignerSurvivesSIGKILL runs a sign job of SOHOA_BATCH_N dossiers
// (default 20; make bench: 1,000) through the signer function's real
// bootstrap on the Runtime API: the job is started as the api function
// starts it (the dossier service over the same table, buckets and sign
// queue), the signer is killed with SIGKILL in the middle of the job and
// started again with the same message redelivered. The job completes with
// the one code (one OTP sent, one authorization), and every result is in its
// citizen's vault once, with one valid signature.
func TestSignerSurvivesSIGKILL(t *testing.T) {
	need(t)
	n := 20
	if v, err := strconv.Atoi(os.Getenv("SOHOA_BATCH_N")); err == nil && v > 0 && v <= dossier.MaxJobBatch {
		n = v
	}
	ctx := context.Background()
	st := newStack(t)

	// The remote-signing provider, its PKI (OCSP, CRL, TSA) on loopback.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	p, err := pki.LoadOrCreate(t.TempDir(), pki.Options{BaseURL: base + "/pki",
		Officers: []pki.Officer{{ID: officerID, Name: "Nguyễn Thị Lĩnh", Email: "linh.nguyen@hotich.example.vn"}}})
	if err != nil {
		t.Fatal(err)
	}
	var otps sync.Map // credential ID → the last code sent
	var sent atomic.Int32
	provider, err := cscserver.New(p, cscserver.Options{
		Multisign: dossier.MaxJobBatch,
		Clients:   map[string]string{"sohoa-signer": "lambdatest-secret"},
		SendOTP: func(_ context.Context, _, credentialID, code string) error {
			sent.Add(1)
			otps.Store(credentialID, code)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	calls := &callCounter{n: map[string]int{}}
	mux := http.NewServeMux()
	mux.Handle("/pki/", p.Handler())
	mux.Handle("/csc/v2/", calls.wrap(provider))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	st.putObject(t, st.dossierBkt, "config/trust-roots.pem", p.RootPEM(), "application/x-pem-file")

	// The dossier service as the api function builds it, over the same
	// table, buckets and queues.
	remote, err := csc.New(csc.Config{BaseURL: base + "/csc/v2", ClientID: "sohoa-signer", ClientSecret: "lambdatest-secret",
		HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := signing.New(signing.Config{Remote: remote, Roots: p.Roots(), TSAURL: p.TSAURL()})
	if err != nil {
		t.Fatal(err)
	}
	dossiers, vaultBkt := st.buckets(t)
	result, err := scantest.Dossier(scantest.Spec{Seed: 4, Sheets: []scantest.Sheet{scantest.Text("GIẤY KHAI SINH — Nguyễn Văn Bình")}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(ctx, app.Ports{Records: st.rec, Dossiers: dossiers, Vault: vaultBkt,
		Queue:  sqs.New(st.sqs, map[string]sqs.Topic{dossier.TopicIngest: st.ingest, dossier.TopicSign: st.sign}, st.rec),
		Signer: signing.ForDossiers(sg), Intake: func(context.Context, string) error { return nil }},
		app.Options{Log: slog.New(slog.DiscardHandler),
			// Reaching APPROVED n times through real splits would decode
			// pages n times: every dossier is ingested from the same split.
			Scans: presplit(t)})
	if err != nil {
		t.Fatal(err)
	}
	clerk := identity.Actor{Subject: "clerk-01", Role: identity.Clerk, Name: "Trần Thị Mai", PostOffice: "Bưu cục Hoàn Kiếm"}
	officer := identity.Actor{Subject: officerID, Role: identity.Officer, Agency: agency, Name: "Nguyễn Thị Lĩnh"}
	citizen := func(i int) string { return fmt.Sprintf("001203%06d", 700000+i) }

	setup := time.Now()
	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			id, err := readyToSign(ctx, a.Dossiers, clerk, officer, citizen(i), result)
			if err != nil {
				t.Errorf("dossier %d: %v", i, err)
			}
			ids[i] = id
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d dossiers APPROVED with a result in %v", n, time.Since(setup).Round(time.Millisecond))

	// The one code: sent once, spent by the job.
	cred := cscserver.CredentialID(officerID)
	if err := sg.SendOTP(ctx, officerID, cred); err != nil {
		t.Fatal(err)
	}
	otp, _ := otps.Load(cred)
	job, err := a.Dossiers.StartSignBatch(ctx, officer, ids, cred, otp.(string))
	if err != nil {
		t.Fatal(err)
	}
	event, body := receiveSQS(t, st, st.sign.URL, 1)

	env := append(st.env(), "SOHOA_CSC_URL="+base+"/csc/v2", "SOHOA_CSC_CLIENT_ID=sohoa-signer",
		"SOHOA_CSC_CLIENT_SECRET=lambdatest-secret", "SOHOA_TSA_URL="+p.TSAURL())
	start := time.Now()
	f, err := Start(ctx, "signer", h.bins["signer"], env, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	invoked := make(chan error, 1)
	go func() { _, err := f.Invoke(ctx, event); invoked <- err }()
	var at *dossier.SignJob
	for deadline := time.Now().Add(10 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
		j, err := a.Dossiers.GetSignJob(ctx, officer, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == dossier.JobSigning && j.Done >= n/3 && j.Done < n {
			f.Stop() // SIGKILL, in the middle of the job
			at = j
			break
		}
		if j.Status == dossier.JobDone || j.Status == dossier.JobFailed || time.Now().After(deadline) {
			t.Fatalf("the job reached %s (%d/%d) before the signer could be killed in the middle:\n%s", j.Status, j.Done, j.Total, f.Logs())
		}
	}
	if err := <-invoked; err == nil {
		t.Fatal("the killed signer answered its invocation")
	}
	authorized := calls.get("credentials/authorize")
	t.Logf("signer killed with %d of %d results done (%d authorization)", at.Done, n, authorized)

	// The same message, delivered again to a fresh process.
	redelivered := sqsEvent(st, body, 2)
	f, err = Start(ctx, "signer", h.bins["signer"], env, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	ictx, cancel := context.WithTimeout(ctx, 14*time.Minute) // the function's timeout is 15
	defer cancel()
	res, err := f.Invoke(ictx, redelivered)
	if err != nil {
		t.Fatalf("signer after the crash: %v\n%s", err, f.Logs())
	}
	took := time.Since(start)
	var resp events.SQSEventResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil || res.Error != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("signer after the crash answered %s (%v, %v)\n%s", res.Payload, res.Error, err, f.Logs())
	}
	done, err := a.Dossiers.GetSignJob(ctx, officer, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != dossier.JobDone || len(done.Results) != n {
		t.Fatalf("job %s: %d/%d results, error %q", done.Status, len(done.Results), n, done.Error)
	}
	if sent.Load() != 1 || calls.get("credentials/authorize") != authorized || authorized != 1 {
		t.Errorf("%d codes sent and %d authorizations (%d before the crash), want one of each",
			sent.Load(), calls.get("credentials/authorize"), authorized)
	}
	t.Logf("signed, verified and stored %d results with one code through the signer function, SIGKILL included, in %v (%.1f/s)",
		n, took.Round(time.Millisecond), float64(n)/took.Seconds())

	// Every result: in its citizen's vault once, signed once, valid.
	byDossier := map[string]string{}
	for _, r := range done.Results {
		if r.DocumentID == "" || r.Error != "" {
			t.Errorf("dossier %s: %q", r.DossierID, r.Error)
		}
		byDossier[r.DossierID] = r.DocumentID
	}
	var checked atomic.Int32
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := signedOnce(ctx, a.Vault, p, citizen(i), byDossier[id]); err != nil {
				t.Errorf("dossier %s: %v", id, err)
				return
			}
			checked.Add(1)
		}()
	}
	wg.Wait()
	t.Logf("%d results checked: one vault document each, one valid signature each", checked.Load())
}

// readyToSign takes a new dossier of citizen to APPROVED with result as its
// unsigned result, through the dossier service.
func readyToSign(ctx context.Context, svc *dossier.Service, clerk, officer identity.Actor, citizen string, result []byte) (string, error) {
	id, err := approved(ctx, svc, clerk, officer, citizen)
	if err != nil {
		return "", err
	}
	if _, err := svc.PutResult(ctx, officer, id, strings.NewReader(string(result))); err != nil {
		return "", err
	}
	return id, nil
}

// approved takes a new dossier of citizen to APPROVED, through the dossier
// service.
func approved(ctx context.Context, svc *dossier.Service, clerk, officer identity.Actor, citizen string) (string, error) {
	d, err := svc.Create(ctx, clerk, dossier.CreateInput{Procedure: "1.001193", PostOffice: clerk.PostOffice,
		Citizen: dossier.Citizen{ID: citizen, Name: "Công dân"}})
	if err != nil {
		return "", err
	}
	// The bytes stand for a scan: the split is the sample's.
	if _, err := svc.UploadScan(ctx, clerk, d.ID, "application/pdf", strings.NewReader("%PDF-1.7 scan of "+citizen)); err != nil {
		return "", err
	}
	got, err := svc.Get(ctx, clerk, d.ID)
	if err != nil {
		return "", err
	}
	last, _ := got.LastScan()
	if err := svc.AcceptStoredScan(ctx, last.Key, false); err != nil {
		return "", err
	}
	if got, err = svc.Get(ctx, clerk, d.ID); err != nil || got.Status != dossier.Validated {
		return "", fmt.Errorf("after ingestion: %v, %+v", err, got)
	}
	if _, err := svc.Decide(ctx, officer, d.ID, true, ""); err != nil {
		return "", err
	}
	return d.ID, nil
}

// signedOnce checks that citizen's vault holds exactly one signed document,
// doc, at its first version, and that it carries one valid signature.
func signedOnce(ctx context.Context, v *vault.Service, p *pki.PKI, citizen, doc string) error {
	owner := identity.Actor{Subject: citizen, Role: identity.Citizen}
	docs, err := v.List(ctx, owner, vault.Filter{})
	if err != nil {
		return err
	}
	var signed []*vault.Document
	for _, d := range docs {
		if d.Signed {
			signed = append(signed, d)
		}
	}
	if len(signed) != 1 || signed[0].ID != doc || signed[0].Version != 1 {
		return fmt.Errorf("%d signed documents in the vault (want %s at version 1)", len(signed), doc)
	}
	_, b, err := v.Content(ctx, owner, doc)
	if err != nil {
		return err
	}
	rep, err := pades.Verify(ctx, b, pades.VerifyOptions{Roots: p.Roots()})
	if err != nil {
		return err
	}
	if len(rep.Signatures) != 1 || !rep.Valid {
		return fmt.Errorf("%d signatures, valid %v: %+v", len(rep.Signatures), rep.Valid, rep.Problems)
	}
	return nil
}

// receiveSQS receives one message from the queue and returns the SQS event
// Lambda's event source mapping would make of it, and the message's body.
func receiveSQS(t *testing.T, st *stack, queueURL string, receiveCount int) ([]byte, string) {
	t.Helper()
	out, err := st.sqs.ReceiveMessage(context.Background(), &awssqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL),
		MaxNumberOfMessages: 1, WaitTimeSeconds: 5,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive from %s: %d messages, %v", queueURL, len(out.Messages), err)
	}
	body := aws.ToString(out.Messages[0].Body)
	return sqsEvent(st, body, receiveCount), body
}

// sqsEvent is the SQS event of one message of the sign queue with body,
// delivered for the receiveCount-th time.
func sqsEvent(st *stack, body string, receiveCount int) []byte {
	ev := events.SQSEvent{Records: []events.SQSMessage{{
		MessageId: "sign-job-message", ReceiptHandle: "receipt-" + strconv.Itoa(receiveCount), Body: body,
		Attributes:        map[string]string{"ApproximateReceiveCount": strconv.Itoa(receiveCount)},
		MessageAttributes: map[string]events.SQSMessageAttribute{},
		EventSource:       "aws:sqs", EventSourceARN: "arn:aws:sqs:" + h.srv.region + ":000000000000:" + st.prefix + "-sign",
		AWSRegion: h.srv.region,
	}}}
	b, _ := json.Marshal(ev)
	return b
}

// callCounter counts the requests a handler serves, by the last two
// segments of their path ("credentials/authorize").
type callCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *callCounter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		key := strings.Join(parts[max(0, len(parts)-2):], "/")
		c.mu.Lock()
		c.n[key]++
		c.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (c *callCounter) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

// buckets opens the stack's dossier and vault buckets as the functions do.
func (st *stack) buckets(t *testing.T) (dossiers, vaultBkt *blob.Bucket) {
	t.Helper()
	ctx := context.Background()
	dossiers, err := s3blob.OpenBucket(ctx, st.s3, st.dossierBkt, nil)
	if err != nil {
		t.Fatal(err)
	}
	vaultBkt, err = s3blob.OpenBucket(ctx, st.s3, st.vaultBkt, nil)
	if err != nil {
		t.Fatal(err)
	}
	return dossiers, vaultBkt
}

// presplit splits one real three-component scan once and hands that result
// to every ingestion: for tests about what follows ingestion.
func presplit(t *testing.T) dossier.ScanReader {
	t.Helper()
	sample, err := scantest.Dossier(scantest.Spec{Seed: 3, Sheets: []scantest.Sheet{
		scantest.Separator("TKKS", "Tờ khai"), scantest.Text("Tờ khai"),
		scantest.Separator("GCS", "Giấy chứng sinh"), scantest.Text("Giấy chứng sinh"),
		scantest.Separator("CCCD", "Căn cước"), scantest.Text("CCCD")}})
	if err != nil {
		t.Fatal(err)
	}
	split, err := scan.Split(context.Background(), sample, scan.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return dossier.ScanBytes(func(context.Context, []byte) (*scan.Result, error) { return split, nil })
}
