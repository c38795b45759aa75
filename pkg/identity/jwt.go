package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
)

// maxTokenBytes bounds the size of a token we are willing to parse.
const maxTokenBytes = 8 << 10

// claims are the JWT claims Sohoa reads (RFC 7519 registered claims plus role,
// agency, name, postOffice).
type claims struct {
	Actor
	Issuer    string `json:"iss"`
	Audience  string `json:"aud"`
	IssuedAt  int64  `json:"iat"`
	NotBefore int64  `json:"nbf,omitempty"`
	Expiry    int64  `json:"exp"`
}

type header struct {
	Alg string `json:"alg"`
	Typ string `json:"typ,omitempty"`
	Kid string `json:"kid,omitempty"`
}

// Issuer signs tokens with an ES256 key (RFC 7518 §3.4).
type Issuer struct {
	key      *ecdsa.PrivateKey
	kid      string
	issuer   string
	audience string
}

// NewIssuer returns an Issuer that signs with key and names itself issuer.
func NewIssuer(key *ecdsa.PrivateKey, issuer, audience string) *Issuer {
	return &Issuer{key: key, kid: KeyID(&key.PublicKey), issuer: issuer, audience: audience}
}

// Issue returns a signed token for a, valid for ttl from now.
func (i *Issuer) Issue(a Actor, now time.Time, ttl time.Duration) (string, error) {
	c := claims{Actor: a, Issuer: i.issuer, Audience: i.audience, IssuedAt: now.Unix(),
		NotBefore: now.Add(-time.Minute).Unix(), Expiry: now.Add(ttl).Unix()}
	h, _ := json.Marshal(header{Alg: "ES256", Typ: "JWT", Kid: i.kid})
	p, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode claims: %w", err)
	}
	signing := b64(h) + "." + b64(p)
	d := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, i.key, d[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signing + "." + b64(sig), nil
}

// Verifier checks ES256 tokens from one issuer.
type Verifier struct {
	keys     map[string]*ecdsa.PublicKey
	issuer   string
	audience string
	leeway   time.Duration
}

// NewVerifier returns a Verifier trusting keys (by key ID) for issuer and audience.
func NewVerifier(issuer, audience string, keys ...*ecdsa.PublicKey) *Verifier {
	m := make(map[string]*ecdsa.PublicKey, len(keys))
	for _, k := range keys {
		m[KeyID(k)] = k
	}
	return &Verifier{keys: m, issuer: issuer, audience: audience, leeway: 30 * time.Second}
}

var errBadToken = errs.E(errs.Unauthorized, "the access token is missing, malformed, expired or not ours; sign in again")

// Verify checks token's signature, issuer, audience and lifetime at now, and
// returns its actor. Every failure is errs.Unauthorized.
func (v *Verifier) Verify(token string, now time.Time) (Actor, error) {
	if len(token) == 0 || len(token) > maxTokenBytes {
		return Actor{}, errBadToken
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Actor{}, errBadToken
	}
	var h header
	if err := unb64JSON(parts[0], &h); err != nil || h.Alg != "ES256" {
		return Actor{}, errBadToken
	}
	key, ok := v.keys[h.Kid]
	if !ok {
		return Actor{}, errBadToken
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return Actor{}, errBadToken
	}
	d := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(key, d[:], r, s) {
		return Actor{}, errBadToken
	}
	var c claims
	if err := unb64JSON(parts[1], &c); err != nil {
		return Actor{}, errBadToken
	}
	switch {
	case c.Issuer != v.issuer, c.Audience != v.audience:
		return Actor{}, errBadToken
	case now.After(time.Unix(c.Expiry, 0).Add(v.leeway)):
		return Actor{}, errBadToken
	case c.NotBefore != 0 && now.Add(v.leeway).Before(time.Unix(c.NotBefore, 0)):
		return Actor{}, errBadToken
	}
	if err := c.Actor.Check(); err != nil {
		return Actor{}, errs.Wrap(errs.Unauthorized, err, "the access token's claims are incomplete")
	}
	return c.Actor, nil
}

// Check reports whether a has what its role needs: a subject, a known role, and
// an agency for an officer.
func (a Actor) Check() error {
	switch {
	case a.Subject == "":
		return errs.FieldError("subject", "a subject is required")
	case !a.Role.Valid():
		return errs.FieldError("role", "role must be postal_clerk, agency_officer, citizen or auditor")
	case a.Role == Officer && a.Agency == "":
		return errs.FieldError("agency", "an agency officer needs an agency")
	}
	return nil
}

// KeyID returns a stable identifier of a public key (RFC 7638-like thumbprint).
func KeyID(k *ecdsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(k)
	sum := sha256.Sum256(der)
	return b64(sum[:12])
}

// LoadOrCreateKey reads an ECDSA P-256 key from a PEM file, creating it (mode
// 0600) if the file does not exist.
func LoadOrCreateKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		blk, _ := pem.Decode(b)
		if blk == nil {
			return nil, fmt.Errorf("token key %s: not PEM", path)
		}
		k, err := x509.ParseECPrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("token key %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("token key: %w", err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("write token key: %w", err)
	}
	return k, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func unb64JSON(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
