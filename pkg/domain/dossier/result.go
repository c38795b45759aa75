package dossier

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"gocloud.dev/blob"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/metrics"
)

// MaxBatch is the most results one batch signature call takes.
const MaxBatch = 200

// PutResult stores the agency's (unsigned) result PDF of an APPROVED dossier.
// A new upload replaces the previous unsigned one.
func (s *Service) PutResult(ctx context.Context, a identity.Actor, id string, body io.Reader) (*Dossier, error) {
	if _, err := s.resultTarget(ctx, a, id); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(body, s.c.MaxResultBytes+1))
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "the upload was interrupted")
	}
	if int64(len(data)) > s.c.MaxResultBytes {
		return nil, errs.E(errs.TooLarge, "the result PDF is larger than %d MB", s.c.MaxResultBytes>>20)
	}
	if err := checkPDF(data); err != nil {
		return nil, err
	}
	// An upload sent here settles one asked for by link, refused or not.
	return s.storeResult(ctx, id, a.Label(), data, func(d *Dossier) { d.ResultUpload = nil })
}

// storeResult stores data as the dossier's unsigned result, uploaded by by,
// if the dossier is still APPROVED; also, if set, changes d under the same
// write (the upload it came from is settled).
func (s *Service) storeResult(ctx context.Context, id, by string, data []byte, also func(d *Dossier)) (*Dossier, error) {
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	key := fmt.Sprintf("results/%s/%s.pdf", id, digest[:16])
	if err := blobs.Put(ctx, s.c.Blobs, key, data, &blob.WriterOptions{ContentType: "application/pdf"}); err != nil {
		return nil, fmt.Errorf("store result: %w", err)
	}
	return s.update(ctx, id, func(d *Dossier) error {
		if d.Status != Approved {
			return errs.E(errs.Conflict, "dossier %s is %s", d.Code, d.Status)
		}
		d.Result = &Result{Key: key, SHA256: digest, UploadedBy: by, UploadedAt: s.c.Now().UTC()}
		if also != nil {
			also(d)
		}
		return nil
	})
}

// checkPDF makes the cheap checks a result PDF must pass before anyone parses it:
// a PDF header and an end-of-file marker near the end.
func checkPDF(b []byte) error {
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		return errs.E(errs.Unsupported, "the result must be a PDF file")
	}
	tail := b[max(0, len(b)-2048):]
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return errs.E(errs.Invalid, "the result PDF is truncated (no %%%%EOF at its end)")
	}
	return nil
}

// BatchOutcome is the fate of one dossier in a batch signature.
type BatchOutcome struct {
	DossierID  string `json:"dossierId"`
	DocumentID string `json:"documentId,omitempty"`
	Error      string `json:"error,omitempty"`
	err        error
}

// SignResult signs the dossier's result with the officer's credential and OTP,
// stores it in the citizen's vault, and moves the dossier to RESULT_ISSUED.
// Any failure leaves the result unsigned and the dossier APPROVED.
func (s *Service) SignResult(ctx context.Context, a identity.Actor, id, credentialID, otp string) (string, error) {
	ctx = logctx.WithDossier(ctx, id)
	defer metrics.Since(ctx, s.c.Metrics, metrics.SigningSeconds, time.Now())
	out, err := s.SignBatch(ctx, a, []string{id}, credentialID, otp)
	if err != nil {
		return "", err
	}
	if out[0].err != nil {
		return "", out[0].err
	}
	return out[0].DocumentID, nil
}

// SignBatch signs the results of several dossiers with one authorization. A
// dossier that cannot be signed gets its own error; the others are signed.
// The call fails as a whole only when the authorization itself fails.
func (s *Service) SignBatch(ctx context.Context, a identity.Actor, ids []string, credentialID, otp string) ([]BatchOutcome, error) {
	if s.c.Signer == nil || s.c.Vault == nil {
		return nil, errs.E(errs.Unavailable, "signing is not configured")
	}
	if a.Role != identity.Officer {
		return nil, errs.E(errs.Forbidden, "only agency officers sign results")
	}
	if len(ids) == 0 || len(ids) > MaxBatch {
		return nil, errs.FieldError("dossierIds", "give between 1 and %d dossier IDs", MaxBatch)
	}
	if credentialID == "" || otp == "" {
		return nil, errs.FieldError("otp", "credentialId and otp are required")
	}
	out := make([]BatchOutcome, len(ids))
	var docs []SignDocument
	var idx []int
	loaded := make([]*Dossier, len(ids))
	for i, id := range ids {
		out[i].DossierID = id
		jd, err := s.loadSignable(ctx, a, id)
		if err != nil {
			out[i].err, out[i].Error = err, err.Error()
			continue
		}
		loaded[i] = jd.d
		docs = append(docs, jd.doc)
		idx = append(idx, i)
	}
	if len(docs) == 0 {
		if len(ids) == 1 {
			return nil, out[0].err
		}
		return out, nil
	}
	signed, err := s.c.Signer.SignResults(ctx, a, credentialID, otp, docs)
	if err != nil {
		return nil, err
	}
	if len(signed) != len(docs) {
		return nil, fmt.Errorf("signer returned %d outcomes for %d documents", len(signed), len(docs))
	}
	for j, i := range idx {
		d := loaded[i]
		if signed[j].Err != nil {
			out[i].err, out[i].Error = signed[j].Err, signed[j].Err.Error()
			continue
		}
		docID, err := s.issueResult(ctx, a, d, signed[j].PDF)
		if err != nil {
			out[i].err, out[i].Error = err, err.Error()
			continue
		}
		out[i].DocumentID = docID
	}
	return out, nil
}

// issueResult stores a signed result in the vault and moves the dossier on.
func (s *Service) issueResult(ctx context.Context, a identity.Actor, d *Dossier, signed []byte) (string, error) {
	p, err := s.c.Catalog.Get(d.Procedure)
	if err != nil {
		return "", err
	}
	now := s.c.Now().UTC()
	// Keyed by the unsigned result: signing it again after a crash replaces
	// the bytes of the one document rather than adding a version.
	n := vault.NewDocument{Owner: d.Citizen.ID, Kind: p.Result.Kind, Title: p.Result.Name, Issuer: p.AgencyName,
		DossierID: d.ID, Dossier: d.Code, Procedure: d.Procedure, Signed: true, IssueKey: "result:" + d.Result.SHA256}
	if n.Issuer == "" {
		n.Issuer = d.Agency
	}
	if until, ok := p.Result.ValidUntil(now); ok {
		n.ValidUntil = until
	}
	s.c.Checkpoint("sign.signed")
	doc, err := s.c.Vault.Issue(ctx, n, signed)
	if err != nil {
		return "", fmt.Errorf("store signed result: %w", err)
	}
	s.c.Checkpoint("sign.issued")
	_, err = s.update(ctx, d.ID, func(d *Dossier) error {
		if err := d.move(ResultIssued, now, a.Label()); err != nil {
			return err
		}
		d.Result.DocumentID, d.Result.SignedBy, d.Result.SignedAt = doc.ID, a.Label(), now
		return nil
	})
	if err != nil {
		return "", err
	}
	s.c.Checkpoint("sign.saved")
	return doc.ID, nil
}
