package assemble

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sohoa/sohoa/pkg/domain/identity"
)

// keyring is KMS's GenerateMac for a few HMAC keys held here (the port's
// two calls; VerifyMac is never used by the derivation).
type keyring map[string][]byte

func (k keyring) GenerateMac(_ context.Context, in *awskms.GenerateMacInput, _ ...func(*awskms.Options)) (*awskms.GenerateMacOutput, error) {
	key, ok := k[aws.ToString(in.KeyId)]
	if !ok {
		return nil, errors.New("NotFoundException: no such key")
	}
	m := hmac.New(sha256.New, key)
	m.Write(in.Message)
	return &awskms.GenerateMacOutput{Mac: m.Sum(nil), KeyId: in.KeyId}, nil
}

func (k keyring) VerifyMac(context.Context, *awskms.VerifyMacInput, ...func(*awskms.Options)) (*awskms.VerifyMacOutput, error) {
	return nil, errors.New("not used")
}

func TestDeriveSessionKey(t *testing.T) {
	ctx := context.Background()
	kr := keyring{"a": []byte("first key material, 32 bytes...."), "b": []byte("second key material, 32 bytes..")}
	a1, err := DeriveSessionKey(ctx, kr, "a")
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := DeriveSessionKey(ctx, kr, "a")
	b, _ := DeriveSessionKey(ctx, kr, "b")
	if !bytes.Equal(a1, a2) {
		t.Error("two inits of the same stack derive different keys: sessions would end at each cold start")
	}
	if bytes.Equal(a1, b) {
		t.Error("two KMS keys derive the same session key")
	}
	if len(a1) < identity.MinSessionKey {
		t.Errorf("the derived key has %d bytes: too short for the sessions", len(a1))
	}
	if _, err := DeriveSessionKey(ctx, kr, "missing"); err == nil {
		t.Error("a KMS failure gave a key")
	}
}
