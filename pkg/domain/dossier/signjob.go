package dossier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/metrics"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// TopicSign carries batch-signing jobs (SignJobMessage).
const TopicSign = "sign"

// MaxJobBatch is the most dossiers one sign job takes under one code.
const MaxJobBatch = 1000

// jobChunk is the most results a sign job finishes between saves of its
// progress (a quarter of the job when that is fewer): a crash redoes at
// most this many embeddings, never a signature.
const jobChunk = 25

// The states of a sign job.
const (
	JobQueued      = "queued"      // waiting for a worker
	JobAuthorizing = "authorizing" // the code is being exchanged for signatures
	JobSigning     = "signing"     // signatures made; results being finished and issued
	JobDone        = "done"
	JobFailed      = "failed"
)

// HashSigner signs a batch in two halves: SignHashes uses the officer's code
// once for every document's signature value, Finish embeds one value later,
// in any process, without the code. ResultSigners that can run sign jobs
// implement it (signing.ForDossiers does).
type HashSigner interface {
	SignHashes(ctx context.Context, officer identity.Actor, credentialID, otp string, docs []SignDocument) ([]RawSignature, error)
	Finish(ctx context.Context, credentialID string, doc SignDocument, raw RawSignature) ([]byte, error)
}

// RawSignature is a signature value made for a prepared document.
type RawSignature struct {
	Time      time.Time `json:"time"`
	Digest    []byte    `json:"digest"`
	Signature []byte    `json:"signature"`
	Error     string    `json:"error,omitempty"`
}

// SignJob is a batch of results signed under one code in the background.
type SignJob struct {
	ID           string         `json:"id"`
	Officer      identity.Actor `json:"officer"`
	CredentialID string         `json:"credentialId"`
	DossierIDs   []string       `json:"dossierIds"`
	Status       string         `json:"status"`
	Done         int            `json:"done"`
	Total        int            `json:"total"`
	Results      []BatchOutcome `json:"results"`
	Error        string         `json:"error,omitempty"`
	CreatedAt    time.Time      `json:"createdAt"`
	UpdatedAt    time.Time      `json:"updatedAt"`
	version      int64
}

// SignJobMessage is a sign job on TopicSign. The code travels only here,
// never in the job's record: it is single-use and dies within minutes.
type SignJobMessage struct {
	Job string `json:"job"`
	OTP string `json:"otp"`
}

func jobPK(id string) string     { return "SIGNJOB#" + id }
func jobRawKey(id string) string { return "signjobs/" + id + "/signatures.json" }

// StartSignBatch records a sign job for up to MaxJobBatch dossiers of the
// officer's agency and queues it; a worker signs them under the one code.
// The answer comes at once: GetSignJob shows the progress.
func (s *Service) StartSignBatch(ctx context.Context, a identity.Actor, ids []string, credentialID, otp string) (*SignJob, error) {
	if _, ok := s.c.Signer.(HashSigner); !ok || s.c.Vault == nil {
		return nil, errs.E(errs.Unavailable, "batch signing is not configured")
	}
	if a.Role != identity.Officer {
		return nil, errs.E(errs.Forbidden, "only agency officers sign results")
	}
	if len(ids) == 0 || len(ids) > MaxJobBatch {
		return nil, errs.FieldError("dossierIds", "give between 1 and %d dossier IDs", MaxJobBatch)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return nil, errs.FieldError("dossierIds", "dossier %s is listed twice", id)
		}
		seen[id] = true
	}
	if credentialID == "" || otp == "" {
		return nil, errs.FieldError("otp", "credentialId and otp are required")
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	now := s.c.Now().UTC()
	j := &SignJob{ID: hex.EncodeToString(b), Officer: a, CredentialID: credentialID, DossierIDs: ids,
		Status: JobQueued, Total: len(ids), Results: []BatchOutcome{}, CreatedAt: now, UpdatedAt: now}
	if err := s.saveJob(ctx, j); err != nil {
		return nil, err
	}
	msg, _ := json.Marshal(SignJobMessage{Job: j.ID, OTP: otp})
	if err := s.c.Queue.Send(ctx, TopicSign, msg, j.ID); err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "could not queue the sign job; try again with a new code")
	}
	return j, nil
}

// GetSignJob returns a sign job to an officer of its agency.
func (s *Service) GetSignJob(ctx context.Context, a identity.Actor, id string) (*SignJob, error) {
	j, err := s.loadJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Role != identity.Officer || a.Agency != j.Officer.Agency {
		return nil, errs.E(errs.NotFound, "no sign job %s", id)
	}
	return j, nil
}

// RunSignJob runs a queued sign job to its end. It is safe to run again
// after a crash at any point: signature values, once made, are kept in blob
// storage and finished from there (no second code, nothing signed twice),
// and each result is issued once. A code already spent when the values were
// lost cannot be spent again: the job then fails and says so.
func (s *Service) RunSignJob(ctx context.Context, m SignJobMessage) error {
	hs, ok := s.c.Signer.(HashSigner)
	if !ok || s.c.Vault == nil {
		return errs.E(errs.Unavailable, "batch signing is not configured")
	}
	j, err := s.loadJob(ctx, m.Job)
	if errs.Is(err, errs.NotFound) {
		s.c.Log.ErrorContext(ctx, "dropping a sign job message for an unknown job", "job", m.Job)
		return nil
	}
	if err != nil {
		return err
	}
	if j.Status == JobDone || j.Status == JobFailed {
		return nil
	}
	raws, err := s.readRaw(ctx, j.ID)
	switch {
	case errs.Is(err, errs.NotFound) && j.Status == JobAuthorizing:
		return s.failJob(ctx, j, "the signing was interrupted after the code was used; request a new code and sign these results again")
	case errs.Is(err, errs.NotFound):
		if raws, err = s.authorizeJob(ctx, hs, j, m.OTP); err != nil {
			return err
		}
		if j.Status == JobFailed {
			return nil // the code was refused: the job says why
		}
	case err != nil:
		return err
	}
	return s.finishJob(ctx, hs, j, raws)
}

// jobDoc is a dossier of a job and its result to sign.
type jobDoc struct {
	d   *Dossier
	doc SignDocument
}

// loadSignable loads what signing dossier id's result needs, checking that
// officer may sign it now.
func (s *Service) loadSignable(ctx context.Context, officer identity.Actor, id string) (*jobDoc, error) {
	d, err := s.st.get(ctx, id)
	if err == nil {
		err = s.officerOf(officer, d)
	}
	if err == nil && d.Status != Approved {
		err = errs.E(errs.Conflict, "dossier %s is %s; only an APPROVED dossier's result is signed", d.Code, d.Status)
	}
	if err == nil && d.Result == nil {
		err = errs.E(errs.Conflict, "dossier %s has no result uploaded yet", d.Code)
	}
	var pdf []byte
	if err == nil {
		pdf, err = s.c.Blobs.ReadAll(ctx, d.Result.Key)
	}
	if err != nil {
		return nil, err
	}
	return &jobDoc{d: d, doc: SignDocument{PDF: pdf, Reason: "Kết quả giải quyết hồ sơ " + d.Code, Location: d.Agency}}, nil
}

// authorizeJob spends the code: every signable result gets its signature
// value, kept in blob storage before anything else happens.
func (s *Service) authorizeJob(ctx context.Context, hs HashSigner, j *SignJob, otp string) ([]RawSignature, error) {
	raws := make([]RawSignature, len(j.DossierIDs))
	var docs []SignDocument
	var idx []int
	for i, id := range j.DossierIDs {
		jd, err := s.loadSignable(ctx, j.Officer, id)
		if err != nil {
			raws[i].Error = err.Error()
			continue
		}
		docs = append(docs, jd.doc)
		idx = append(idx, i)
	}
	if len(docs) == 0 {
		return raws, nil
	}
	j.Status = JobAuthorizing
	if err := s.saveJob(ctx, j); err != nil {
		return nil, err
	}
	signed, err := hs.SignHashes(ctx, j.Officer, j.CredentialID, otp, docs)
	if err != nil {
		if errs.Is(err, errs.Unavailable) {
			// Nothing was signed: the provider could not be reached. The
			// job goes back to the queue state so a redelivery tries again.
			j.Status = JobQueued
			if serr := s.saveJob(ctx, j); serr != nil {
				return nil, errors.Join(err, serr)
			}
			return nil, err
		}
		return nil, s.failJob(ctx, j, err.Error())
	}
	if len(signed) != len(docs) {
		return nil, s.failJob(ctx, j, fmt.Sprintf("the signer returned %d signatures for %d documents", len(signed), len(docs)))
	}
	for k, i := range idx {
		raws[i] = signed[k]
	}
	b, err := json.Marshal(raws)
	if err != nil {
		return nil, err
	}
	if err := blobs.Put(ctx, s.c.Blobs, jobRawKey(j.ID), b, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return nil, fmt.Errorf("keep the signature values of job %s: %w", j.ID, err)
	}
	s.c.Checkpoint("signjob.kept")
	j.Status = JobSigning
	return raws, s.saveJob(ctx, j)
}

// finishJob embeds, verifies and issues each result not finished yet, saving
// the progress every jobChunk results.
func (s *Service) finishJob(ctx context.Context, hs HashSigner, j *SignJob, raws []RawSignature) error {
	if len(raws) != len(j.DossierIDs) {
		return s.failJob(ctx, j, "the kept signature values do not match the job")
	}
	finished := map[string]bool{}
	for _, r := range j.Results {
		finished[r.DossierID] = true
	}
	pending, chunk := 0, min(jobChunk, max(1, len(j.DossierIDs)/4))
	for i, id := range j.DossierIDs {
		if finished[id] {
			continue
		}
		out := BatchOutcome{DossierID: id}
		if raws[i].Error != "" {
			out.Error = raws[i].Error
		} else {
			out.DocumentID, out.err = s.finishOne(ctx, hs, j, id, raws[i])
			if out.err != nil {
				out.Error = out.err.Error()
			}
		}
		j.Results = append(j.Results, out)
		j.Done = len(j.Results)
		s.c.Checkpoint("signjob.issued")
		if pending++; pending >= chunk {
			if err := s.saveJob(ctx, j); err != nil {
				return err
			}
			s.c.Checkpoint("signjob.saved")
			pending = 0
		}
	}
	j.Status = JobDone
	return s.saveJob(ctx, j)
}

// finishOne finishes and issues one result; a dossier whose result was
// issued already (by this job before a crash) counts as done.
func (s *Service) finishOne(ctx context.Context, hs HashSigner, j *SignJob, id string, raw RawSignature) (string, error) {
	ctx = logctx.WithDossier(ctx, id)
	defer metrics.Since(ctx, s.c.Metrics, metrics.SigningSeconds, time.Now())
	if d, err := s.st.get(ctx, id); err == nil && d.Status == ResultIssued && d.Result != nil && d.Result.DocumentID != "" {
		return d.Result.DocumentID, nil
	}
	jd, err := s.loadSignable(ctx, j.Officer, id)
	if err != nil {
		return "", err
	}
	pdf, err := hs.Finish(ctx, j.CredentialID, jd.doc, raw)
	if err != nil {
		return "", err
	}
	return s.issueResult(ctx, j.Officer, jd.d, pdf)
}

func (s *Service) failJob(ctx context.Context, j *SignJob, why string) error {
	j.Status, j.Error = JobFailed, why
	s.c.Log.WarnContext(ctx, "sign job failed", "job", j.ID, "officer", j.Officer.Label(), "why", why)
	return s.saveJob(ctx, j)
}

func (s *Service) readRaw(ctx context.Context, id string) ([]RawSignature, error) {
	b, err := s.c.Blobs.ReadAll(ctx, jobRawKey(id))
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, errs.E(errs.NotFound, "no signature values for job %s", id)
	}
	if err != nil {
		return nil, err
	}
	var raws []RawSignature
	if err := json.Unmarshal(b, &raws); err != nil {
		return nil, fmt.Errorf("signature values of job %s: %w", id, err)
	}
	return raws, nil
}

func (s *Service) loadJob(ctx context.Context, id string) (*SignJob, error) {
	if id == "" || len(id) > 64 {
		return nil, errs.E(errs.NotFound, "no sign job %q", id)
	}
	it, err := s.c.Records.Get(ctx, jobPK(id), skMeta)
	if err != nil {
		return nil, err
	}
	var j SignJob
	if err := json.Unmarshal(it.Data, &j); err != nil {
		return nil, fmt.Errorf("decode sign job %s: %w", id, err)
	}
	j.version = it.Version
	return &j, nil
}

// saveJob writes j under its version: one worker at a time runs a job (the
// queue's visibility timeout), and a stale one loses here.
func (s *Service) saveJob(ctx context.Context, j *SignJob) error {
	j.UpdatedAt = s.c.Now().UTC()
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	it, err := s.c.Records.Put(ctx, records.Item{PK: jobPK(j.ID), SK: skMeta, Version: j.version, Data: data})
	if err != nil {
		return fmt.Errorf("save sign job %s: %w", j.ID, err)
	}
	j.version = it.Version
	return nil
}
