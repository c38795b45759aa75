package api

import (
	"context"
	"crypto/x509"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/signing"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pdfdoor"
	"github.com/sohoa/sohoa/pkg/format/separator"
	"github.com/sohoa/sohoa/pkg/web/receipt"
)

// SigningService serves the credential routes from a signing service.
func SigningService(s *signing.Service) Signing { return signingService{s} }

type signingService struct{ s *signing.Service }

func (s signingService) Credentials(ctx context.Context, a identity.Actor) ([]Credential, error) {
	if a.Role != identity.Officer {
		return nil, errs.E(errs.Forbidden, "only agency officers have signing credentials")
	}
	cs, err := s.s.Credentials(ctx, a.Subject)
	if err != nil {
		return nil, err
	}
	out := make([]Credential, len(cs))
	for i, c := range cs {
		out[i] = Credential{ID: c.ID, Subject: c.Subject, Certificate: c.CertificatePEM}
	}
	return out, nil
}

func (s signingService) SendOTP(ctx context.Context, a identity.Actor, credentialID string) error {
	if a.Role != identity.Officer {
		return errs.E(errs.Forbidden, "only agency officers have signing credentials")
	}
	return s.s.SendOTP(ctx, a.Subject, credentialID)
}

// PadesVerifier answers POST /v1/verify with pades.Verify against Roots, in
// this process. Use IsolatedVerifier for uploads from outside.
type PadesVerifier struct{ Roots *x509.CertPool }

// Verify implements Verifier.
func (v PadesVerifier) Verify(ctx context.Context, pdf []byte) (*VerifyReport, error) {
	rep, err := pades.Verify(ctx, pdf, pades.VerifyOptions{Roots: v.Roots})
	if err != nil {
		return nil, err
	}
	return reportOf(rep), nil
}

// IsolatedVerifier answers POST /v1/verify with pades.Verify run in the
// isolated child process (pdfdoor.Door), so that no uploaded file can crash
// or exhaust the server. The program's main must call
// pdfdoor.RunChildIfRequested first.
type IsolatedVerifier struct {
	// Roots are the trust anchors.
	Roots []*x509.Certificate
	// Door runs the children (limits, how many at once). Required.
	Door *pdfdoor.Door
}

// Verify implements Verifier.
func (v IsolatedVerifier) Verify(ctx context.Context, pdf []byte) (*VerifyReport, error) {
	if v.Door == nil {
		return nil, errs.E(errs.Internal, "api: IsolatedVerifier without a Door")
	}
	rep, err := v.Door.Verify(ctx, pdf, v.Roots)
	if err != nil {
		return nil, err
	}
	return reportOf(rep), nil
}

// IsolatedResults checks uploaded results in the isolated child
// (pdfdoor.Door.CheckResult): a result that could not be signed is refused
// at upload, with the reason.
type IsolatedResults struct {
	// Door runs the children (limits, how many at once). Required.
	Door *pdfdoor.Door
}

// CheckResult implements ResultChecker.
func (c IsolatedResults) CheckResult(ctx context.Context, pdf []byte) ([]byte, error) {
	if c.Door == nil {
		return nil, errs.E(errs.Internal, "api: IsolatedResults without a Door")
	}
	return c.Door.CheckResult(ctx, pdf)
}

func reportOf(rep *pades.Report) *VerifyReport {
	out := &VerifyReport{Valid: rep.Valid, Signatures: []SignatureReport{}, Problems: rep.Problems}
	for _, sg := range rep.Signatures {
		out.Signatures = append(out.Signatures, SignatureReport{Signer: sg.Signer, SignedAt: sg.SignedAt,
			Intact: sg.Intact, Trusted: sg.Trusted, Timestamped: sg.Timestamped, Valid: sg.Valid,
			SubFilter: sg.SubFilter, Problems: sg.Problems, Field: sg.Field, Level: sg.Level,
			Revocation: sg.Revocation, Modifications: sg.ModifiedAfter})
	}
	return out
}

// Printed renders separator sheets (pkg/format/separator) and receipts (pkg/web/receipt).
type Printed struct{}

// Separator implements Documents.
func (Printed) Separator(code, name string) ([]byte, error) { return separator.Sheet(code, name) }

// Receipt implements Documents.
func (Printed) Receipt(_ context.Context, d *dossier.Dossier, p procedure.Procedure) ([]byte, error) {
	return receipt.Render(d, p, receipt.Options{})
}

var (
	_ Verifier      = PadesVerifier{}
	_ Verifier      = IsolatedVerifier{}
	_ ResultChecker = IsolatedResults{}
	_ Documents     = Printed{}
)
