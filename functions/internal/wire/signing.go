package wire

import (
	"context"
	"crypto/x509"
	"net/http"
	"strconv"
	"time"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/csc"
	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/identity"
	"github.com/sohoa/sohoa/pkg/pades"
	"github.com/sohoa/sohoa/pkg/procedure"
	"github.com/sohoa/sohoa/pkg/receipt"
	"github.com/sohoa/sohoa/pkg/separator"
	"github.com/sohoa/sohoa/pkg/signing"
)

// Roots reads the trust anchors from TrustRootsKey; none is an empty pool
// (every signature then verifies as untrusted).
func (c *Core) Roots(ctx context.Context) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	b, err := c.readConfig(ctx, TrustRootsKey)
	if err != nil || b == nil {
		return pool, err
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, errs.E(errs.Invalid, "wire: %s holds no PEM certificate", TrustRootsKey)
	}
	return pool, nil
}

// Signing returns the signing service over the CSC provider at SOHOA_CSC_URL,
// or nil if none is configured. The agency seal (a KMS key) is not wired:
// pkg/kms does not exist yet, so digitized components stay uncertified.
func (c *Core) Signing(roots *x509.CertPool) (*signing.Service, error) {
	if c.Env.Get(EnvCSCURL) == "" {
		return nil, nil
	}
	hc := &http.Client{Timeout: 15 * time.Second}
	remote, err := csc.New(csc.Config{BaseURL: c.Env.Get(EnvCSCURL), HTTPClient: hc,
		ClientID: c.Env.Get(EnvCSCClientID), ClientSecret: c.Env.Get(EnvCSCSecret)})
	if err != nil {
		return nil, err
	}
	return signing.New(signing.Config{Remote: remote, Roots: roots, TSAURL: c.Env.Get(EnvTSAURL),
		HTTPClient: &http.Client{Timeout: 10 * time.Second}})
}

// ResultSigner adapts the signing service to what the dossier service needs.
type ResultSigner struct{ S *signing.Service }

var _ dossier.ResultSigner = ResultSigner{}

// SignResults implements dossier.ResultSigner with the officer's subject as
// the provider's user ID.
func (r ResultSigner) SignResults(ctx context.Context, officer identity.Actor, credentialID, otp string, pdfs []dossier.SignDocument) ([]dossier.SignOutcome, error) {
	docs := make([]signing.Document, len(pdfs))
	for i, p := range pdfs {
		docs[i] = signing.Document{ID: strconv.Itoa(i), PDF: p.PDF, Reason: p.Reason}
	}
	out, err := r.S.SignResults(ctx, officer.Subject, credentialID, otp, docs)
	if err != nil {
		return nil, err
	}
	res := make([]dossier.SignOutcome, len(out))
	for i, o := range out {
		res[i] = dossier.SignOutcome{PDF: o.PDF, Err: o.Err}
	}
	return res, nil
}

// APISigning adapts the signing service to the API's credential routes.
type APISigning struct{ S *signing.Service }

var _ sohoaapi.Signing = APISigning{}

// Credentials implements api.Signing.
func (s APISigning) Credentials(ctx context.Context, a identity.Actor) ([]sohoaapi.Credential, error) {
	if a.Role != identity.Officer {
		return nil, errs.E(errs.Forbidden, "only agency officers have signing credentials")
	}
	cs, err := s.S.Credentials(ctx, a.Subject)
	if err != nil {
		return nil, err
	}
	out := make([]sohoaapi.Credential, len(cs))
	for i, c := range cs {
		out[i] = sohoaapi.Credential{ID: c.ID, Subject: c.Subject, Certificate: c.CertificatePEM}
	}
	return out, nil
}

// SendOTP implements api.Signing.
func (s APISigning) SendOTP(ctx context.Context, a identity.Actor, credentialID string) error {
	if a.Role != identity.Officer {
		return errs.E(errs.Forbidden, "only agency officers have signing credentials")
	}
	return s.S.SendOTP(ctx, a.Subject, credentialID)
}

// Verifier verifies PDFs against trust anchors for POST /v1/verify.
type Verifier struct{ Roots *x509.CertPool }

var _ sohoaapi.Verifier = Verifier{}

// Verify implements api.Verifier.
func (v Verifier) Verify(ctx context.Context, pdf []byte) (*sohoaapi.VerifyReport, error) {
	rep, err := pades.Verify(ctx, pdf, pades.VerifyOptions{Roots: v.Roots})
	if err != nil {
		return nil, err
	}
	out := &sohoaapi.VerifyReport{Valid: rep.Valid, Signatures: []sohoaapi.SignatureReport{}}
	for _, sg := range rep.Signatures {
		out.Signatures = append(out.Signatures, sohoaapi.SignatureReport{Signer: sg.Signer, SignedAt: sg.SignedAt,
			Intact: sg.Intact, Trusted: sg.Trusted, Timestamped: sg.Timestamped, Valid: sg.Valid,
			SubFilter: sg.SubFilter, Problems: sg.Problems})
	}
	return out, nil
}

// Documents renders separator sheets and receipts (as infra/local does).
type Documents struct{}

var _ sohoaapi.Documents = Documents{}

// Separator implements api.Documents.
func (Documents) Separator(code, name string) ([]byte, error) { return separator.Sheet(code, name) }

// Receipt implements api.Documents.
func (Documents) Receipt(_ context.Context, d *dossier.Dossier, p procedure.Procedure) ([]byte, error) {
	return receipt.Render(d, p, receipt.Options{})
}
