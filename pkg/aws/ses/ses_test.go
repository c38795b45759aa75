package ses

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/errs"
)

// request is the SendEmail JSON body, as SES v2 defines it.
type request struct {
	FromEmailAddress     string
	ConfigurationSetName string
	Destination          struct{ ToAddresses []string }
	Content              struct {
		Simple struct {
			Subject struct{ Data, Charset string }
			Body    struct {
				Text struct{ Data, Charset string }
			}
		}
	}
	EmailTags []struct{ Name, Value string }
}

func client(t *testing.T, h http.HandlerFunc) *sesv2.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return sesv2.New(sesv2.Options{
		BaseEndpoint: aws.String(srv.URL), Region: "ap-southeast-1", RetryMaxAttempts: 1,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
		}),
	})
}

func TestSend(t *testing.T) {
	var (
		mu  sync.Mutex
		got request
	)
	c := client(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v2/email/outbound-emails" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDTEST/") {
			http.Error(w, "unsigned", http.StatusForbidden)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"MessageId":"0100-abc"}`))
	})
	s := New(c, "no-reply@sohoa.example.vn", &Options{ConfigurationSet: "sohoa"})
	m := notify.Message{Channel: notify.Email, To: "an@example.vn", Subject: "Đã tiếp nhận hồ sơ", Body: "Kính gửi Ông/Bà,\nhồ sơ đã được tiếp nhận.",
		DossierID: "a1b2#c3", At: time.Now()}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.FromEmailAddress != "no-reply@sohoa.example.vn" || len(got.Destination.ToAddresses) != 1 || got.Destination.ToAddresses[0] != m.To ||
		got.Content.Simple.Subject.Data != m.Subject || got.Content.Simple.Body.Text.Data != m.Body ||
		got.Content.Simple.Body.Text.Charset != "UTF-8" || got.ConfigurationSetName != "sohoa" ||
		len(got.EmailTags) != 1 || got.EmailTags[0].Value != "a1b2_c3" {
		t.Fatalf("SES received %+v", got)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
		m      notify.Message
		want   errs.Kind
	}{
		{"refused", http.StatusBadRequest, "MessageRejected", notify.Message{Channel: notify.Email, To: "x@y"}, errs.Invalid},
		{"bad request", http.StatusBadRequest, "BadRequestException", notify.Message{Channel: notify.Email, To: "x@y"}, errs.Invalid},
		{"throttled", http.StatusTooManyRequests, "TooManyRequestsException", notify.Message{Channel: notify.Email, To: "x@y"}, errs.Unavailable},
		{"down", http.StatusInternalServerError, "InternalFailure", notify.Message{Channel: notify.Email, To: "x@y"}, errs.Unavailable},
		{"not email", 0, "", notify.Message{Channel: notify.SMS, To: "0912"}, errs.Invalid},
		{"no recipient", 0, "", notify.Message{Channel: notify.Email}, errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := client(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Amzn-ErrorType", tt.code)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(`{"message":"no"}`))
			})
			err := New(c, "no-reply@sohoa.example.vn", nil).Send(context.Background(), tt.m)
			if errs.KindOf(err) != tt.want || err == nil {
				t.Fatalf("Send = %v (%v), want %v", err, errs.KindOf(err), tt.want)
			}
		})
	}
}
