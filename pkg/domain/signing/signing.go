// Package signing is the service the HTTP layer calls to sign and verify
// results: officers sign with a remote credential (CSC API, authorized by an
// OTP), the agency seals with a key it holds (a crypto.Signer: the dev PKI's
// locally, AWS KMS in the cloud), and every signature is verified before it
// is returned. It does not know where keys live.
//
// It is not the HTTP layer and stores nothing but the counters of
// OTPLimits: callers store what it returns.
package signing

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/csc"
	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
)

// Remote is a remote signing provider; *csc.Client implements it.
type Remote interface {
	ListCredentials(ctx context.Context, userID string) ([]string, error)
	CredentialInfo(ctx context.Context, credentialID string) (*csc.Credential, error)
	SendOTP(ctx context.Context, credentialID string) error
	Authorize(ctx context.Context, credentialID string, hashes [][]byte, otp, pin string) (string, error)
	SignHash(ctx context.Context, credentialID, sad string, hashes [][]byte, signAlgo string) ([][]byte, error)
}

var _ Remote = (*csc.Client)(nil)

// Config configures a Service.
type Config struct {
	// Remote is the officers' remote signing provider. Optional: without it
	// only Seal and Verify work (the ingest function seals and signs nothing else).
	Remote Remote
	// Seal is the agency seal key and SealChain its chain (leaf first).
	// Optional: without them Seal fails.
	Seal      crypto.Signer
	SealChain []*x509.Certificate
	// Roots are the trust anchors for verification. Required.
	Roots *x509.CertPool
	// TSAURL is the RFC 3161 time-stamping authority. Required.
	TSAURL string
	// HTTPClient talks to the TSA and to OCSP/CRL servers (default: 10 s timeout).
	HTTPClient *http.Client
	// Location is written into signatures, e.g. "Thành phố Hồ Chí Minh".
	Location string
	// Workers bounds the documents prepared and embedded at once
	// (default 2×GOMAXPROCS, at least 4).
	Workers int
	// MaxBatch bounds a batch (default 200; the credential's multisign
	// also applies).
	MaxBatch int
	// OTPLimits, if set, bounds the codes sent per officer and credential
	// and locks a credential after repeated wrong codes.
	OTPLimits *OTPLimits
}

// Service signs and verifies PDFs. It is safe for concurrent use.
type Service struct {
	cfg  Config
	rev  *pades.RevocationCache
	font *pdffont.Font // the visible signature's text, parsed once
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Roots == nil || cfg.TSAURL == "" {
		return nil, errs.E(errs.Invalid, "signing: Roots and TSAURL are required")
	}
	if cfg.Seal != nil && len(cfg.SealChain) == 0 {
		return nil, errs.E(errs.Invalid, "signing: the seal key needs its certificate chain")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = max(4, 2*runtime.GOMAXPROCS(0)) // embedding waits on the TSA
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 200
	}
	f, err := pdffont.NewFont()
	if err != nil {
		return nil, fmt.Errorf("signing: appearance font: %w", err)
	}
	return &Service{cfg: cfg, rev: pades.NewRevocationCache(5 * time.Minute), font: f}, nil
}

// errNoRemote is the answer of the officer routes of a Service without a provider.
var errNoRemote = errs.E(errs.Unavailable, "no remote signing provider is configured")

// Credential is an officer's signing credential.
type Credential struct {
	ID      string `json:"id"`
	Subject string `json:"subject"`
	// CertificatePEM is the chain from the signer up to and including the root.
	CertificatePEM string `json:"certificate"`
}

// Credentials lists userID's credentials at the provider.
func (s *Service) Credentials(ctx context.Context, userID string) ([]Credential, error) {
	if s.cfg.Remote == nil {
		return nil, errNoRemote
	}
	ids, err := s.cfg.Remote.ListCredentials(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Credential, 0, len(ids))
	for _, id := range ids {
		info, err := s.cfg.Remote.CredentialInfo(ctx, id)
		if err != nil {
			return nil, err
		}
		var b []byte
		for _, c := range info.Chain {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		out = append(out, Credential{ID: id, Subject: info.Chain[0].Subject.CommonName, CertificatePEM: string(b)})
	}
	return out, nil
}

// owned checks that credentialID belongs to userID, so one officer cannot
// trigger OTPs or sign with another's credential through our service account.
func (s *Service) owned(ctx context.Context, userID, credentialID string) error {
	if s.cfg.Remote == nil {
		return errNoRemote
	}
	ids, err := s.cfg.Remote.ListCredentials(ctx, userID)
	if err != nil {
		return err
	}
	if !slices.Contains(ids, credentialID) {
		return errs.E(errs.NotFound, "no credential %q for this officer", credentialID)
	}
	return nil
}

// SendOTP has the provider send userID a one-time password for credentialID.
func (s *Service) SendOTP(ctx context.Context, userID, credentialID string) error {
	if err := s.owned(ctx, userID, credentialID); err != nil {
		return err
	}
	if s.cfg.OTPLimits != nil {
		if err := s.cfg.OTPLimits.allowSend(ctx, userID, credentialID); err != nil {
			return err
		}
	}
	return s.cfg.Remote.SendOTP(ctx, credentialID)
}

// Document is a result to sign.
type Document struct {
	// ID is the caller's identifier, returned in the Outcome.
	ID string
	// PDF is the unsigned (or already signed) result.
	PDF []byte
	// Reason is written into the signature (default "Phê duyệt kết quả giải
	// quyết thủ tục hành chính").
	Reason string
}

// Outcome is what happened to one document.
type Outcome struct {
	ID string
	// PDF is the signed and verified document when Err is nil.
	PDF []byte
	// Report is the verification of PDF.
	Report *pades.Report
	// Err says why this document is not signed.
	Err error
}

// DefaultReason is the signature reason of a result.
const DefaultReason = "Phê duyệt kết quả giải quyết thủ tục hành chính"

// SignResults signs docs with the officer's remote credential under one
// authorization: every document is prepared and its hash computed, the OTP
// is exchanged for a SAD bound to all the hashes, one signHash call signs
// them, then each signature is embedded, time-stamped and verified.
//
// A wrong or used OTP is errs.Forbidden and signs nothing; a provider that is
// down or answers garbage is errs.Unavailable and signs nothing. Otherwise
// the error is nil and each Outcome says whether its document was signed: a
// document that fails leaves the others signed.
func (s *Service) SignResults(ctx context.Context, userID, credentialID, otp string, docs []Document) ([]Outcome, error) {
	cred, algo, err := s.credential(ctx, userID, credentialID, otp, len(docs), s.cfg.MaxBatch)
	if err != nil {
		return nil, err
	}

	out := make([]Outcome, len(docs))
	prepared := make([]*pades.Prepared, len(docs))
	for i := range docs {
		out[i].ID = docs[i].ID
	}
	s.each(len(docs), func(i int, err error) { out[i].Err = err }, func(i int) {
		reason := docs[i].Reason
		if reason == "" {
			reason = DefaultReason
		}
		prepared[i], out[i].Err = pades.Prepare(ctx, docs[i].PDF, s.options(cred.Chain, nil, reason))
	})
	idx, sigs, err := s.signAll(ctx, userID, credentialID, otp, algo, len(docs), func(i int) []byte {
		if out[i].Err != nil {
			return nil
		}
		return prepared[i].Digest()
	})
	if err != nil {
		return nil, err
	}
	if len(idx) == 0 {
		return out, nil
	}
	s.each(len(idx), func(k int, err error) { out[idx[k]].Err = err }, func(k int) {
		i := idx[k]
		pdf, err := prepared[i].Embed(ctx, sigs[k])
		if err != nil {
			out[i].Err = err
			return
		}
		// Embed verified pdf against cfg.Roots before returning it.
		out[i].PDF, out[i].Report = pdf, prepared[i].Report()
	})
	return out, nil
}

// credential checks a request to sign n documents under one authorization
// with userID's credentialID (at most limit, and what the credential's
// multisign allows) and returns the credential and its signature algorithm.
// signAll exchanges the OTP for one authorization bound to the digests of
// the n documents (digest answers nil for a document that failed already)
// and signs them in one signHash call: sigs[k] signs document idx[k]. A
// provider that answers with a different number of values signs nothing.
//
// A wrong code counts towards the credential's lockout (OTPLimits); the one
// that locks it answers so.
func (s *Service) signAll(ctx context.Context, userID, credentialID, otp, algo string, n int, digest func(i int) []byte) (idx []int, sigs [][]byte, err error) {
	var hashes [][]byte
	for i := range n {
		if h := digest(i); h != nil {
			idx = append(idx, i)
			hashes = append(hashes, h)
		}
	}
	if len(idx) == 0 {
		return nil, nil, nil
	}
	sad, err := s.cfg.Remote.Authorize(ctx, credentialID, hashes, otp, "")
	if l := s.cfg.OTPLimits; l != nil && (err == nil || errs.Is(err, errs.Forbidden)) {
		if lerr := l.outcome(ctx, userID, credentialID, err != nil); errs.Is(lerr, errs.TooMany) {
			return nil, nil, lerr
		}
		// A right code whose count could not be reset still signs.
	}
	if err != nil {
		return nil, nil, err
	}
	if sigs, err = s.cfg.Remote.SignHash(ctx, credentialID, sad, hashes, algo); err != nil {
		return nil, nil, err
	}
	if len(sigs) != len(idx) {
		return nil, nil, errs.E(errs.Unavailable, "the signing service returned %d signatures for %d hashes", len(sigs), len(idx))
	}
	return idx, sigs, nil
}

func (s *Service) credential(ctx context.Context, userID, credentialID, otp string, n, limit int) (*csc.Credential, string, error) {
	if n == 0 {
		return nil, "", errs.E(errs.Invalid, "nothing to sign")
	}
	if otp == "" {
		return nil, "", errs.FieldError("otp", "the OTP is required")
	}
	if err := s.owned(ctx, userID, credentialID); err != nil {
		return nil, "", err
	}
	if s.cfg.OTPLimits != nil {
		if err := s.cfg.OTPLimits.allowSign(ctx, userID, credentialID); err != nil {
			return nil, "", err
		}
	}
	cred, err := s.cfg.Remote.CredentialInfo(ctx, credentialID)
	if err != nil {
		return nil, "", err
	}
	if limit = min(limit, cred.Multisign); n > limit {
		return nil, "", errs.E(errs.Invalid, "%d documents exceed the %d one authorization can sign", n, limit)
	}
	algo, err := signAlgo(cred.Chain[0].PublicKey)
	if err != nil {
		return nil, "", err
	}
	return cred, algo, nil
}

// SealMeta describes an agency seal.
type SealMeta struct {
	// Reason defaults to "Đóng dấu của cơ quan".
	Reason string
	// Visible draws the seal's appearance on the last page.
	Visible bool
	// InPlace says the caller gives pdf up: it is sealed in its spare capacity
	// when it has room (pades.Options.InPlace), not copied.
	InPlace bool
}

// Seal applies the agency seal to pdf (after any officer signature) and
// returns the verified result.
func (s *Service) Seal(ctx context.Context, pdf []byte, meta SealMeta) ([]byte, error) {
	if s.cfg.Seal == nil {
		return nil, errs.E(errs.Unavailable, "no agency seal is configured")
	}
	if meta.Reason == "" {
		meta.Reason = "Đóng dấu của cơ quan"
	}
	o := s.options(s.cfg.SealChain, s.cfg.Seal, meta.Reason)
	if !meta.Visible {
		o.Visible = nil
	}
	o.InPlace = meta.InPlace
	return sealOne(ctx, pdf, o)
}

// sealOne is pades.Sign with a panic turned into an error for this document.
func sealOne(ctx context.Context, pdf []byte, o pades.Options) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, errs.Wrap(errs.Unprocessable, fmt.Errorf("panic: %v", r), "the PDF could not be sealed: its structure is damaged")
		}
	}()
	return pades.Sign(ctx, pdf, o)
}

// Verify verifies every signature of pdf against the configured roots.
func (s *Service) Verify(ctx context.Context, pdf []byte) (*pades.Report, error) {
	return pades.Verify(ctx, pdf, pades.VerifyOptions{Roots: s.cfg.Roots})
}

func (s *Service) options(chain []*x509.Certificate, signer crypto.Signer, reason string) pades.Options {
	return pades.Options{
		Signer: signer, Chain: chain, Name: chain[0].Subject.CommonName,
		Reason: reason, Location: s.cfg.Location,
		TSAURL: s.cfg.TSAURL, HTTPClient: s.cfg.HTTPClient, Revocation: s.rev,
		Visible: &pades.Appearance{Font: s.font}, Roots: s.cfg.Roots,
	}
}

// each runs f(0..n-1) on at most cfg.Workers goroutines and waits. The
// documents are untrusted PDFs: a panic in f(i) becomes fail(i, err) for that
// document alone, never the end of the process.
func (s *Service) each(n int, fail func(i int, err error), f func(i int)) {
	var g errgroup.Group
	g.SetLimit(s.cfg.Workers)
	for i := range n {
		g.Go(func() error {
			defer func() {
				if r := recover(); r != nil {
					fail(i, errs.Wrap(errs.Unprocessable, fmt.Errorf("panic: %v", r), "the PDF could not be signed: its structure is damaged"))
				}
			}()
			f(i)
			return nil
		})
	}
	_ = g.Wait()
}

func signAlgo(pub crypto.PublicKey) (string, error) {
	switch pub.(type) {
	case *ecdsa.PublicKey:
		return csc.OIDECDSASHA256, nil
	case *rsa.PublicKey:
		return csc.OIDSHA256RSA, nil
	}
	return "", errs.E(errs.Unsupported, "the credential's key type %T is not supported", pub)
}
