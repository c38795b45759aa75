// Package kms adapts an AWS KMS asymmetric key to crypto.Signer, for the
// agency seal: kms:Sign with MessageType=DIGEST, ECC_NIST_P256 (ECDSA, DER
// signatures) or RSA (PKCS#1 v1.5 unless the caller asks for PSS, so the CMS
// algorithm identifiers written by pkg/format/pades match). The certificate chain
// comes from configuration; the key's public half is read once with
// GetPublicKey and must match it.
//
// It is an adapter: domain packages take a crypto.Signer and never import it.
package kms

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/sohoa/sohoa/pkg/errs"
)

// API is the part of the KMS client the signer uses; *kms.Client implements it.
type API interface {
	Sign(ctx context.Context, in *awskms.SignInput, opts ...func(*awskms.Options)) (*awskms.SignOutput, error)
	GetPublicKey(ctx context.Context, in *awskms.GetPublicKeyInput, opts ...func(*awskms.Options)) (*awskms.GetPublicKeyOutput, error)
}

var _ API = (*awskms.Client)(nil)

// Signer is a crypto.Signer whose key lives in AWS KMS.
type Signer struct {
	api     API
	keyID   string
	pub     crypto.PublicKey
	chain   []*x509.Certificate
	timeout time.Duration
}

var _ crypto.Signer = (*Signer)(nil)

// Options configures New.
type Options struct {
	// Timeout bounds each Sign call (crypto.Signer has no context); default 10 s.
	Timeout time.Duration
}

// New reads the public key of keyID and checks it against chain[0].
func New(ctx context.Context, api API, keyID string, chain []*x509.Certificate, o Options) (*Signer, error) {
	if api == nil || keyID == "" || len(chain) == 0 {
		return nil, errs.E(errs.Invalid, "kms: client, key ID and certificate chain are required")
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	out, err := api.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return nil, mapErr(err, "read the public key")
	}
	if out.KeyUsage != types.KeyUsageTypeSignVerify {
		return nil, errs.E(errs.Invalid, "kms: key %s is not a signing key (%s)", keyID, out.KeyUsage)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "kms: unreadable public key")
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve.Params().Name != "P-256" {
			return nil, errs.E(errs.Unsupported, "kms: only ECC_NIST_P256 ECDSA keys are supported")
		}
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, errs.E(errs.Unsupported, "kms: RSA keys must have at least 2048 bits")
		}
	default:
		return nil, errs.E(errs.Unsupported, "kms: key type %T is not supported", pub)
	}
	if eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !eq.Equal(chain[0].PublicKey) {
		return nil, errs.E(errs.Invalid, "kms: key %s does not match the configured certificate %q", keyID, chain[0].Subject.CommonName)
	}
	return &Signer{api: api, keyID: keyID, pub: pub, chain: chain, timeout: o.Timeout}, nil
}

// Public returns the key's public half.
func (s *Signer) Public() crypto.PublicKey { return s.pub }

// Chain returns the configured certificate chain, leaf first.
func (s *Signer) Chain() []*x509.Certificate { return s.chain }

// Sign signs digest (already hashed with opts.HashFunc()) with kms:Sign
// MessageType=DIGEST. RSA uses PKCS#1 v1.5 unless opts is *rsa.PSSOptions.
func (s *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	return s.SignContext(ctx, digest, opts)
}

// SignContext is Sign with a context.
func (s *Signer) SignContext(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	algo, err := algorithm(s.pub, opts)
	if err != nil {
		return nil, err
	}
	if len(digest) != opts.HashFunc().Size() {
		return nil, errs.E(errs.Invalid, "kms: digest is %d bytes, %v needs %d", len(digest), opts.HashFunc(), opts.HashFunc().Size())
	}
	out, err := s.api.Sign(ctx, &awskms.SignInput{
		KeyId: aws.String(s.keyID), Message: digest, MessageType: types.MessageTypeDigest, SigningAlgorithm: algo,
	})
	if err != nil {
		return nil, mapErr(err, "sign")
	}
	if len(out.Signature) == 0 {
		return nil, errs.E(errs.Unavailable, "kms: empty signature")
	}
	return out.Signature, nil
}

func algorithm(pub crypto.PublicKey, opts crypto.SignerOpts) (types.SigningAlgorithmSpec, error) {
	h := opts.HashFunc()
	switch pub.(type) {
	case *ecdsa.PublicKey:
		switch h {
		case crypto.SHA256:
			return types.SigningAlgorithmSpecEcdsaSha256, nil
		}
	case *rsa.PublicKey:
		_, pss := opts.(*rsa.PSSOptions)
		switch {
		case h == crypto.SHA256 && pss:
			return types.SigningAlgorithmSpecRsassaPssSha256, nil
		case h == crypto.SHA256:
			return types.SigningAlgorithmSpecRsassaPkcs1V15Sha256, nil
		case h == crypto.SHA384 && !pss:
			return types.SigningAlgorithmSpecRsassaPkcs1V15Sha384, nil
		case h == crypto.SHA512 && !pss:
			return types.SigningAlgorithmSpecRsassaPkcs1V15Sha512, nil
		}
	}
	return "", errs.E(errs.Unsupported, "kms: no signing algorithm for %T with %v", pub, h)
}

// mapErr turns KMS failures into errs kinds: a missing or disabled key is a
// configuration problem (Internal); throttling, timeouts and outages are
// Unavailable.
func mapErr(err error, op string) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NotFoundException", "DisabledException", "KMSInvalidStateException", "AccessDeniedException", "InvalidKeyUsageException":
			return errs.Wrap(errs.Internal, err, "kms: %s: %s", op, ae.ErrorCode())
		}
	}
	return errs.Wrap(errs.Unavailable, err, "kms: %s failed", op)
}
