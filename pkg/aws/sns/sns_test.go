package sns

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/errs"
)

func client(t *testing.T, h http.HandlerFunc) *sns.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return sns.New(sns.Options{
		BaseEndpoint: aws.String(srv.URL), Region: "ap-southeast-1", RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
		}),
	})
}

// attributes reads the MessageAttributes.entry.N.* fields of a query-protocol form.
func attributes(f url.Values) map[string]string {
	out := map[string]string{}
	for i := 1; ; i++ {
		p := fmt.Sprintf("MessageAttributes.entry.%d.", i)
		name := f.Get(p + "Name")
		if name == "" {
			return out
		}
		out[name] = f.Get(p+"Value.DataType") + ":" + f.Get(p+"Value.StringValue")
	}
}

func TestSend(t *testing.T) {
	var (
		mu  sync.Mutex
		got url.Values
	)
	c := client(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDTEST/") {
			http.Error(w, "unsigned", http.StatusForbidden)
			return
		}
		f, err := url.ParseQuery(string(body))
		if err != nil || f.Get("Action") != "Publish" {
			http.Error(w, "not a Publish", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = f
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>`)
	})
	s := New(c, &Options{SenderID: "SOHOA"})
	body := "Sohoa: da tiep nhan ho so 000.00.15.H29-260309-0001. Hẹn trả kết quả."
	if err := s.Send(context.Background(), notify.Message{Channel: notify.SMS, To: "0912 345 678", Body: body}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.Get("PhoneNumber") != "+84912345678" || got.Get("Message") != body || got.Get("TopicArn") != "" {
		t.Fatalf("SNS received %v", got)
	}
	attrs := attributes(got)
	if attrs["AWS.SNS.SMS.SMSType"] != "String:Transactional" || attrs["AWS.SNS.SMS.SenderID"] != "String:SOHOA" {
		t.Fatalf("attributes %v", attrs)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		to     string
		want   errs.Kind
	}{
		{"refused number", http.StatusBadRequest, "InvalidParameter", "0912345678", errs.Invalid},
		{"throttled", http.StatusBadRequest, "Throttling", "0912345678", errs.Unavailable},
		{"down", http.StatusInternalServerError, "InternalError", "0912345678", errs.Unavailable},
		{"not a number", 0, "", "call me", errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := client(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/xml")
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>`, tt.code)
			})
			err := New(c, nil).Send(context.Background(), notify.Message{Channel: notify.SMS, To: tt.to, Body: "x"})
			if err == nil || errs.KindOf(err) != tt.want {
				t.Fatalf("Send = %v (%v), want %v", err, errs.KindOf(err), tt.want)
			}
		})
	}
}

func TestE164(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0912345678", "+84912345678"},
		{"0912.345.678", "+84912345678"},
		{"(024) 3825-1234", "+842438251234"},
		{"+84 912 345 678", "+84912345678"},
		{"84912345678", "+84912345678"},
		{"0084912345678", "+84912345678"},
		{"+14155550123", "+14155550123"},
		{"912345678", "+84912345678"},
		{"", ""},
		{"0912abc678", ""},
		{"++84912345678", ""},
		{"0123", ""},
		{"+1234567890123456", ""},
	}
	for _, tt := range tests {
		got, err := E164(tt.in)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("E164(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	s := strings.Repeat("ạ", 1000) // 3 bytes each
	got := truncate(s, maxSMS)
	if len(got) > maxSMS || len(got)%3 != 0 {
		t.Fatalf("truncate gave %d bytes", len(got))
	}
}
