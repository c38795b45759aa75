package kms

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/sohoa/sohoa/pkg/errs"
)

// MACAPI is the part of the KMS client the MAC uses; *kms.Client implements it.
type MACAPI interface {
	GenerateMac(ctx context.Context, in *awskms.GenerateMacInput, opts ...func(*awskms.Options)) (*awskms.GenerateMacOutput, error)
	VerifyMac(ctx context.Context, in *awskms.VerifyMacInput, opts ...func(*awskms.Options)) (*awskms.VerifyMacOutput, error)
}

var _ MACAPI = (*awskms.Client)(nil)

// MAC is the vault's access-log MAC (vault.MAC) on an AWS KMS HMAC key
// (HMAC_256, key usage GENERATE_VERIFY_MAC): the key never leaves KMS, so the
// records store and whoever can write it never hold it.
type MAC struct {
	api   MACAPI
	keyID string
}

// NewMAC returns the MAC of keyID.
func NewMAC(api MACAPI, keyID string) (*MAC, error) {
	if api == nil || keyID == "" {
		return nil, errs.E(errs.Invalid, "kms: client and HMAC key ID are required")
	}
	return &MAC{api: api, keyID: keyID}, nil
}

// Sum implements vault.MAC with kms:GenerateMac.
func (m *MAC) Sum(ctx context.Context, msg []byte) ([]byte, error) {
	out, err := m.api.GenerateMac(ctx, &awskms.GenerateMacInput{KeyId: aws.String(m.keyID),
		MacAlgorithm: types.MacAlgorithmSpecHmacSha256, Message: msg})
	if err != nil {
		return nil, mapErr(err, "generate MAC")
	}
	return out.Mac, nil
}

// Verify implements vault.MAC with kms:VerifyMac. A wrong MAC is false, not
// an error (KMS answers KMSInvalidMacException).
func (m *MAC) Verify(ctx context.Context, msg, mac []byte) (bool, error) {
	out, err := m.api.VerifyMac(ctx, &awskms.VerifyMacInput{KeyId: aws.String(m.keyID),
		MacAlgorithm: types.MacAlgorithmSpecHmacSha256, Message: msg, Mac: mac})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "KMSInvalidMacException" {
			return false, nil
		}
		return false, mapErr(err, "verify MAC")
	}
	return out.MacValid, nil
}
