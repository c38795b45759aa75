package cscserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/dev/cscserver"
	"github.com/sohoa/sohoa/pkg/dev/pki"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/csc"
)

// outbox records the OTPs the server sends.
type outbox struct {
	mu   sync.Mutex
	last map[string]string // credential → code
}

func (o *outbox) send(_ context.Context, userID, credentialID, code string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last[credentialID] = code
	return nil
}

func (o *outbox) code(cred string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last[cred]
}

func setup(t *testing.T, opts cscserver.Options) (*pki.PKI, *outbox, *httptest.Server) {
	t.Helper()
	p, err := pki.LoadOrCreate(t.TempDir(), pki.Options{BaseURL: "http://127.0.0.1:1/pki", Officers: []pki.Officer{{ID: "linh", Name: "Nguyễn Thị Lĩnh"}, {ID: "an", Name: "Lê An"}}})
	if err != nil {
		t.Fatal(err)
	}
	ob := &outbox{last: map[string]string{}}
	opts.Clients = map[string]string{"sohoa": "s3cret"}
	opts.SendOTP = ob.send
	srv, err := cscserver.New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return p, ob, hs
}

func digests(n int) [][]byte {
	var out [][]byte
	for i := 0; i < n; i++ {
		d := sha256.Sum256([]byte(fmt.Sprint("hồ sơ ", i)))
		out = append(out, d[:])
	}
	return out
}

func TestFlow(t *testing.T) {
	for _, cfg := range []csc.Config{
		{Username: "sohoa", Password: "s3cret"},
		{ClientID: "sohoa", ClientSecret: "s3cret"},
		{Username: "sohoa", Password: "s3cret", Dialect: "1.0.4.0"},
	} {
		t.Run(fmt.Sprintf("%s-%s", cfg.Dialect, map[bool]string{true: "oauth2", false: "login"}[cfg.ClientID != ""]), func(t *testing.T) {
			p, ob, hs := setup(t, cscserver.Options{Multisign: 5})
			cfg.BaseURL = hs.URL + "/csc/v2"
			c, err := csc.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			info, err := c.Info(ctx)
			if err != nil || info.Specs == "" {
				t.Fatal(info, err)
			}
			ids, err := c.ListCredentials(ctx, "linh")
			if err != nil || len(ids) != 1 || ids[0] != cscserver.CredentialID("linh") {
				t.Fatalf("%v %v", ids, err)
			}
			cred, err := c.CredentialInfo(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			off, _ := p.Officer("linh")
			if !cred.Chain[0].Equal(off.Certificate()) || len(cred.Chain) != 3 || cred.SCAL != "2" || cred.Multisign != 5 {
				t.Errorf("credential %+v", cred)
			}
			if err := c.SendOTP(ctx, ids[0]); err != nil {
				t.Fatal(err)
			}
			hashes := digests(3)
			if _, err := c.Authorize(ctx, ids[0], hashes, "000000x", ""); errs.KindOf(err) != errs.Forbidden {
				t.Errorf("wrong OTP: %v", err)
			}
			sad, err := c.Authorize(ctx, ids[0], hashes, ob.code(ids[0]), "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Authorize(ctx, ids[0], hashes, ob.code(ids[0]), ""); errs.KindOf(err) != errs.Forbidden {
				t.Errorf("used OTP: %v", err)
			}
			if _, err := c.SignHash(ctx, ids[0], sad, digests(4)[3:], csc.OIDECDSASHA256); errs.KindOf(err) != errs.Forbidden {
				t.Errorf("unauthorized hash: %v", err)
			}
			sigs, err := c.SignHash(ctx, ids[0], sad, hashes, csc.OIDECDSASHA256)
			if err != nil {
				t.Fatal(err)
			}
			pub := off.Certificate().PublicKey.(*ecdsa.PublicKey)
			for i := range hashes {
				if !ecdsa.VerifyASN1(pub, hashes[i], sigs[i]) {
					t.Errorf("signature %d does not verify", i)
				}
			}
			if _, err := c.SignHash(ctx, ids[0], sad, hashes[:1], csc.OIDECDSASHA256); errs.KindOf(err) != errs.Forbidden {
				t.Errorf("used SAD: %v", err)
			}
			// Over the multisign limit.
			if err := c.SendOTP(ctx, ids[0]); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Authorize(ctx, ids[0], digests(6), ob.code(ids[0]), ""); errs.KindOf(err) != errs.Invalid {
				t.Errorf("over multisign: %v", err)
			}
			if _, err := c.CredentialInfo(ctx, "cred-nobody"); errs.KindOf(err) != errs.NotFound {
				t.Errorf("unknown credential: %v", err)
			}
		})
	}
}

func TestSADBoundToCredentialAndExpiry(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	_, ob, hs := setup(t, cscserver.Options{Now: clock, SADTTL: time.Minute})
	c, _ := csc.New(csc.Config{BaseURL: hs.URL + "/csc/v2", Username: "sohoa", Password: "s3cret"})
	ctx := context.Background()
	linh, an := cscserver.CredentialID("linh"), cscserver.CredentialID("an")
	_ = c.SendOTP(ctx, linh)
	hashes := digests(2)
	sad, err := c.Authorize(ctx, linh, hashes, ob.code(linh), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SignHash(ctx, an, sad, hashes, csc.OIDECDSASHA256); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("SAD used for another credential: %v", err)
	}
	now = now.Add(2 * time.Minute)
	if _, err := c.SignHash(ctx, linh, sad, hashes, csc.OIDECDSASHA256); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("expired SAD: %v", err)
	}
	// Too many wrong OTPs void the pending one.
	_ = c.SendOTP(ctx, linh)
	code := ob.code(linh)
	for i := 0; i < 5; i++ {
		_, _ = c.Authorize(ctx, linh, hashes, "999999"+fmt.Sprint(i), "")
	}
	if _, err := c.Authorize(ctx, linh, hashes, code, ""); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("OTP still usable after 5 wrong tries: %v", err)
	}
}

func TestProviderFaults(t *testing.T) {
	var calls atomic.Int32
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    errs.Kind
		calls   int32
	}{
		{"garbage", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>") }, errs.Unavailable, 1},
		{"503 retried", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, errs.Unavailable, 3},
		{"500 with CSC error", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			fmt.Fprint(w, `{"error":"server_error","error_description":"HSM offline"}`)
		}, errs.Unavailable, 1},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}, errs.Unavailable, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				tt.handler(w, r)
			}))
			defer hs.Close()
			c, _ := csc.New(csc.Config{BaseURL: hs.URL, HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}, Backoff: time.Millisecond})
			_, err := c.ListCredentials(context.Background(), "linh")
			if errs.KindOf(err) != tt.want {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if got := calls.Load(); got != tt.calls {
				t.Errorf("%d calls, want %d", got, tt.calls)
			}
		})
	}
	c, _ := csc.New(csc.Config{BaseURL: "http://127.0.0.1:1/csc/v2", Backoff: time.Millisecond})
	if _, err := c.SignHash(context.Background(), "x", "y", digests(1), csc.OIDECDSASHA256); errs.KindOf(err) != errs.Unavailable {
		t.Errorf("down: %v", err)
	}
}
