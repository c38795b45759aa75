package signing_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/dev/cscserver"
	"github.com/sohoa/sohoa/pkg/dev/pki"
	"github.com/sohoa/sohoa/pkg/domain/signing"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/csc"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

// stack is the local remote-signing stack: dev PKI (OCSP, CRL, TSA) and the
// local CSC provider on loopback, reached over HTTP by the real client.
type stack struct {
	pki *pki.PKI
	svc *signing.Service
	mu  sync.Mutex
	sms map[string]string // credential → last OTP
}

func (s *stack) otp(cred string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sms[cred]
}

func newStack(t testing.TB, multisign int) *stack {
	return newStackWith(t, multisign, nil)
}

// newStackWith is newStack whose service keeps OTP limits (nil: none).
func newStackWith(t testing.TB, multisign int, limits *signing.OTPLimits) *stack {
	t.Helper()
	mux := http.NewServeMux()
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	p, err := pki.LoadOrCreate(t.TempDir(), pki.Options{BaseURL: hs.URL + "/pki", Agency: "Ủy ban nhân dân phường Bến Nghé",
		Officers: []pki.Officer{{ID: "linh", Name: "Nguyễn Thị Lĩnh"}, {ID: "an", Name: "Lê Văn An"}}})
	if err != nil {
		t.Fatal(err)
	}
	st := &stack{pki: p, sms: map[string]string{}}
	srv, err := cscserver.New(p, cscserver.Options{
		Clients: map[string]string{"sohoa": "dev-secret"}, Multisign: multisign,
		SendOTP: func(_ context.Context, userID, cred, code string) error {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.sms[cred] = code
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/pki/", p.Handler())
	mux.Handle("/csc/v2/", srv)
	client, err := csc.New(csc.Config{BaseURL: hs.URL + "/csc/v2", Username: "sohoa", Password: "dev-secret"})
	if err != nil {
		t.Fatal(err)
	}
	seal := p.Seal()
	st.svc, err = signing.New(signing.Config{
		Remote: client, Seal: seal.Signer, SealChain: seal.Chain, Roots: p.Roots(), TSAURL: p.TSAURL(),
		Location: "Thành phố Hồ Chí Minh", OTPLimits: limits,
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestCredentialsAndOTP(t *testing.T) {
	st := newStack(t, 10)
	ctx := context.Background()
	creds, err := st.svc.Credentials(ctx, "linh")
	if err != nil || len(creds) != 1 {
		t.Fatal(creds, err)
	}
	if creds[0].Subject != "Nguyễn Thị Lĩnh" || strings.Count(creds[0].CertificatePEM, "BEGIN CERTIFICATE") != 3 {
		t.Errorf("%+v", creds[0])
	}
	if err := st.svc.SendOTP(ctx, "an", creds[0].ID); errs.KindOf(err) != errs.NotFound {
		t.Errorf("another officer's credential: %v", err)
	}
	if err := st.svc.SendOTP(ctx, "linh", creds[0].ID); err != nil || len(st.otp(creds[0].ID)) != 6 {
		t.Errorf("OTP not sent: %v", err)
	}
}

func TestSignResults(t *testing.T) {
	st := newStack(t, 10)
	ctx := context.Background()
	cred := cscserver.CredentialID("linh")
	docs := []signing.Document{
		{ID: "d1", PDF: padestest.PDF(1, false)},
		{ID: "broken", PDF: []byte("%PDF-1.7\nnot really\n%%EOF\n")},
		{ID: "d3", PDF: padestest.PDF(3, false)},
	}
	if err := st.svc.SendOTP(ctx, "linh", cred); err != nil {
		t.Fatal(err)
	}
	if _, err := st.svc.SignResults(ctx, "linh", cred, "123456x", docs); errs.KindOf(err) != errs.Forbidden {
		t.Fatalf("wrong OTP: %v", err)
	}
	code := st.otp(cred)
	out, err := st.svc.SignResults(ctx, "linh", cred, code, docs)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		if o.ID == "broken" {
			if o.Err == nil || o.PDF != nil {
				t.Errorf("broken document: %+v", o)
			}
			continue
		}
		if o.Err != nil || !o.Report.Valid || o.Report.Signatures[0].Level != "B-LT" {
			t.Fatalf("%s: %v %+v", o.ID, o.Err, o.Report)
		}
		sealed, err := st.svc.Seal(ctx, o.PDF, signing.SealMeta{Visible: true})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := st.svc.Verify(ctx, sealed)
		if err != nil || !rep.Valid || len(rep.Signatures) != 2 || rep.Signatures[1].Signer != "Ủy ban nhân dân phường Bến Nghé" {
			t.Errorf("sealed: %v %+v", err, rep)
		}
	}
	if _, err := st.svc.SignResults(ctx, "linh", cred, code, docs[:1]); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("used OTP: %v", err)
	}
	if _, err := st.svc.SignResults(ctx, "an", cred, code, docs[:1]); errs.KindOf(err) != errs.NotFound {
		t.Errorf("someone else's credential: %v", err)
	}
	many := make([]signing.Document, 11)
	for i := range many {
		many[i] = signing.Document{ID: fmt.Sprint(i), PDF: docs[0].PDF}
	}
	if _, err := st.svc.SignResults(ctx, "linh", cred, code, many); errs.KindOf(err) != errs.Invalid {
		t.Errorf("over multisign: %v", err)
	}
}

// benchSign signs b.N documents through the local CSC provider in batches of
// batch with one OTP each, and reports signatures per second.
func benchSign(b *testing.B, pages int, batch int) {
	st := newStack(b, 200)
	ctx := context.Background()
	cred := cscserver.CredentialID("linh")
	pdf := padestest.PDF(pages, true)
	b.SetBytes(int64(len(pdf)))
	b.ResetTimer()
	start := time.Now()
	for done := 0; done < b.N; {
		n := min(batch, b.N-done)
		docs := make([]signing.Document, n)
		for i := range docs {
			docs[i] = signing.Document{ID: fmt.Sprint(i), PDF: pdf}
		}
		if err := st.svc.SendOTP(ctx, "linh", cred); err != nil {
			b.Fatal(err)
		}
		out, err := st.svc.SignResults(ctx, "linh", cred, st.otp(cred), docs)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range out {
			if o.Err != nil {
				b.Fatal(o.Err)
			}
		}
		done += n
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sig/s")
}

func BenchmarkSignResults1Page(b *testing.B)   { benchSign(b, 1, 50) }
func BenchmarkSignResults20Pages(b *testing.B) { benchSign(b, 20, 50) }
func BenchmarkSignBatch200(b *testing.B)       { benchSign(b, 1, 200) }

// TestSealOnly: a Service without a remote provider seals and verifies, and
// says plainly that officer signing is unavailable.
func TestSealOnly(t *testing.T) {
	ctx := context.Background()
	p := newStack(t, 0).pki
	s, err := signing.New(signing.Config{Seal: p.Seal().Signer, SealChain: p.Seal().Chain, Roots: p.Roots(), TSAURL: p.TSAURL()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Credentials(ctx, "linh"); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("Credentials without a provider: %v", err)
	}
	if _, err := s.SignResults(ctx, "linh", "cred-linh", "123456", []signing.Document{{PDF: []byte("%PDF")}}); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("SignResults without a provider: %v", err)
	}
	sealed, err := s.Seal(ctx, padestest.PDF(1, false), signing.SealMeta{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify(ctx, sealed)
	if err != nil || !rep.Valid {
		t.Fatalf("sealed PDF does not verify: %v %+v", err, rep)
	}
}

// TestOTPLimits: codes are sent at most MaxSends times per window; wrong
// codes in a row lock the credential (no code sent, nothing signed) with a
// message that says until when and what to do; then all works again.
func TestOTPLimits(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	limits := &signing.OTPLimits{Records: localtest.DB(t).Table().WithClock(clock), Now: clock,
		MaxSends: 3, SendWindow: 10 * time.Minute, MaxFailures: 3, Lockout: 30 * time.Minute}
	st := newStackWith(t, 10, limits)
	ctx := context.Background()
	cred := cscserver.CredentialID("linh")
	doc := []signing.Document{{ID: "d1", PDF: padestest.PDF(1, false)}}
	tooMany := func(err error, want string) {
		t.Helper()
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.TooMany || e.RetryAfter <= 0 || !strings.Contains(e.Message, want) {
			t.Fatalf("got %v, want 429 saying %q", err, want)
		}
	}
	steps := []struct {
		name string
		at   time.Duration // after the start
		do   func() error
		want string // "" ok; "locked"/"asked" a refusal; "wrong" a wrong code
	}{
		{"send 1", 0, func() error { return st.svc.SendOTP(ctx, "linh", cred) }, ""},
		{"send 2", time.Minute, func() error { return st.svc.SendOTP(ctx, "linh", cred) }, ""},
		{"send 3", 2 * time.Minute, func() error { return st.svc.SendOTP(ctx, "linh", cred) }, ""},
		{"send 4 refused", 3 * time.Minute, func() error { return st.svc.SendOTP(ctx, "linh", cred) }, "Bạn đã yêu cầu 3 mã OTP"},
		{"send again once the first is out of the window", 10 * time.Minute, func() error { return st.svc.SendOTP(ctx, "linh", cred) }, ""},
		{"wrong code 1", 11 * time.Minute, func() error { _, err := st.svc.SignResults(ctx, "linh", cred, "000000", doc); return err }, "wrong"},
		{"wrong code 2", 11 * time.Minute, func() error { _, err := st.svc.SignResults(ctx, "linh", cred, "000001", doc); return err }, "wrong"},
		{"wrong code 3 locks", 11 * time.Minute, func() error { _, err := st.svc.SignResults(ctx, "linh", cred, "000002", doc); return err }, "tạm khoá đến"},
		{"no code while locked", 20 * time.Minute, func() error { return st.svc.SendOTP(ctx, "linh", cred) }, "tạm khoá đến"},
		{"the right code does not sign while locked", 20 * time.Minute, func() error {
			_, err := st.svc.SignResults(ctx, "linh", cred, st.otp(cred), doc)
			return err
		}, "tạm khoá đến"},
		{"another officer is not locked", 20 * time.Minute, func() error { return st.svc.SendOTP(ctx, "an", cscserver.CredentialID("an")) }, ""},
		{"a code after the lockout", 42 * time.Minute, func() error { return st.svc.SendOTP(ctx, "linh", cred) }, ""},
		{"and it signs", 42 * time.Minute, func() error { _, err := st.svc.SignResults(ctx, "linh", cred, st.otp(cred), doc); return err }, ""},
	}
	start := now
	for _, s := range steps {
		now = start.Add(s.at)
		err := s.do()
		switch s.want {
		case "":
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		case "wrong":
			if errs.KindOf(err) != errs.Forbidden {
				t.Fatalf("%s: %v, want a wrong code", s.name, err)
			}
		default:
			tooMany(err, s.want)
		}
	}
}
