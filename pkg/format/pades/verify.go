package pades

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"regexp"
	"strconv"
	"time"

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

type sigField struct {
	name  string
	v     types.Dict
	vNum  int // object number of the signature dictionary, 0 when direct
	end   int64
	hole  [2]int64
	hasBR bool
}

type verifier struct {
	pdf       []byte
	x         *model.XRefTable
	o         VerifyOptions
	dssCerts  []*x509.Certificate
	dssOCSP   [][]byte
	dssCRL    [][]byte
	revisions map[int64]*graph
	revErr    map[int64]error
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
				vn, _ := refNum(fd["V"])
				out = append(out, sigField{name: name, v: sd, vNum: vn})
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

// revision parses the revision that ends at end, once.
func (v *verifier) revision(ctx context.Context, end int64) (*graph, error) {
	if g, ok := v.revisions[end]; ok {
		return g, nil
	}
	if err, ok := v.revErr[end]; ok {
		return nil, err
	}
	x, err := parse(ctx, v.pdf[:end])
	if err != nil {
		if v.revErr == nil {
			v.revErr = map[int64]error{}
		}
		v.revErr[end] = err
		return nil, err
	}
	g := &graph{x: x, raw: v.pdf[:end]}
	v.revisions[end] = g
	return g, nil
}

var eolRE = regexp.MustCompile(`%%EOF(\r\n|\r|\n)?$`)

// byteRange reads and binds the signature's /ByteRange: a direct array of
// four integers starting at 0, whose hole is exactly this signature
// dictionary's own /Contents hex string, whose dictionary lies in the signed
// bytes, and whose end is the end of a revision (%%EOF).
func (v *verifier) byteRange(f *sigField) ([4]int64, error) {
	var r [4]int64
	br, ok := f.v["ByteRange"].(types.Array)
	if !ok {
		if f.v["ByteRange"] == nil {
			return r, fmt.Errorf("the signature has no /ByteRange")
		}
		return r, fmt.Errorf("the /ByteRange is not a direct array")
	}
	if len(br) != 4 {
		return r, fmt.Errorf("the /ByteRange has %d numbers, want 4", len(br))
	}
	for i, o := range br {
		n, ok := o.(types.Integer)
		if !ok || n < 0 {
			return r, fmt.Errorf("the /ByteRange is malformed")
		}
		r[i] = int64(n)
	}
	size := int64(len(v.pdf))
	if r[0] != 0 {
		return r, fmt.Errorf("the /ByteRange does not start at the beginning of the file")
	}
	if r[1] <= 0 || r[2] < r[1]+2 || r[3] < 0 || r[2]+r[3] > size {
		return r, fmt.Errorf("the /ByteRange does not describe this file")
	}
	f.hole, f.hasBR = [2]int64{r[1], r[2]}, true
	if _, ok := f.v["Contents"].(types.HexLiteral); !ok {
		return r, fmt.Errorf("the signature's /Contents is missing or not a direct hex string")
	}
	if f.vNum == 0 {
		return r, fmt.Errorf("the signature dictionary is not an indirect object")
	}
	e := v.x.Table[f.vNum]
	if e == nil || e.Free || e.Compressed || e.Offset == nil {
		return r, fmt.Errorf("the signature dictionary is not stored directly in the file")
	}
	contents, brSpan, err := sigDictSpans(v.pdf, *e.Offset, f.vNum)
	if err != nil {
		return r, fmt.Errorf("the signature dictionary cannot be located: %v", err)
	}
	if int64(contents[0]) != r[1] || int64(contents[1]) != r[2] {
		return r, fmt.Errorf("the /ByteRange hole [%d %d] is not this signature's /Contents [%d %d]", r[1], r[2], contents[0], contents[1])
	}
	if *e.Offset >= r[1] || int64(brSpan[1]) > r[1] && int64(brSpan[0]) < r[2] {
		return r, fmt.Errorf("the signature dictionary is not inside the signed bytes")
	}
	end := r[2] + r[3]
	if !eolRE.Match(v.pdf[max(0, end-8):end]) {
		return r, fmt.Errorf("the /ByteRange does not end at the end of a revision (%%%%EOF)")
	}
	return r, nil
}

// crossCheck applies the rules between signatures: holes never overlap and
// no two fields share one signature dictionary.
func (v *verifier) crossCheck(reps []Signature, fs []sigField) {
	for i := range fs {
		for j := range fs {
			if j <= i {
				continue
			}
			var p string
			switch {
			case fs[i].vNum != 0 && fs[i].vNum == fs[j].vNum:
				p = "two signature fields share one signature dictionary"
			case fs[i].hasBR && fs[j].hasBR && fs[i].hole[0] < fs[j].hole[1] && fs[j].hole[0] < fs[i].hole[1]:
				p = "the byte ranges of two signatures leave overlapping holes"
			default:
				continue
			}
			for _, k := range []int{i, j} {
				reps[k].Valid = false
				reps[k].Intact = false
				reps[k].Problems = append(reps[k].Problems, p)
			}
		}
	}
}

func (v *verifier) check(ctx context.Context, f *sigField) Signature {
	s := Signature{Field: f.name, Revocation: "unknown"}
	bad := func(format string, args ...any) Signature {
		s.Problems = append(s.Problems, fmt.Sprintf(format, args...))
		s.Valid, s.Intact = false, false
		return s
	}
	if sf, ok := f.v["SubFilter"].(types.Name); ok {
		s.SubFilter = string(sf)
	}
	s.Reason, s.Location = decodeText(f.v["Reason"]), decodeText(f.v["Location"])
	s.SignedAt = parsePDFDate(decodeText(f.v["M"]))

	r, err := v.byteRange(f)
	if err != nil {
		return bad("%v", err)
	}
	f.end = r[2] + r[3]
	s.WholeDocument = len(bytes.Trim(v.pdf[f.end:], " \r\n\t\f\x00")) == 0
	raw, err := hex.DecodeString(string(v.pdf[r[1]+1 : r[2]-1]))
	if err != nil {
		return bad("the /Contents is not a hex string")
	}
	signed := func(h hash.Hash) {
		h.Write(v.pdf[r[0]:r[1]])
		h.Write(v.pdf[r[2] : r[2]+r[3]])
	}
	switch s.SubFilter {
	case "ETSI.CAdES.detached", "adbe.pkcs7.detached":
		v.checkCMS(ctx, &s, raw, signed)
	case "ETSI.RFC3161":
		v.checkDocTimestamp(&s, raw, signed)
	default:
		return bad("the signature type %q is not supported", s.SubFilter)
	}

	// Later updates may add signatures and validation data, nothing else.
	if !s.WholeDocument {
		old, err := v.revision(ctx, f.end)
		if err != nil {
			s.ModifiedAfter = []string{"the signed revision cannot be read: " + err.Error()}
		} else {
			if e := old.x.Table[f.vNum]; e == nil || e.Offset == nil || *e.Offset != *v.x.Table[f.vNum].Offset {
				s.ModifiedAfter = append(s.ModifiedAfter, "the signature dictionary was replaced after signing")
			}
			s.ModifiedAfter = append(s.ModifiedAfter, modifications(old, &graph{x: v.x, raw: v.pdf})...)
		}
		for _, m := range s.ModifiedAfter {
			s.Problems = append(s.Problems, "changed after signing: "+m)
		}
	}
	s.Valid = s.Valid && len(s.ModifiedAfter) == 0
	return s
}

// checkCMS verifies a CMS signature (PAdES or PKCS#7 detached) and sets
// Intact, Trusted, Timestamped, Revocation, Level and Valid.
func (v *verifier) checkCMS(ctx context.Context, s *Signature, raw []byte, signed func(hash.Hash)) {
	p, err := parseCMS(raw)
	if err != nil {
		s.Problems = append(s.Problems, fmt.Sprintf("the CMS cannot be read: %v", err))
		return
	}
	s.Certificate, s.Signer = p.signer, p.signer.Subject.CommonName

	// Integrity: byte ranges → message digest → signature over the attributes.
	h := p.hash.New()
	signed(h)
	intact := bytes.Equal(h.Sum(nil), p.messageDigest())
	if !intact {
		s.Problems = append(s.Problems, "the signed bytes do not match the signed digest: the document was changed after it was signed, or the signature belongs to another document")
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

	// Time stamp over the signature value, verified with its own signer.
	at := v.o.Time
	tsPresent := len(p.tsToken) > 0
	if tsPresent {
		tok, err := verifyToken(p.tsToken, v.o.TSARoots, v.dssCerts)
		switch {
		case err != nil:
			s.Problems = append(s.Problems, "the signature time stamp is not valid: "+err.Error())
		case !tok.ts.HashAlgorithm.Available():
			s.Problems = append(s.Problems, "the time stamp uses an unknown hash")
		default:
			th := tok.ts.HashAlgorithm.New()
			th.Write(p.signature)
			if !bytes.Equal(th.Sum(nil), tok.ts.HashedMessage) {
				s.Problems = append(s.Problems, "the time stamp is over another signature")
				break
			}
			s.Timestamped, s.SignedAt, at = true, tok.ts.Time, tok.ts.Time
		}
	}

	// Chain to the trust anchors at the signing time; the usage is checked
	// on the certificate itself, not with ExtKeyUsageAny's blessing.
	var chains [][]*x509.Certificate
	if v.o.Roots == nil {
		s.Problems = append(s.Problems, "no trust anchors configured")
	} else if err := signerUsage(p.signer); err != nil {
		s.Problems = append(s.Problems, err.Error())
	} else if chains, err = p.signer.Verify(x509.VerifyOptions{Roots: v.o.Roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		s.Problems = append(s.Problems, "the certificate is not trusted: "+err.Error())
	} else {
		s.Trusted = true
	}
	if s.Trusted && len(chains[0]) > 1 {
		s.Revocation, s.RevocationSource = v.revocation(ctx, p.signer, chains[0][1], at)
		switch s.Revocation {
		case "revoked":
			s.Problems = append(s.Problems, "the certificate was revoked before the signing time")
		case "unknown":
			s.Problems = append(s.Problems, "the certificate's revocation status is unknown: the file carries none and no OCSP responder or CRL answered")
		}
	} else if s.Trusted {
		s.Revocation = "good" // the signer is itself a trust anchor
	}

	if s.SubFilter == "ETSI.CAdES.detached" && !p.signingTime && p.signingCertH != nil {
		s.Level = "B-B"
		if s.Timestamped {
			s.Level = "B-T"
			if s.Revocation == "good" && s.RevocationSource == "dss" {
				s.Level = "B-LT"
			}
		}
	}
	s.Valid = s.Intact && s.Trusted && (!tsPresent || s.Timestamped) && (s.Revocation == "good" || s.Revocation == "none")
}

// checkDocTimestamp verifies a document time stamp (ETSI.RFC3161): a token
// whose message imprint is the hash of the signed bytes.
func (v *verifier) checkDocTimestamp(s *Signature, raw []byte, signed func(hash.Hash)) {
	raw = bytes.TrimRight(raw, "\x00")
	tok, err := verifyToken(raw, v.o.TSARoots, v.dssCerts)
	if err != nil {
		s.Problems = append(s.Problems, "the document time stamp is not valid: "+err.Error())
		return
	}
	s.Signer, s.Certificate = tok.signer.Subject.CommonName, tok.signer
	if !tok.ts.HashAlgorithm.Available() {
		s.Problems = append(s.Problems, "the document time stamp uses an unknown hash")
		return
	}
	h := tok.ts.HashAlgorithm.New()
	signed(h)
	if !bytes.Equal(h.Sum(nil), tok.ts.HashedMessage) {
		s.Problems = append(s.Problems, "the document time stamp is over other bytes: the document was changed after it was time-stamped")
		return
	}
	s.Intact, s.Trusted, s.Timestamped, s.SignedAt = true, true, true, tok.ts.Time
	s.Revocation, s.RevocationSource = "good", "tsa"
	s.Valid = true
}

// revocation returns the status of cert at the time at: from the DSS when
// it has an answer for cert, else online (OCSP, then CRL) unless Offline.
func (v *verifier) revocation(ctx context.Context, cert, issuer *x509.Certificate, at time.Time) (string, string) {
	if st := revocationFrom(v.dssOCSP, v.dssCRL, cert, issuer, at); st != "" {
		return st, "dss"
	}
	if len(cert.OCSPServer) == 0 && len(cert.CRLDistributionPoints) == 0 {
		// The trusted issuer offers no revocation service for this
		// certificate: there is nothing to ask and nothing to find.
		return "none", ""
	}
	if v.o.Offline {
		return "unknown", ""
	}
	ctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	if len(cert.OCSPServer) > 0 {
		if req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA256}); err == nil {
			if der, err := fetch(ctx, v.o.HTTPClient, http.MethodPost, cert.OCSPServer[0], "application/ocsp-request", req); err == nil {
				if st := revocationFrom([][]byte{der}, nil, cert, issuer, at); st != "" {
					return st, "ocsp"
				}
			}
		}
	}
	for _, url := range cert.CRLDistributionPoints {
		if der, err := fetch(ctx, v.o.HTTPClient, http.MethodGet, url, "", nil); err == nil {
			if st := revocationFrom(nil, [][]byte{der}, cert, issuer, at); st != "" {
				return st, "crl"
			}
		}
	}
	return "unknown", ""
}

// revocationFrom reads OCSP responses and CRLs for cert: "good", "revoked"
// (before at), or "" when none speaks of cert.
func revocationFrom(ocsps, crls [][]byte, cert, issuer *x509.Certificate, at time.Time) string {
	status := ""
	for _, der := range ocsps {
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
			// Only an answer given after the signing time says the
			// certificate was good when it signed (ProducedAt has minute
			// precision in common responders).
			if !r.ProducedAt.Before(at.Truncate(time.Minute)) {
				status = "good"
			}
		}
	}
	if status == "good" {
		return status // OCSP is the fresher evidence; CRLs are kept for readers that want them
	}
	for _, der := range crls {
		crl, err := x509.ParseRevocationList(der)
		if err != nil || !bytes.Equal(crl.RawIssuer, issuer.RawSubject) || crl.CheckSignatureFrom(issuer) != nil {
			continue
		}
		status = "good"
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
