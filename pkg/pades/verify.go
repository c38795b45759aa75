package pades

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/crypto/ocsp"

	"github.com/sohoa/sohoa/pkg/errs"
)

// VerifyOptions configures Verify.
type VerifyOptions struct {
	// Roots are the trust anchors. Nil trusts nothing: signatures can be
	// intact but never trusted.
	Roots *x509.CertPool
	// Time is the validation time for signatures without a trusted time
	// stamp (default now).
	Time time.Time
	// MaxSize bounds the input (default DefaultMaxSize).
	MaxSize int64
	// Timeout bounds the whole verification (default 30 s).
	Timeout time.Duration
	// MaxSignatures bounds how many signatures are checked (default 50).
	MaxSignatures int
}

// Report is the result of Verify.
type Report struct {
	// Valid is true when there is at least one signature and every one is valid.
	Valid bool `json:"valid"`
	// Signatures lists the signatures in the order of their signed revisions.
	Signatures []Signature `json:"signatures"`
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
	// Intact: the signed byte ranges hash to the signed digest and the
	// signature value matches the signing certificate.
	Intact bool `json:"intact"`
	// Trusted: the signing certificate chains to a trust anchor, valid at SignedAt.
	Trusted bool `json:"trusted"`
	// Timestamped: a signature time stamp over this signature is present,
	// intact and issued by a trusted TSA.
	Timestamped bool `json:"timestamped"`
	// Valid: intact, trusted, not revoked, no disallowed changes after signing,
	// and the time stamp (if any) valid.
	Valid bool `json:"valid"`
	// SubFilter is the signature dictionary's /SubFilter.
	SubFilter string `json:"subFilter"`
	// Level is the PAdES baseline level reached ("B-B", "B-T", "B-LT"), or
	// empty for a signature that is not PAdES.
	Level string `json:"level,omitempty"`
	// Revocation is "good" or "revoked" from embedded OCSP data (DSS), or
	// "missing" when none is embedded for the signer.
	Revocation string `json:"revocation"`
	// WholeDocument: the signature covers the whole file. When false, later
	// incremental updates exist; ModifiedAfter lists what they changed that
	// a later signature or DSS may not change.
	WholeDocument bool     `json:"wholeDocument"`
	ModifiedAfter []string `json:"modifiedAfter,omitempty"`
	// Reason, Location as written by the signer.
	Reason   string `json:"reason,omitempty"`
	Location string `json:"location,omitempty"`
	// Problems explains what is not valid, in English, for logs and reports.
	Problems []string `json:"problems,omitempty"`
}

// Verify checks every signature of pdf: the integrity of each signed range,
// the chain to o.Roots, the signature time stamp, embedded revocation data,
// and modifications after signing. An unreadable PDF is an errs.Invalid error;
// a PDF without signatures is a report with Valid false.
func Verify(ctx context.Context, pdf []byte, o VerifyOptions) (*Report, error) {
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
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := checkShape(pdf, o.MaxSize); err != nil {
		return nil, err
	}
	x, err := parse(ctx, pdf)
	if err != nil {
		return nil, err
	}
	v := &verifier{pdf: pdf, x: x, o: o}
	sigs, err := v.signatureFields()
	if err != nil {
		return nil, err
	}
	if len(sigs) > o.MaxSignatures {
		return nil, errs.E(errs.TooLarge, "the PDF has %d signatures, more than %d", len(sigs), o.MaxSignatures)
	}
	v.loadDSS()
	rep := &Report{Signatures: []Signature{}}
	for _, f := range sigs {
		if err := ctx.Err(); err != nil {
			return nil, errs.Wrap(errs.Unavailable, err, "verification took too long")
		}
		rep.Signatures = append(rep.Signatures, v.check(ctx, f))
	}
	// In the order of the revisions they sign.
	sortByEnd(rep.Signatures, sigs)
	rep.Valid = len(rep.Signatures) > 0
	for _, s := range rep.Signatures {
		rep.Valid = rep.Valid && s.Valid
	}
	return rep, nil
}

type sigField struct {
	name string
	v    types.Dict
	end  int64
}

type verifier struct {
	pdf      []byte
	x        *model.XRefTable
	o        VerifyOptions
	dssCerts []*x509.Certificate
	dssOCSP  [][]byte
	dssCRL   [][]byte
}

func (v *verifier) dict(o types.Object) types.Dict {
	d, err := v.x.DereferenceDict(o)
	if err != nil {
		return nil
	}
	return d
}

func (v *verifier) array(o types.Object) types.Array {
	a, err := v.x.DereferenceArray(o)
	if err != nil {
		return nil
	}
	return a
}

// signatureFields walks the AcroForm field tree for signature fields with a value.
func (v *verifier) signatureFields() ([]sigField, error) {
	cat, err := v.x.Catalog()
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "the PDF has no readable catalog")
	}
	af := v.dict(cat["AcroForm"])
	if af == nil {
		return nil, nil
	}
	var out []sigField
	seen := map[int]bool{}
	count := 0
	var walk func(fields types.Array, ft types.Name, prefix string, depth int)
	walk = func(fields types.Array, ft types.Name, prefix string, depth int) {
		if depth > 16 {
			return
		}
		for _, f := range fields {
			if count++; count > 5000 {
				return
			}
			if r, ok := f.(types.IndirectRef); ok {
				if seen[r.ObjectNumber.Value()] {
					continue
				}
				seen[r.ObjectNumber.Value()] = true
			}
			fd := v.dict(f)
			if fd == nil {
				continue
			}
			fft := ft
			if n, ok := fd["FT"].(types.Name); ok {
				fft = n
			}
			name := decodeText(fd["T"])
			if prefix != "" && name != "" {
				name = prefix + "." + name
			} else if name == "" {
				name = prefix
			}
			if kids := v.array(fd["Kids"]); len(kids) > 0 {
				walk(kids, fft, name, depth+1)
			}
			if fft != "Sig" {
				continue
			}
			if sd := v.dict(fd["V"]); sd != nil {
				out = append(out, sigField{name: name, v: sd})
			}
		}
	}
	walk(v.array(af["Fields"]), "", "", 0)
	return out, nil
}

func (v *verifier) loadDSS() {
	cat, err := v.x.Catalog()
	if err != nil {
		return
	}
	dss := v.dict(cat["DSS"])
	if dss == nil {
		return
	}
	read := func(key string) [][]byte {
		var out [][]byte
		for i, o := range v.array(dss[key]) {
			if i >= 1000 {
				break
			}
			sd, _, err := v.x.DereferenceStreamDict(o)
			if err != nil || sd == nil {
				continue
			}
			if len(sd.FilterPipeline) == 0 {
				out = append(out, sd.Raw)
				continue
			}
			if len(sd.Raw) > 1<<20 {
				continue
			}
			if err := sd.Decode(); err == nil && len(sd.Content) <= 4<<20 {
				out = append(out, sd.Content)
			}
		}
		return out
	}
	for _, der := range read("Certs") {
		if c, err := x509.ParseCertificate(der); err == nil {
			v.dssCerts = append(v.dssCerts, c)
		}
	}
	v.dssOCSP = read("OCSPs")
	v.dssCRL = read("CRLs")
}

func (v *verifier) check(ctx context.Context, f sigField) Signature {
	s := Signature{Field: f.name, Revocation: "missing"}
	bad := func(format string, args ...any) Signature {
		s.Problems = append(s.Problems, fmt.Sprintf(format, args...))
		s.Valid = false
		return s
	}
	if sf, ok := f.v["SubFilter"].(types.Name); ok {
		s.SubFilter = string(sf)
	}
	s.Reason, s.Location = decodeText(f.v["Reason"]), decodeText(f.v["Location"])
	claimed := parsePDFDate(decodeText(f.v["M"]))
	s.SignedAt = claimed

	br := v.array(f.v["ByteRange"])
	if len(br) != 4 {
		return bad("the byte range is missing or malformed")
	}
	var r [4]int64
	for i, o := range br {
		n, ok := o.(types.Integer)
		if !ok || n < 0 {
			return bad("the byte range is malformed")
		}
		r[i] = int64(n)
	}
	size := int64(len(v.pdf))
	if r[0] != 0 || r[1] <= 0 || r[2] <= r[1]+1 || r[2]+r[3] > size || r[1]+2 > r[2] {
		return bad("the byte range does not describe this file")
	}
	f.end = r[2] + r[3]
	s.WholeDocument = f.end == size
	hole := v.pdf[r[1]:r[2]]
	if hole[0] != '<' || hole[len(hole)-1] != '>' {
		return bad("the byte range does not exclude exactly the signature's /Contents")
	}
	raw, err := hex.DecodeString(string(hole[1 : len(hole)-1]))
	if err != nil {
		return bad("the /Contents is not a hex string")
	}
	if s.SubFilter != "ETSI.CAdES.detached" && s.SubFilter != "adbe.pkcs7.detached" {
		return bad("the signature type %q is not supported", s.SubFilter)
	}
	p, err := parseCMS(raw)
	if err != nil {
		return bad("the CMS cannot be read: %v", err)
	}
	s.Certificate, s.Signer = p.signer, p.signer.Subject.CommonName

	// Integrity: byte ranges → message digest → signature over the attributes.
	h := p.hash.New()
	h.Write(v.pdf[r[0]:r[1]])
	h.Write(v.pdf[r[2] : r[2]+r[3]])
	intact := bytes.Equal(h.Sum(nil), p.messageDigest())
	if !intact {
		s.Problems = append(s.Problems, "the document was changed after it was signed (digest mismatch)")
	}
	ah := p.hash.New()
	ah.Write(p.attrsDER)
	if !algorithmFits(p.signer.PublicKey, p.sigAlg) {
		intact = false
		s.Problems = append(s.Problems, "the signature algorithm "+p.sigAlg.String()+" is not supported")
	} else if err := checkSignature(p.signer.PublicKey, p.hash, ah.Sum(nil), p.signature); err != nil {
		intact = false
		s.Problems = append(s.Problems, "the signature value does not match the certificate: "+err.Error())
	}
	if p.signingCertH != nil {
		certH := sha256.Sum256(p.signer.Raw)
		if !bytes.Equal(certH[:], p.signingCertH) {
			intact = false
			s.Problems = append(s.Problems, "the signing-certificate-v2 attribute names another certificate")
		}
	}
	s.Intact = intact

	// Pool of intermediates: the CMS's and the DSS's certificates.
	inter := x509.NewCertPool()
	for _, c := range append(append([]*x509.Certificate{}, p.certs...), v.dssCerts...) {
		inter.AddCert(c)
	}

	// Time stamp over the signature value.
	at := v.o.Time
	tsPresent := len(p.tsToken) > 0
	if tsPresent {
		ts, err := timestamp.Parse(p.tsToken)
		switch {
		case err != nil:
			s.Problems = append(s.Problems, "the time stamp cannot be verified: "+err.Error())
		case !ts.HashAlgorithm.Available():
			s.Problems = append(s.Problems, "the time stamp uses an unknown hash")
		default:
			th := ts.HashAlgorithm.New()
			th.Write(p.signature)
			if !bytes.Equal(th.Sum(nil), ts.HashedMessage) {
				s.Problems = append(s.Problems, "the time stamp is over another signature")
				break
			}
			if err := v.trustTSA(ts, inter); err != nil {
				s.Problems = append(s.Problems, "the time stamp's authority is not trusted: "+err.Error())
				break
			}
			s.Timestamped, s.SignedAt, at = true, ts.Time, ts.Time
		}
	}

	// Chain to the trust anchors at the signing time.
	if v.o.Roots == nil {
		s.Problems = append(s.Problems, "no trust anchors configured")
	} else if chains, err := p.signer.Verify(x509.VerifyOptions{Roots: v.o.Roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		s.Problems = append(s.Problems, "the certificate is not trusted: "+err.Error())
	} else if p.signer.KeyUsage != 0 && p.signer.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		s.Problems = append(s.Problems, "the certificate may not be used for signatures (key usage)")
	} else {
		s.Trusted = true
		if len(chains[0]) > 1 {
			s.Revocation = v.revocation(p.signer, chains[0][1], at)
			if s.Revocation == "revoked" {
				s.Problems = append(s.Problems, "the certificate was revoked before the signing time")
			}
		}
	}

	// Later updates may add signatures and validation data, nothing else.
	if !s.WholeDocument {
		s.ModifiedAfter = v.changesAfter(ctx, f.end)
		for _, m := range s.ModifiedAfter {
			s.Problems = append(s.Problems, "changed after signing: "+m)
		}
	}

	if s.SubFilter == "ETSI.CAdES.detached" && !p.signingTime && p.signingCertH != nil {
		s.Level = "B-B"
		if s.Timestamped {
			s.Level = "B-T"
			if s.Revocation == "good" {
				s.Level = "B-LT"
			}
		}
	}
	s.Valid = s.Intact && s.Trusted && (!tsPresent || s.Timestamped) && s.Revocation != "revoked" && len(s.ModifiedAfter) == 0
	return s
}

func (v *verifier) trustTSA(ts *timestamp.Timestamp, inter *x509.CertPool) error {
	if v.o.Roots == nil {
		return fmt.Errorf("no trust anchors configured")
	}
	if len(ts.Certificates) == 0 {
		return fmt.Errorf("the token carries no TSA certificate")
	}
	pool := inter.Clone()
	for _, c := range ts.Certificates {
		pool.AddCert(c)
	}
	var last error
	for _, c := range ts.Certificates {
		if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping {
			continue
		}
		if _, err := c.Verify(x509.VerifyOptions{Roots: v.o.Roots, Intermediates: pool, CurrentTime: ts.Time, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
			last = err
			continue
		}
		return nil
	}
	if last == nil {
		last = fmt.Errorf("no certificate with the timeStamping usage")
	}
	return last
}

// revocation reads the DSS OCSP responses for cert.
func (v *verifier) revocation(cert, issuer *x509.Certificate, at time.Time) string {
	status := "missing"
	for _, der := range v.dssOCSP {
		// Match the serial first: checking a response's signature costs an ECDSA verification.
		if r, err := ocsp.ParseResponse(der, nil); err != nil || r.SerialNumber.Cmp(cert.SerialNumber) != 0 {
			continue
		}
		r, err := ocsp.ParseResponseForCert(der, cert, issuer)
		if err != nil {
			continue
		}
		switch r.Status {
		case ocsp.Revoked:
			if r.RevokedAt.Before(at) {
				return "revoked"
			}
			status = "good"
		case ocsp.Good:
			status = "good"
		}
	}
	if status == "good" {
		return status // OCSP is the fresher evidence; CRLs are kept for readers that want them
	}
	for _, der := range v.dssCRL {
		crl, err := x509.ParseRevocationList(der)
		if err != nil || !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || crl.CheckSignatureFrom(issuer) != nil {
			continue
		}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(cert.SerialNumber) == 0 && e.RevocationTime.Before(at) {
				return "revoked"
			}
		}
	}
	return status
}

var pdfDateRE = regexp.MustCompile(`^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+\-])?(\d{2})?'?(\d{2})?'?$`)

// parsePDFDate parses a PDF date string; an unreadable one gives zero.
func parsePDFDate(s string) time.Time {
	m := pdfDateRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}
	}
	n := func(i, def int) int {
		if m[i] == "" {
			return def
		}
		v, _ := strconv.Atoi(m[i])
		return v
	}
	loc := time.UTC
	if m[7] == "+" || m[7] == "-" {
		off := n(8, 0)*3600 + n(9, 0)*60
		if m[7] == "-" {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	return time.Date(n(1, 0), time.Month(n(2, 1)), n(3, 1), n(4, 0), n(5, 0), n(6, 0), 0, loc)
}

func sortByEnd(s []Signature, f []sigField) {
	// Insertion sort on the revision end; n is small.
	ends := make([]int64, len(s))
	for i := range s {
		ends[i] = revisionEnd(s[i], f[i])
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && ends[j] < ends[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
			ends[j], ends[j-1] = ends[j-1], ends[j]
		}
	}
}

func revisionEnd(s Signature, f sigField) int64 {
	br, _ := f.v["ByteRange"].(types.Array)
	if len(br) != 4 {
		return 1 << 62
	}
	a, _ := br[2].(types.Integer)
	b, _ := br[3].(types.Integer)
	return int64(a) + int64(b)
}
