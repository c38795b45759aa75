package kms

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"testing"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// hmacKMS answers GenerateMac/VerifyMac as KMS does for an HMAC_256 key,
// with a key held here: the adapter's request shapes and error mapping are
// under test, not HMAC.
type hmacKMS struct {
	key   []byte
	keyID string
}

func (k hmacKMS) GenerateMac(_ context.Context, in *awskms.GenerateMacInput, _ ...func(*awskms.Options)) (*awskms.GenerateMacOutput, error) {
	if *in.KeyId != k.keyID {
		return nil, &smithy.GenericAPIError{Code: "NotFoundException"}
	}
	if in.MacAlgorithm != types.MacAlgorithmSpecHmacSha256 {
		return nil, &smithy.GenericAPIError{Code: "InvalidKeyUsageException"}
	}
	m := hmac.New(sha256.New, k.key)
	m.Write(in.Message)
	return &awskms.GenerateMacOutput{Mac: m.Sum(nil), KeyId: in.KeyId, MacAlgorithm: in.MacAlgorithm}, nil
}

func (k hmacKMS) VerifyMac(ctx context.Context, in *awskms.VerifyMacInput, _ ...func(*awskms.Options)) (*awskms.VerifyMacOutput, error) {
	out, err := k.GenerateMac(ctx, &awskms.GenerateMacInput{KeyId: in.KeyId, MacAlgorithm: in.MacAlgorithm, Message: in.Message})
	if err != nil {
		return nil, err
	}
	if !hmac.Equal(out.Mac, in.Mac) {
		return nil, &smithy.GenericAPIError{Code: "KMSInvalidMacException"}
	}
	return &awskms.VerifyMacOutput{MacValid: true}, nil
}

func TestMAC(t *testing.T) {
	ctx := context.Background()
	m, err := NewMAC(hmacKMS{key: []byte("k"), keyID: "alias/audit"}, "alias/audit")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := m.Sum(ctx, []byte("entry"))
	if err != nil || len(sum) != 32 {
		t.Fatalf("Sum = %x, %v", sum, err)
	}
	if ok, err := m.Verify(ctx, []byte("entry"), sum); !ok || err != nil {
		t.Fatalf("Verify(own MAC) = %v, %v", ok, err)
	}
	if ok, err := m.Verify(ctx, []byte("entry!"), sum); ok || err != nil {
		t.Fatalf("Verify(other message) = %v, %v; want false, nil", ok, err)
	}
	wrong, _ := NewMAC(hmacKMS{key: []byte("k"), keyID: "alias/audit"}, "alias/other")
	if _, err := wrong.Sum(ctx, []byte("x")); err == nil {
		t.Fatal("a missing key is not an error")
	}
}
