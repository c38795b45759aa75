package identity

import (
	"crypto/x509"

	"github.com/golang-jwt/jwt/v5"

	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
)

func TestVerify(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	iss := NewIssuer(key, "sohoa-local", "sohoa")
	v := NewVerifier("sohoa-local", "sohoa", &key.PublicKey)
	officer := Actor{Subject: "cb01", Role: Officer, Agency: "000.00.01.H29", Name: "Nguyễn Thị Lĩnh"}
	good, err := iss.Issue(officer, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := iss.Issue(officer, now.Add(-2*time.Hour), time.Hour)
	foreign, _ := NewIssuer(other, "sohoa-local", "sohoa").Issue(officer, now, time.Hour)
	wrongAud, _ := NewIssuer(key, "sohoa-local", "other").Issue(officer, now, time.Hour)
	noAgency, _ := iss.Issue(Actor{Subject: "x", Role: Officer}, now, time.Hour)
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + b64([]byte(`{"sub":"cb01","role":"auditor","iss":"sohoa-local","aud":"sohoa","exp":9999999999}`)) + "." + parts[2]
	// Algorithm confusion: "none", and HS256 keyed with the public key's bytes.
	unsigned := b64([]byte(`{"alg":"none","typ":"JWT","kid":"`+KeyID(&key.PublicKey)+`"}`)) + "." + parts[1] + "."
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "cb01", "role": "agency_officer", "agency": "000.00.01.H29",
		"iss": "sohoa-local", "aud": "sohoa", "exp": now.Add(time.Hour).Unix()})
	hs.Header["kid"] = KeyID(&key.PublicKey)
	hmacToken, _ := hs.SignedString(pub)

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"good", good, true},
		{"expired", expired, false},
		{"signed by another key", foreign, false},
		{"wrong audience", wrongAud, false},
		{"officer without agency", noAgency, false},
		{"tampered claims", tampered, false},
		{"alg none", unsigned, false},
		{"HS256 with the public key", hmacToken, false},
		{"empty", "", false},
		{"garbage", "a.b.c", false},
		{"huge", strings.Repeat("a", maxTokenBytes+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := v.Verify(tt.token, now)
			if tt.ok {
				if err != nil || a != officer {
					t.Fatalf("Verify = %+v, %v; want %+v", a, err, officer)
				}
				return
			}
			if !errs.Is(err, errs.Unauthorized) {
				t.Fatalf("Verify err = %v, want Unauthorized", err)
			}
		})
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k", "token.pem")
	k1, err := LoadOrCreateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrCreateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	if !k1.Equal(k2) {
		t.Fatal("reloaded key differs")
	}
}

func TestLabelMasksCitizen(t *testing.T) {
	got := Actor{Subject: "001203012345", Role: Citizen}.Label()
	if strings.Contains(got, "203012") {
		t.Fatalf("Label leaks the citizen ID: %s", got)
	}
}
