package kms_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sohoa/sohoa/pkg/aws/kms"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
)

// kmsServer speaks the KMS JSON 1.1 protocol (X-Amz-Target TrentService.*)
// for GetPublicKey and Sign, with real private keys: signatures are computed,
// not canned.
type kmsServer struct {
	keys  map[string]crypto.Signer
	signs atomic.Int32
	algos []string
}

func (k *kmsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	fail := func(code, msg string) {
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		fail("UnrecognizedClientException", "unsigned request")
		return
	}
	var in struct {
		KeyId, MessageType, SigningAlgorithm string
		Message                              []byte
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail("ValidationException", err.Error())
		return
	}
	key, ok := k.keys[in.KeyId]
	if !ok {
		fail("NotFoundException", "Key '"+in.KeyId+"' does not exist")
		return
	}
	switch r.Header.Get("X-Amz-Target") {
	case "TrentService.GetPublicKey":
		der, _ := x509.MarshalPKIXPublicKey(key.Public())
		spec, algos := "ECC_NIST_P256", []string{"ECDSA_SHA_256"}
		if _, ok := key.(*rsa.PrivateKey); ok {
			spec, algos = "RSA_2048", []string{"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PSS_SHA_256"}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"KeyId": in.KeyId, "PublicKey": der, "KeySpec": spec, "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": algos})
	case "TrentService.Sign":
		if in.MessageType != "DIGEST" || len(in.Message) != 32 {
			fail("ValidationException", "this test server signs SHA-256 digests only")
			return
		}
		var sig []byte
		var err error
		switch in.SigningAlgorithm {
		case "ECDSA_SHA_256":
			sig, err = key.Sign(rand.Reader, in.Message, crypto.SHA256)
		case "RSASSA_PKCS1_V1_5_SHA_256":
			sig, err = key.Sign(rand.Reader, in.Message, crypto.SHA256)
		case "RSASSA_PSS_SHA_256":
			sig, err = key.Sign(rand.Reader, in.Message, &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash})
		default:
			fail("InvalidKeyUsageException", "unsupported algorithm "+in.SigningAlgorithm)
			return
		}
		if err != nil {
			fail("KMSInternalException", err.Error())
			return
		}
		k.signs.Add(1)
		k.algos = append(k.algos, in.SigningAlgorithm)
		_ = json.NewEncoder(w).Encode(map[string]any{"KeyId": in.KeyId, "Signature": sig, "SigningAlgorithm": in.SigningAlgorithm})
	default:
		fail("UnknownOperationException", r.Header.Get("X-Amz-Target"))
	}
}

func client(url string) *awskms.Client {
	return awskms.New(awskms.Options{
		Region:       "ap-southeast-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"}, nil
		}),
		RetryMaxAttempts: 1,
	})
}

// chainFor issues a certificate for pub from a throwaway root.
func chainFor(t *testing.T, pub crypto.PublicKey) []*x509.Certificate {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "KMS test root"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Ủy ban nhân dân (KMS)"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, pub, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return []*x509.Certificate{leaf, ca}
}

func TestSignerOverKMSProtocol(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	srv := &kmsServer{keys: map[string]crypto.Signer{"alias/seal-ec": ec, "alias/seal-rsa": rs}}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	api := client(hs.URL)
	ctx := context.Background()

	tests := []struct {
		key      string
		pub      crypto.PublicKey
		wantAlgo string
	}{
		{"alias/seal-ec", &ec.PublicKey, "ECDSA_SHA_256"},
		{"alias/seal-rsa", &rs.PublicKey, "RSASSA_PKCS1_V1_5_SHA_256"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			chain := chainFor(t, tt.pub)
			s, err := kms.New(ctx, api, tt.key, chain, kms.Options{})
			if err != nil {
				t.Fatal(err)
			}
			before := srv.signs.Load()
			out, err := pades.Sign(ctx, padestest.PDF(1, false), pades.Options{Signer: s, Chain: chain, Level: pades.LevelB, Name: "Con dấu cơ quan"})
			if err != nil {
				t.Fatal(err)
			}
			if n := srv.signs.Load() - before; n != 1 {
				t.Errorf("%d kms:Sign calls, want 1", n)
			}
			if got := srv.algos[len(srv.algos)-1]; got != tt.wantAlgo {
				t.Errorf("algorithm %s, want %s", got, tt.wantAlgo)
			}
			roots := x509.NewCertPool()
			roots.AddCert(chain[1])
			rep, err := pades.Verify(ctx, out, pades.VerifyOptions{Roots: roots})
			if err != nil || !rep.Valid {
				t.Fatalf("%v %+v", err, rep)
			}
		})
	}
	t.Run("PSS when asked", func(t *testing.T) {
		chain := chainFor(t, &rs.PublicKey)
		s, err := kms.New(ctx, api, "alias/seal-rsa", chain, kms.Options{})
		if err != nil {
			t.Fatal(err)
		}
		d := make([]byte, 32)
		sig, err := s.Sign(rand.Reader, d, &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash})
		if err != nil {
			t.Fatal(err)
		}
		if err := rsa.VerifyPSS(&rs.PublicKey, crypto.SHA256, d, sig, nil); err != nil {
			t.Error(err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		if _, err := kms.New(ctx, api, "alias/missing", chainFor(t, &ec.PublicKey), kms.Options{}); errs.KindOf(err) != errs.Internal {
			t.Errorf("missing key: %v", err)
		}
		if _, err := kms.New(ctx, api, "alias/seal-ec", chainFor(t, &rs.PublicKey), kms.Options{}); errs.KindOf(err) != errs.Invalid {
			t.Errorf("certificate of another key: %v", err)
		}
		down := client("http://127.0.0.1:1")
		if _, err := kms.New(ctx, down, "alias/seal-ec", chainFor(t, &ec.PublicKey), kms.Options{}); errs.KindOf(err) != errs.Unavailable {
			t.Errorf("KMS down: %v", err)
		}
		s, _ := kms.New(ctx, api, "alias/seal-ec", chainFor(t, &ec.PublicKey), kms.Options{})
		if _, err := s.Sign(rand.Reader, make([]byte, 20), crypto.SHA256); errs.KindOf(err) != errs.Invalid {
			t.Errorf("short digest: %v", err)
		}
	})
}
