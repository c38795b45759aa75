package signing

import (
	"bytes"
	"context"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pades"
)

// Raw is a signature value made for one prepared document: with the
// document, its reason and its signing time it is enough to finish the
// signature later, in another process, without asking the officer again.
type Raw struct {
	ID string
	// Time is the signing time written into the prepared document.
	Time time.Time
	// Digest is what was signed: the hash of the signed attributes.
	Digest []byte
	// Signature is the provider's signature value of Digest.
	Signature []byte
	// Err says why this document got no signature (it could not be prepared).
	Err error
}

// SignHashes is the first half of SignResults, for a batch that finishes in
// the background: every document is prepared at one signing time, the OTP is
// exchanged for one authorization bound to all the hashes, and one signHash
// call signs them. Nothing is embedded: Finish does that, now or after a
// restart. The errors are those of SignResults.
func (s *Service) SignHashes(ctx context.Context, userID, credentialID, otp string, docs []Document) ([]Raw, error) {
	cred, algo, err := s.credential(ctx, userID, credentialID, otp, len(docs), len(docs))
	if err != nil {
		return nil, err
	}
	at := time.Now().Truncate(time.Second)
	out := make([]Raw, len(docs))
	for i := range docs {
		out[i].ID, out[i].Time = docs[i].ID, at
	}
	s.each(len(docs), func(i int, err error) { out[i].Err = err }, func(i int) {
		o := s.options(cred.Chain, nil, reasonOf(docs[i]))
		o.Time = at
		p, err := pades.Prepare(ctx, docs[i].PDF, o)
		if err != nil {
			out[i].Err = err
			return
		}
		out[i].Digest = p.Digest()
	})
	idx, sigs, err := s.signAll(ctx, userID, credentialID, otp, algo, len(docs), func(i int) []byte {
		if out[i].Err != nil {
			return nil
		}
		return out[i].Digest
	})
	if err != nil {
		return nil, err
	}
	for k, i := range idx {
		out[i].Signature = sigs[k]
	}
	return out, nil
}

// Finish embeds raw, made by SignHashes for doc with credentialID, into doc:
// the document is prepared again exactly as it was when signed (same time,
// same field, same appearance), the digest is checked against the one that
// was signed, then the signature is time-stamped, embedded and verified as
// SignResults does. No OTP is needed: the signature value exists already.
func (s *Service) Finish(ctx context.Context, credentialID string, doc Document, raw Raw) Outcome {
	out := Outcome{ID: doc.ID}
	if s.cfg.Remote == nil {
		out.Err = errNoRemote
		return out
	}
	if raw.Err != nil || len(raw.Signature) == 0 {
		out.Err = errs.E(errs.Invalid, "the document has no signature value to embed")
		return out
	}
	cred, err := s.cfg.Remote.CredentialInfo(ctx, credentialID)
	if err != nil {
		out.Err = err
		return out
	}
	o := s.options(cred.Chain, nil, reasonOf(doc))
	o.Time = raw.Time
	p, err := pades.Prepare(ctx, doc.PDF, o)
	if err != nil {
		out.Err = err
		return out
	}
	if !bytes.Equal(p.Digest(), raw.Digest) {
		out.Err = errs.E(errs.Conflict, "the document prepared again differs from the one that was signed; sign it again")
		return out
	}
	out.PDF, out.Err = p.Embed(ctx, raw.Signature)
	if out.Err == nil {
		out.Report = p.Report()
	}
	return out
}

func reasonOf(d Document) string {
	if d.Reason == "" {
		return DefaultReason
	}
	return d.Reason
}
