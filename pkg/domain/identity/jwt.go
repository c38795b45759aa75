package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/sohoa/sohoa/pkg/errs"
)

// maxTokenBytes bounds the size of a token we are willing to parse.
const maxTokenBytes = 8 << 10

// claims are the JWT claims Sohoa reads: the registered ones (RFC 7519) and
// the actor's role, agency, name and post office.
type claims struct {
	Role       Role   `json:"role"`
	Agency     string `json:"agency,omitempty"`
	Name       string `json:"name,omitempty"`
	PostOffice string `json:"postOffice,omitempty"`
	jwt.RegisteredClaims
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
	c := claims{Role: a.Role, Agency: a.Agency, Name: a.Name, PostOffice: a.PostOffice,
		RegisteredClaims: jwt.RegisteredClaims{Subject: a.Subject, Issuer: i.issuer, Audience: jwt.ClaimStrings{i.audience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl))}}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, c)
	t.Header["kid"] = i.kid
	s, err := t.SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
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

// Verify checks token's signature (ES256 only, by its key ID), issuer,
// audience and lifetime at now, and returns its actor. Every failure is
// errs.Unauthorized.
func (v *Verifier) Verify(token string, now time.Time) (Actor, error) {
	if len(token) == 0 || len(token) > maxTokenBytes {
		return Actor{}, errBadToken
	}
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := v.keys[kid]
		if !ok {
			return nil, errors.New("unknown key")
		}
		return key, nil
	}, jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}), jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience), jwt.WithExpirationRequired(), jwt.WithLeeway(v.leeway),
		jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		return Actor{}, errBadToken
	}
	a := Actor{Subject: c.Subject, Role: c.Role, Agency: c.Agency, Name: c.Name, PostOffice: c.PostOffice}
	if err := a.Check(); err != nil {
		return Actor{}, errs.Wrap(errs.Unauthorized, err, "the access token's claims are incomplete")
	}
	return a, nil
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
