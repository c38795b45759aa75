package dossier

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/port/blobs"
)

// ScanReader splits a stored scan, read from src (size bytes), into
// components. It hands each component's PDF back in memory
// (scan.Component.PDF) or as a file under dir (scan.Component.File); the
// caller creates dir and removes it. In production it is
// scan.SplitIsolatedStream (a child process with limits: neither the scan
// nor its components are held whole by the ingesting process); in tests
// often scan.Split through ScanBytes.
type ScanReader func(ctx context.Context, src io.Reader, size int64, dir string) (*scan.Result, error)

// ScanBytes is a ScanReader for a reader of whole scans in memory (scan.Split
// in tests): it reads the scan into memory first.
func ScanBytes(read func(ctx context.Context, data []byte) (*scan.Result, error)) ScanReader {
	return func(ctx context.Context, src io.Reader, size int64, _ string) (*scan.Result, error) {
		data := make([]byte, size)
		if _, err := io.ReadFull(src, data); err != nil {
			return nil, fmt.Errorf("read scan: %w", err)
		}
		return read(ctx, data)
	}
}

// Calendar computes due dates in working days; *calendar.Calendar implements it.
type Calendar interface {
	Due(received time.Time, workingDays int) time.Time
	// DueWithPauses is Due with the clock stopped during pauses (supplement
	// requests); ok is false while the last pause is open.
	DueWithPauses(received time.Time, workingDays int, pauses []calendar.Interval) (due time.Time, ok bool)
	// CheckHorizon fails when the holiday data does not reach far enough
	// past now for due dates to be right.
	CheckHorizon(now time.Time) error
}

// Vault is what the dossier service needs of the citizen's vault.
type Vault interface {
	Issue(ctx context.Context, n vault.NewDocument, content []byte) (*vault.Document, error)
	Reusable(ctx context.Context, owner, kind string, at time.Time) (*vault.Document, error)
	ReadForDossier(ctx context.Context, a identity.Actor, owner, id, dossierCode string) (*vault.Document, []byte, error)
	// LinkForDossier is ReadForDossier as a short-lived link answered with
	// Content-Disposition disp.
	LinkForDossier(ctx context.Context, a identity.Actor, owner, id, dossierCode, disp string) (blobs.Link, error)
	RequestReuse(ctx context.Context, owner string, r vault.ReuseRequest) (*vault.ReuseRequest, error)
	ConfirmReuseCode(ctx context.Context, a identity.Actor, owner, dossierID, code string) (*vault.ReuseRequest, error)
	DecideReuse(ctx context.Context, a identity.Actor, dossierID string, grant bool) (*vault.ReuseRequest, error)
	LogAccess(ctx context.Context, owner, what string, a vault.Access) error
}

// ResultSigner signs result PDFs with an officer's remote credential. One
// authorization (otp) covers every PDF of the call. It returns one signed PDF or
// one error per input; the error return is for a failure of the whole call (a
// wrong OTP is errs.Forbidden and signs nothing).
type ResultSigner interface {
	SignResults(ctx context.Context, officer identity.Actor, credentialID, otp string, pdfs []SignDocument) ([]SignOutcome, error)
}

// SignDocument is one result to sign and what its signature says.
type SignDocument struct {
	PDF      []byte
	Reason   string
	Location string
}

// SignOutcome is the fate of one SignDocument.
type SignOutcome struct {
	PDF []byte
	Err error
}

// Sealer certifies a digitized component: it stamps the conversion mark of Decree
// 137/2024 on page 1 and signs with the receiving unit's seal (Circular 01/2023
// Art. 8). A nil Sealer leaves components uncertified.
// Certify returns the certified PDF and where the mark went on page 1. The
// caller gives pdf up: the mark and the seal are appended in its spare
// capacity when it has room (CertifySpare), so that a component of tens of
// megabytes is not copied on its way to a certified copy.
type Sealer interface {
	Certify(ctx context.Context, pdf []byte, mark ConversionMark) ([]byte, MarkPlacement, error)
}
