package pades

import (
	"context"
	"crypto/x509"
	"net/http"
	"regexp"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
)

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// Roots are the trust anchors. Nil trusts nothing: signatures can be
	// intact but never trusted.
	Roots *x509.CertPool
	// TSARoots are the trust anchors of time-stamping authorities (nil: Roots).
	TSARoots *x509.CertPool
	// Time is the validation time for signatures without a trusted time
	// stamp (default now).
	Time time.Time
	// MaxSize bounds the input (default DefaultMaxSize).
	MaxSize int64
	// Timeout bounds the whole verification (default 30 s).
	Timeout time.Duration
	// MaxSignatures bounds how many signatures are checked (default 50).
	MaxSignatures int
	// HTTPClient asks OCSP responders and CRL servers when the file carries
	// no revocation data for a signer (nil: a client with a 5 s timeout).
	HTTPClient *http.Client
	// Offline skips those questions: such a signer's revocation is "unknown"
	// and the signature not valid.
	Offline bool
}

// Report is the result of Verify.
type Report struct {
	// Valid is true when there is at least one signature and every one is valid.
	Valid bool `json:"valid"`
	// Signatures lists the signatures in the order of their signed revisions.
	Signatures []Signature `json:"signatures"`
	// IgnoredTrailingBytes counts bytes after the last %%EOF that add no
	// revision (a mail gateway's footer, padding); they are not signed and
	// not read.
	IgnoredTrailingBytes int `json:"ignoredTrailingBytes,omitempty"`
	// Problems that concern the whole file rather than one signature.
	Problems []string `json:"problems,omitempty"`
}

// Signature is the verification of one signature.
type Signature struct {
	// Field is the signature field's name.
	Field string `json:"field"`
	// Signer is the signing certificate's common name.
	Signer string `json:"signer"`
	// Certificate is the signing certificate.
	Certificate *x509.Certificate `json:"-"`
	// SignedAt is the time-stamp time when there is a valid time stamp,
	// else the claimed signing time (/M), else zero.
	SignedAt time.Time `json:"signedAt"`
	// Intact: the signed byte ranges hash to the signed digest, the
	// signature value matches the signing certificate, and the byte range
	// binds this signature to its revision (starts at 0, excludes exactly
	// this signature's /Contents, ends at the revision's %%EOF).
	Intact bool `json:"intact"`
	// Trusted: the signing certificate chains to a trust anchor, valid at
	// SignedAt, with a key usage for signing documents.
	Trusted bool `json:"trusted"`
	// Timestamped: a signature time stamp over this signature is present,
	// intact and signed by a trusted TSA (or this is a document time stamp).
	Timestamped bool `json:"timestamped"`
	// Valid: intact, trusted, revocation "good", no disallowed changes after
	// signing, and the time stamp (if any) valid.
	Valid bool `json:"valid"`
	// SubFilter is the signature dictionary's /SubFilter.
	SubFilter string `json:"subFilter"`
	// Level is the PAdES baseline level reached ("B-B", "B-T", "B-LT"), or
	// empty for a signature that is not PAdES.
	Level string `json:"level,omitempty"`
	// Revocation of the signing certificate at SignedAt: "good" or "revoked"
	// from the file's DSS or, without one, from the OCSP responder or CRL
	// online; "unknown" when nothing answers (not valid); "none" when the
	// trusted issuer names no OCSP responder and no CRL for the certificate.
	Revocation string `json:"revocation"`
	// RevocationSource says where the status came from: "dss", "ocsp", "crl".
	RevocationSource string `json:"revocationSource,omitempty"`
	// WholeDocument: the signature covers the whole file. When false, later
	// incremental updates exist; ModifiedAfter names what they changed that
	// this signature does not allow.
	WholeDocument bool     `json:"wholeDocument"`
	ModifiedAfter []string `json:"modifiedAfter,omitempty"`
	// Reason, Location as written by the signer.
	Reason   string `json:"reason,omitempty"`
	Location string `json:"location,omitempty"`
	// Problems explains what is not valid, in English, for logs and reports.
	Problems []string `json:"problems,omitempty"`
}

// Verify checks every signature of pdf: the binding of each byte range to
// its revision, the integrity of the signed bytes, the chain to o.Roots, the
// signature time stamp, revocation, and modifications after signing. An
// unreadable PDF is an errs.Invalid error; a PDF without signatures is a
// report with Valid false. It never panics: a reader failure on a damaged
// file is an errs.Invalid error.
func Verify(ctx context.Context, pdf []byte, o VerifyOptions) (rep *Report, err error) {
	defer func() {
		if p := recover(); p != nil {
			rep, err = nil, errs.E(errs.Invalid, "the PDF cannot be read (the reader failed: %v)", p)
		}
	}()
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxSignatures <= 0 {
		o.MaxSignatures = 50
	}
	if o.Time.IsZero() {
		o.Time = time.Now()
	}
	if o.TSARoots == nil {
		o.TSARoots = o.Roots
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if int64(len(pdf)) > o.MaxSize {
		return nil, errs.E(errs.TooLarge, "the PDF is %d bytes, over the limit of %d", len(pdf), o.MaxSize)
	}
	doc, trailing, structure := splitTrailing(pdf)
	if err := checkShape(doc, o.MaxSize); err != nil {
		return nil, err
	}
	x, err := parse(ctx, doc)
	if err != nil {
		return nil, err
	}
	v := &verifier{pdf: doc, x: x, o: o, revisions: map[int64]*graph{}}
	sigs, err := v.signatureFields()
	if err != nil {
		return nil, err
	}
	if len(sigs) > o.MaxSignatures {
		return nil, errs.E(errs.TooLarge, "the PDF has %d signatures, more than %d", len(sigs), o.MaxSignatures)
	}
	v.loadDSS()
	rep = &Report{Signatures: []Signature{}, IgnoredTrailingBytes: len(trailing)}
	if structure {
		rep.Problems = append(rep.Problems, "bytes after the last %%EOF hold PDF objects or a cross-reference section: a revision that is not terminated")
	}
	for i := range sigs {
		if err := ctx.Err(); err != nil {
			return nil, errs.Wrap(errs.Unavailable, err, "verification took too long")
		}
		rep.Signatures = append(rep.Signatures, v.check(ctx, &sigs[i]))
	}
	v.crossCheck(rep.Signatures, sigs)
	// In the order of the revisions they sign.
	sortByEnd(rep.Signatures, sigs)
	rep.Valid = len(rep.Signatures) > 0 && len(rep.Problems) == 0
	for i := range rep.Signatures {
		s := &rep.Signatures[i]
		if len(rep.Problems) > 0 {
			s.Valid = false
			s.Problems = append(s.Problems, rep.Problems...)
		}
		rep.Valid = rep.Valid && s.Valid
	}
	return rep, nil
}

var pdfDateRE = regexp.MustCompile(`^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+\-])?(\d{2})?'?(\d{2})?'?$`)
