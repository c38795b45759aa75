package signing

import (
	"context"
	"fmt"
	"strconv"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
	"github.com/sohoa/sohoa/pkg/format/stamp"
)

// ForDossiers returns s as the dossier service's ResultSigner: the officer's
// subject is the provider's user ID.
func ForDossiers(s *Service) dossier.ResultSigner { return dossierSigner{s} }

type dossierSigner struct{ s *Service }

func (d dossierSigner) SignResults(ctx context.Context, officer identity.Actor, credentialID, otp string, pdfs []dossier.SignDocument) ([]dossier.SignOutcome, error) {
	docs := make([]Document, len(pdfs))
	for i, p := range pdfs {
		docs[i] = Document{ID: strconv.Itoa(i), PDF: p.PDF, Reason: p.Reason}
	}
	out, err := d.s.SignResults(ctx, officer.Subject, credentialID, otp, docs)
	if err != nil {
		return nil, err
	}
	res := make([]dossier.SignOutcome, len(out))
	for i, o := range out {
		res[i] = dossier.SignOutcome{PDF: o.PDF, Err: o.Err}
	}
	return res, nil
}

// Certifier returns the dossier service's Sealer over s: the conversion mark
// of Decree 137/2024/NĐ-CP stamped on page 1, then the agency seal
// (Circular 01/2023/TT-VPCP Art. 8). Stamping comes first: any rewrite after
// signing would break the signature.
func Certifier(s *Service) (dossier.Sealer, error) {
	f, err := pdffont.NewFont()
	if err != nil {
		return nil, err
	}
	return certifier{s: s, st: stamp.NewStamper(f)}, nil
}

type certifier struct {
	s  *Service
	st *stamp.Stamper
}

func (c certifier) Certify(ctx context.Context, pdf []byte, m dossier.ConversionMark) ([]byte, dossier.MarkPlacement, error) {
	mark := stamp.Mark{DossierCode: m.DossierCode, Component: m.Component, Converter: m.Converter, Unit: m.Unit, At: m.At}
	if m.Ink != nil {
		mark.Ink = m.Ink
	}
	marked, where, err := c.st.ConversionMarkPlaced(pdf, mark)
	if err != nil {
		return nil, "", fmt.Errorf("conversion mark: %w", err)
	}
	// The stamped copy is ours alone: sealed where it lies.
	sealed, err := c.s.Seal(ctx, marked, SealMeta{Reason: "Chứng thực bản điện tử chuyển đổi từ bản giấy, hồ sơ " + m.DossierCode, InPlace: true})
	return sealed, MarkPlacement(where), err
}

// MarkPlacement names a stamp placement for the dossier.
func MarkPlacement(p stamp.Placement) dossier.MarkPlacement {
	switch p {
	case stamp.PlacedEmpty:
		return dossier.MarkMoved
	case stamp.PlacedCompact:
		return dossier.MarkCompact
	case stamp.PlacedBand:
		return dossier.MarkBand
	}
	return dossier.MarkTopLeft
}

var _ dossier.HashSigner = dossierSigner{}

// SignHashes implements dossier.HashSigner.
func (d dossierSigner) SignHashes(ctx context.Context, officer identity.Actor, credentialID, otp string, pdfs []dossier.SignDocument) ([]dossier.RawSignature, error) {
	docs := make([]Document, len(pdfs))
	for i, p := range pdfs {
		docs[i] = Document{ID: strconv.Itoa(i), PDF: p.PDF, Reason: p.Reason}
	}
	raws, err := d.s.SignHashes(ctx, officer.Subject, credentialID, otp, docs)
	if err != nil {
		return nil, err
	}
	out := make([]dossier.RawSignature, len(raws))
	for i, r := range raws {
		out[i] = dossier.RawSignature{Time: r.Time, Digest: r.Digest, Signature: r.Signature}
		if r.Err != nil {
			out[i].Error = r.Err.Error()
		}
	}
	return out, nil
}

// Finish implements dossier.HashSigner.
func (d dossierSigner) Finish(ctx context.Context, credentialID string, doc dossier.SignDocument, raw dossier.RawSignature) ([]byte, error) {
	r := Raw{Time: raw.Time, Digest: raw.Digest, Signature: raw.Signature}
	o := d.s.Finish(ctx, credentialID, Document{PDF: doc.PDF, Reason: doc.Reason}, r)
	return o.PDF, o.Err
}
