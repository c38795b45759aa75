package lambdatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sohoa/sohoa/pkg/aws/dynamo"
	"github.com/sohoa/sohoa/pkg/aws/sqs"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// stack is one test's private slice of the servers: its own table, buckets
// and queues, named with a random prefix, so tests never see each other.
type stack struct {
	prefix                      string
	table                       string
	dossierBkt, vaultBkt, rptBk string
	ingest, sign                sqs.Topic

	s3  *s3.Client
	ddb *dynamodb.Client
	sqs *awssqs.Client
	rec records.Table
}

func newStack(t testing.TB) *stack {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	p := "lt" + hex.EncodeToString(b)
	srv := h.srv
	cfg := aws.Config{Region: srv.region, Credentials: credentials.NewStaticCredentialsProvider(srv.key, srv.secret, "")}
	st := &stack{prefix: p, table: p + "-table", dossierBkt: p + "-dossiers", vaultBkt: p + "-vault", rptBk: p + "-reports",
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = aws.String(srv.s3); o.UsePathStyle = true }),
		ddb: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(srv.dynamodb) }),
		sqs: awssqs.NewFromConfig(cfg, func(o *awssqs.Options) { o.BaseEndpoint = aws.String(srv.sqs) }),
	}
	if err := dynamo.CreateTable(ctx, st.ddb, st.table); err != nil {
		t.Fatal(err)
	}
	st.rec = dynamo.New(st.ddb, st.table)
	for _, name := range []string{st.dossierBkt, st.vaultBkt, st.rptBk} {
		if _, err := st.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatalf("create bucket %s: %v", name, err)
		}
	}
	topics, err := sqs.CreateQueues(ctx, st.sqs, p, "ingest", "sign")
	if err != nil {
		t.Fatal(err)
	}
	st.ingest, st.sign = topics["ingest"], topics["sign"]
	t.Cleanup(func() {
		ctx := context.Background()
		_, _ = st.ddb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(st.table)})
		for _, q := range []string{st.ingest.URL, st.ingest.DeadLetterURL, st.sign.URL, st.sign.DeadLetterURL} {
			_, _ = st.sqs.DeleteQueue(ctx, &awssqs.DeleteQueueInput{QueueUrl: aws.String(q)})
		}
		for _, bk := range []string{st.dossierBkt, st.vaultBkt, st.rptBk} {
			st.emptyBucket(ctx, bk)
			_, _ = st.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bk)})
		}
	})
	return st
}

func (st *stack) emptyBucket(ctx context.Context, bucket string) {
	p := s3.NewListObjectsV2Paginator(st.s3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return
		}
		var ids []s3types.ObjectIdentifier
		for _, o := range page.Contents {
			ids = append(ids, s3types.ObjectIdentifier{Key: o.Key})
		}
		if len(ids) > 0 {
			_, _ = st.s3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids}})
		}
	}
}

// env is the environment of every function: the servers' endpoints and this
// stack's resources (each function reads only the variables it declares).
func (st *stack) env() []string {
	srv := h.srv
	e := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(),
		"AWS_ACCESS_KEY_ID=" + srv.key, "AWS_SECRET_ACCESS_KEY=" + srv.secret, "AWS_REGION=" + srv.region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_S3=" + srv.s3, "AWS_ENDPOINT_URL_DYNAMODB=" + srv.dynamodb, "AWS_ENDPOINT_URL_SQS=" + srv.sqs,
		"SOHOA_S3_PATH_STYLE=true",
		"SOHOA_TABLE=" + st.table, "SOHOA_DOSSIER_BUCKET=" + st.dossierBkt, "SOHOA_VAULT_BUCKET=" + st.vaultBkt,
		"SOHOA_REPORTS_BUCKET=" + st.rptBk, "SOHOA_INGEST_QUEUE_URL=" + st.ingest.URL, "SOHOA_MAX_RECEIVE=5",
		// Nothing listens there: the signer test never reaches the provider.
		"SOHOA_CSC_URL=http://127.0.0.1:9/csc/v2", "SOHOA_TSA_URL=http://127.0.0.1:9/tsa",
		"SOHOA_PORTAL_URL=https://dichvucong.example.vn",
		"SOHOA_SESSION_KEY=" + pageSessionKey,
	}
	if srv.ses != "" {
		e = append(e, "AWS_ENDPOINT_URL_SESV2="+srv.ses, "SOHOA_MAIL_FROM=khong-tra-loi@sohoa.example.vn")
	}
	return e
}

// dossier reads a dossier straight from the table, with its stored JSON.
func (st *stack) dossier(t *testing.T, id string) (*dossier.Dossier, string) {
	t.Helper()
	it, err := st.rec.Get(context.Background(), "DOSSIER#"+id, "META")
	if err != nil {
		t.Fatalf("dossier %s: %v", id, err)
	}
	var d dossier.Dossier
	if err := json.Unmarshal(it.Data, &d); err != nil {
		t.Fatal(err)
	}
	return &d, string(it.Data)
}

// events returns the status-change event items of a dossier, oldest first.
func (st *stack) events(t *testing.T, id string) []records.Item {
	t.Helper()
	its, err := st.rec.Query(context.Background(), records.Query{PK: dossier.EventsPK})
	if err != nil {
		t.Fatal(err)
	}
	var out []records.Item
	for _, it := range its {
		if strings.Contains(it.SK, "#"+id+"#") {
			out = append(out, it)
		}
	}
	return out
}

func (st *stack) putObject(t *testing.T, bucket, key string, body []byte, ctype string) {
	t.Helper()
	_, err := st.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: strings.NewReader(string(body)), ContentType: aws.String(ctype)})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

func (st *stack) getObject(t *testing.T, bucket, key string) []byte {
	t.Helper()
	out, err := st.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b := make([]byte, 0, 1024)
	buf := make([]byte, 32<<10)
	for {
		n, err := out.Body.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	return b
}

// eventFiles lists events/<fn>/*.json, sorted.
func eventFiles(t *testing.T, fn string) []string {
	t.Helper()
	fs, err := filepath.Glob(filepath.Join(h.root, "events", fn, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		t.Fatalf("no events/%s/*.json", fn)
	}
	sort.Strings(fs)
	return fs
}

// load reads an event file and fills its ${NAME} placeholders from vars; a
// placeholder without a value fails the test.
func load(t *testing.T, file string, vars map[string]string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for k, v := range vars {
		s = strings.ReplaceAll(s, "${"+k+"}", v)
	}
	if i := strings.Index(s, "${"); i >= 0 {
		t.Fatalf("%s: no value for placeholder %s", filepath.Base(file), s[i:min(len(s), i+30)])
	}
	if !json.Valid([]byte(s)) {
		t.Fatalf("%s is not valid JSON", filepath.Base(file))
	}
	return []byte(s)
}

// invoke sends payload to f and fails the test on a function error.
func invoke(t *testing.T, f *Function, name string, payload []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	res, err := f.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", f.Name, name, err, tail(f.Logs()))
	}
	if res.Error != nil {
		t.Fatalf("%s %s: function error %v\n%s", f.Name, name, res.Error, tail(f.Logs()))
	}
	return res.Payload
}

func tail(s string) string {
	// A crash's first lines say why: start there.
	for _, mark := range []string{"panic: ", "fatal error: "} {
		if i := strings.Index(s, mark); i >= 0 {
			s = s[i:]
			break
		}
	}
	if len(s) > 4000 {
		return s[:2000] + "\n…\n" + s[len(s)-2000:]
	}
	return s
}

// noFailures checks an SQS or DynamoDB batch answer.
func noFailures(t *testing.T, what string, payload []byte) {
	t.Helper()
	var r struct {
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(payload, &r); err != nil {
		t.Fatalf("%s: answer %s: %v", what, payload, err)
	}
	if len(r.BatchItemFailures) > 0 {
		t.Fatalf("%s: batch item failures %v", what, r.BatchItemFailures)
	}
}
