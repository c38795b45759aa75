// Package pades signs PDF documents with PAdES baseline signatures (ETSI EN
// 319 142-1) and verifies them.
//
// A signature is an approval signature in an incremental update: SubFilter
// ETSI.CAdES.detached, a CMS with the signing-certificate-v2 attribute and no
// signing time (B-B), an RFC 3161 signature time stamp (B-T) and, when the
// chain names OCSP responders or CRLs, a Document Security Store with the
// certificates and revocation data in a second incremental update (B-LT).
// Signing is split into Prepare (placeholder and the digest to sign), the
// signature itself (any crypto.Signer, a CSC signHash, AWS KMS) and Embed, so
// that a remote provider that binds its authorization to the hashes (SCAL2)
// can authorize a whole batch at once.
//
// The PDF writing is ours, not github.com/digitorus/pdfsign's: at the pinned
// version pdfsign writes only adbe.pkcs7.detached with a CMS signing time, has
// no DSS and no prepare/embed split, writes non-ASCII names as unescaped
// UTF-16 literals (Vietnamese ĩ is U+0129, whose low byte is ')'), draws
// appearance text in Times-Roman without Vietnamese glyphs, finds its
// placeholder by searching the whole file for zeros (so a second signature
// can land in the first one's padding), calls TSA/OCSP without timeouts and
// re-signs when its size estimate is short. Parsing is pdfcpu's.
//
// It is not a general PDF editor: it only appends updates to PDFs and never
// rewrites the bytes it was given.
package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/errs"
)

// Level is a PAdES baseline level.
type Level int

// The levels Sign can produce. The zero value is LevelDefault.
const (
	// LevelDefault is B-LT when the signer's chain names an OCSP responder or
	// a CRL, B-T otherwise.
	LevelDefault Level = iota
	// LevelB is B-B: no time stamp.
	LevelB
	// LevelT is B-T: a signature time stamp from Options.TSAURL.
	LevelT
	// LevelLT is B-LT: B-T plus a DSS with certificates and revocation data.
	LevelLT
)

// DefaultMaxSize is the largest PDF Sign and Verify accept unless told otherwise.
const DefaultMaxSize = 64 << 20

// Options configures Sign and Prepare.
type Options struct {
	// Signer makes the signature; Prepare does not need it.
	Signer crypto.Signer
	// Chain is the signer's certificate first, then its issuers (the root may
	// be included). Required.
	Chain []*x509.Certificate
	// Name, Reason, Location and ContactInfo go into the signature dictionary
	// as UTF-16 text; Vietnamese is fine.
	Name, Reason, Location, ContactInfo string
	// Level is the PAdES baseline level (default: see LevelDefault).
	Level Level
	// TSAURL is the RFC 3161 time-stamping authority. Required unless Level
	// is LevelB.
	TSAURL string
	// HTTPClient talks to the TSA, OCSP responders and CRL servers. Nil means
	// a client with a 10 s timeout. Each request is also bounded by the context.
	HTTPClient *http.Client
	// Revocation caches OCSP responses and CRLs between signatures; nil means
	// no cache.
	Revocation *RevocationCache
	// Time is the claimed signing time written as /M (default now). The
	// time stamp, not this, is what a verifier trusts.
	Time time.Time
	// Visible draws an appearance; nil makes an invisible signature.
	Visible *Appearance
	// Roots are the trust anchors the output is verified against before it
	// is returned. Nil means the last certificate of Chain.
	Roots *x509.CertPool
	// MaxSize bounds the input (default DefaultMaxSize).
	MaxSize int64
	// InPlace says the caller gives pdf up: the signature is appended in pdf's
	// spare capacity when it has updateSpare bytes of it, instead of to a
	// copy of the document. The caller must not use pdf afterwards.
	InPlace bool
}

func (o *Options) level() Level {
	if o.Level != LevelDefault {
		return o.Level
	}
	for _, c := range o.Chain[:max(1, len(o.Chain)-1)] {
		if len(c.OCSPServer) > 0 || len(c.CRLDistributionPoints) > 0 {
			return LevelLT
		}
	}
	return LevelT
}

func (o *Options) client() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// Prepared is a PDF with a signature placeholder, waiting for the signature
// value of Digest. It is not safe for concurrent use.
type Prepared struct {
	opts     Options
	hash     crypto.Hash
	out      []byte // the PDF with the placeholder
	contents [2]int // offsets of '<' and one past '>' of /Contents
	attrs    []byte // DER of the signed attributes (SET)
	digest   []byte // hash of attrs: what is signed
	doc      *document
	catalog  types.Dict // the catalog as written in the signature update
	sigXref  int64      // offset of the signature update's xref section
	size     int        // first free object number after the signature update
	embedded bool
	report   *Report
	field    string               // the name of the signature field we add
	before   map[string]Signature // the verdicts on the signatures the input already carried
}

// Report returns the verification of the embedded PDF (nil before Embed).
func (p *Prepared) Report() *Report { return p.report }

// Digest returns the digest to be signed: the hash of the DER signed
// attributes. This is what a CSC signHash or a KMS Sign(MessageType=DIGEST)
// receives.
func (p *Prepared) Digest() []byte { return bytes.Clone(p.digest) }

// Hash returns the hash function of Digest (SHA-256).
func (p *Prepared) Hash() crypto.Hash { return p.hash }

// Sign signs pdf with o.Signer and returns the signed PDF, verified.
func Sign(ctx context.Context, pdf []byte, o Options) ([]byte, error) {
	if o.Signer == nil {
		return nil, errs.E(errs.Invalid, "no signer")
	}
	p, err := Prepare(ctx, pdf, o)
	if err != nil {
		return nil, err
	}
	sig, err := o.Signer.Sign(rand.Reader, p.Digest(), p.hash)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "the signer failed")
	}
	return p.Embed(ctx, sig)
}

// Prepare appends the signature field, its appearance and a placeholder to
// pdf and computes the digest to sign. Nothing is sent anywhere.
//
// A PDF that cannot be read, is encrypted, or is certified with DocMDP P=1
// (no change allowed, not even a signature) is an errs.Unprocessable error
// that names the problem. A panic inside the PDF reader is such an error too,
// for this document only.
func Prepare(ctx context.Context, pdf []byte, o Options) (p *Prepared, err error) {
	defer recoverPDF(&err)
	if len(o.Chain) == 0 || o.Chain[0] == nil {
		return nil, errs.E(errs.Invalid, "no signing certificate")
	}
	if o.level() != LevelB && o.TSAURL == "" {
		return nil, errs.E(errs.Invalid, "a time stamp is required but no TSA URL is configured")
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	if _, err := signatureAlgorithm(o.Chain[0].PublicKey, crypto.SHA256); err != nil {
		return nil, errs.Wrap(errs.Unsupported, err, "the signing key type is not supported")
	}
	if o.Signer != nil && !publicKeyEqual(o.Signer.Public(), o.Chain[0].PublicKey) {
		return nil, errs.E(errs.Invalid, "the signer's key does not match the signing certificate")
	}
	doc, err := readDocument(ctx, pdf, o.MaxSize)
	if err != nil {
		return nil, err
	}
	if err := doc.checkCertification(); err != nil {
		return nil, err
	}
	p = &Prepared{opts: o, hash: crypto.SHA256, doc: doc}
	if doc.hasSignatures() {
		// The self-check after embedding must tell what our update changed
		// for them from what the document already was.
		rep, err := Verify(ctx, pdf, VerifyOptions{Roots: o.roots(), MaxSize: o.MaxSize, Offline: true})
		if err != nil {
			return nil, err
		}
		p.before = map[string]Signature{}
		for _, s := range rep.Signatures {
			p.before[s.Field] = s
		}
	}
	if err := p.writePlaceholder(); err != nil {
		return nil, err
	}
	h := p.hash.New()
	h.Write(p.out[:p.contents[0]])
	h.Write(p.out[p.contents[1]:])
	if p.attrs, err = signedAttributes(h.Sum(nil), o.Chain[0]); err != nil {
		return nil, fmt.Errorf("pades: signed attributes: %w", err)
	}
	h = p.hash.New()
	h.Write(p.attrs)
	p.digest = h.Sum(nil)
	return p, nil
}

func publicKeyEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// Embed checks signature against the signing certificate, time-stamps it,
// writes the CMS into the placeholder, adds the DSS for B-LT, verifies the
// result and returns it. It can be called once.
//
// The check after signing asks of the verifier what our update is
// responsible for: our signature is valid, and no signature the document
// already carried reports a change after it that it did not report before.
// Earlier signatures that were broken or untrusted stay as they were (the
// verifier reports them to whoever checks the document).
func (p *Prepared) Embed(ctx context.Context, signature []byte) (out []byte, err error) {
	defer recoverPDF(&err)
	if p.embedded {
		return nil, errs.E(errs.Conflict, "the signature was already embedded")
	}
	p.embedded = true
	leaf := p.opts.Chain[0]
	signature = normalizeSignature(leaf.PublicKey, signature)
	if err := checkSignature(leaf.PublicKey, p.hash, p.digest, signature); err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "the signing service returned a signature that does not match the certificate")
	}
	level := p.opts.level()
	var token []byte
	var tsaCerts []*x509.Certificate
	if level != LevelB {
		var err error
		if token, tsaCerts, err = requestTimestamp(ctx, p.opts.client(), p.opts.TSAURL, signature); err != nil {
			return nil, err
		}
	}
	cms, err := buildCMS(p.opts.Chain, p.hash, p.attrs, signature, token)
	if err != nil {
		return nil, fmt.Errorf("pades: build CMS: %w", err)
	}
	room := (p.contents[1] - p.contents[0] - 2) / 2
	if len(cms) > room {
		return nil, errs.E(errs.Internal, "the signature (%d bytes) does not fit its reserved space (%d bytes)", len(cms), room)
	}
	hex.Encode(p.out[p.contents[0]+1:], cms)
	out = p.out
	if level == LevelLT {
		if out, err = p.addDSS(ctx, out, tsaCerts); err != nil {
			return nil, err
		}
	}
	// The document as it was is not needed to read back what was written:
	// let it go (it holds the unsigned file) while the check reads it.
	p.doc = nil
	rep, err := Verify(ctx, out, VerifyOptions{Roots: p.opts.roots(), MaxSize: p.opts.MaxSize + 8<<20, Offline: true})
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "the signed PDF cannot be read back")
	}
	if err := p.selfCheck(rep); err != nil {
		return nil, err
	}
	p.report = rep
	return out, nil
}

// selfCheck judges the verification of what Embed wrote (see Embed).
func (p *Prepared) selfCheck(rep *Report) error {
	var ours *Signature
	for i := range rep.Signatures {
		if rep.Signatures[i].Field == p.field {
			ours = &rep.Signatures[i]
		}
	}
	if ours == nil {
		return errs.E(errs.Internal, "the signed PDF does not verify: the verifier does not find the signature field %s", p.field)
	}
	// What our writer answers for: the signature is intact, chains to the
	// anchors, carries a valid time stamp when one was asked for, and nothing
	// after it is reported changed. (Revocation status is the certificate's,
	// not the writer's: "unknown" is not a writing error; "revoked" is.)
	stamped := p.opts.level() == LevelB || ours.Timestamped
	if !ours.Valid && (!ours.Intact || !ours.Trusted || !stamped || len(ours.ModifiedAfter) > 0 || ours.Revocation == "revoked") {
		return errs.E(errs.Internal, "the signed PDF does not verify: %s", strings.Join(ours.Problems, "; "))
	}
	for _, s := range rep.Signatures {
		if s.Field == p.field {
			continue
		}
		was := map[string]bool{}
		for _, m := range p.before[s.Field].ModifiedAfter {
			was[m] = true
		}
		for _, m := range s.ModifiedAfter {
			if !was[m] {
				return errs.E(errs.Internal, "signing would break the earlier signature %s: the verifier reports %s changed after it", s.Field, m)
			}
		}
	}
	return nil
}

// roots returns the trust anchors the output is checked against.
func (o *Options) roots() *x509.CertPool {
	if o.Roots != nil {
		return o.Roots
	}
	roots := x509.NewCertPool()
	roots.AddCert(o.Chain[len(o.Chain)-1])
	return roots
}

// recoverPDF turns a panic inside the PDF reader or writer into an error
// for the one document at hand (pdfcpu panics on some damaged files).
func recoverPDF(err *error) {
	if r := recover(); r != nil {
		*err = errs.Wrap(errs.Unprocessable, fmt.Errorf("panic: %v", r), "the PDF's structure is damaged: the reader cannot follow it")
	}
}

// reserve is the size of the /Contents placeholder in bytes of DER.
func (p *Prepared) reserve() int {
	n := 2560 // signer info, signed attributes, algorithm identifiers
	for _, c := range p.opts.Chain {
		n += len(c.Raw)
	}
	if p.opts.level() != LevelB {
		n += 6 << 10 // time-stamp token with its own certificates (about 1.5 KB with ECDSA)
	}
	return n
}

var errNoPage = errors.New("the PDF has no pages")
