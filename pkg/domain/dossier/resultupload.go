package dossier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"gocloud.dev/gcerrors"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/blobs"
)

// ResultChecker reads a result PDF before it is taken and answers the bytes
// to store (the upload, or a safe repair of it), or an error of a 4xx kind
// (errs.Unprocessable, errs.Invalid, ...) naming why it could never be
// signed. The stacks check it in an isolated child (pdfdoor).
type ResultChecker interface {
	CheckResult(ctx context.Context, pdf []byte) ([]byte, error)
}

// ResultUpload is a result an officer uploads straight to storage by a
// presigned PUT (ResultUploadLink): the dossier waits for it until it lands
// and is checked (AcceptStoredResult), then takes it as its Result (and
// forgets the upload) or keeps the upload with Refused saying why not.
type ResultUpload struct {
	Key         string    `json:"key"` // blob key; stored, never shown by the API
	By          string    `json:"by"`
	RequestedAt time.Time `json:"requestedAt"`
	// Refused says, in Vietnamese and English, why the landed upload was
	// not taken; empty while it is awaited.
	Refused   string    `json:"refused,omitempty"`
	RefusedAt time.Time `json:"refusedAt,omitzero"`
}

// resultUploadName starts the last part of a result upload's key, beside
// the scans under the intake prefix: the same ObjectCreated notification
// announces both to the ingest queue.
const resultUploadName = "result-"

// IsResultUploadKey reports whether key is a result upload (ResultUploadLink)
// rather than a scan.
func IsResultUploadKey(key string) bool {
	id, ok := DossierOfIntakeKey(key)
	return ok && strings.HasPrefix(strings.TrimPrefix(key, IntakePrefix+id+"/"), resultUploadName)
}

// ResultUploadLink returns a URL to which the officer PUTs the result of an
// APPROVED dossier of their agency, straight to storage (no 6 MB limit):
// once the object lands, AcceptStoredResult checks it and the dossier gets
// its result or a refusal (Dossier.ResultUpload). A new link replaces an
// earlier one not yet used.
func (s *Service) ResultUploadLink(ctx context.Context, a identity.Actor, id string) (blobs.Link, error) {
	d, err := s.resultTarget(ctx, a, id)
	if err != nil {
		return blobs.Link{}, err
	}
	if s.c.Links == nil {
		return blobs.Link{}, errs.E(errs.Unavailable, "uploads by link are not configured; PUT the result to the API")
	}
	key := IntakePrefix + d.ID + "/" + resultUploadName + s.c.NewID() + ".pdf"
	now := s.c.Now().UTC()
	if _, err := s.update(ctx, id, func(d *Dossier) error {
		if d.Status != Approved {
			return errs.E(errs.Conflict, "dossier %s is %s", d.Code, d.Status)
		}
		d.ResultUpload = &ResultUpload{Key: key, By: a.Label(), RequestedAt: now}
		return nil
	}); err != nil {
		return blobs.Link{}, err
	}
	u, err := s.c.Links.PresignPut(ctx, key, blobs.MaxPresignExpiry)
	if err != nil {
		return blobs.Link{}, fmt.Errorf("presign result upload: %w", err)
	}
	return blobs.Link{URL: u, ExpiresAt: now.Add(blobs.MaxPresignExpiry)}, nil
}

// resultTarget returns the dossier a result may be uploaded for by a: an
// APPROVED dossier of the officer's agency.
func (s *Service) resultTarget(ctx context.Context, a identity.Actor, id string) (*Dossier, error) {
	d, err := s.st.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.officerOf(a, d); err != nil {
		return nil, err
	}
	if d.Status != Approved {
		return nil, errs.E(errs.Conflict, "dossier %s is %s; a result is uploaded once it is APPROVED", d.Code, d.Status)
	}
	return d, nil
}

// AcceptStoredResult takes a result upload that landed under key (its
// ObjectCreated event through the ingest queue): read within
// MaxResultBytes, the cheap checks, then Config.Results; taken as the
// dossier's result, or refused with the reason on Dossier.ResultUpload. The
// upload object is removed either way. An object the dossier does not wait
// for (replaced, delivered again, settled) is removed and ignored. An error
// is returned only for a failure worth another delivery; on the last one
// the upload is refused, asking for it again.
func (s *Service) AcceptStoredResult(ctx context.Context, key string, lastAttempt bool) error {
	id, _ := DossierOfIntakeKey(key)
	d, err := s.st.get(ctx, id)
	if errs.Is(err, errs.NotFound) {
		s.c.Log.Warn("result upload for an unknown dossier; kept, not taken", "key", key)
		return nil
	}
	if err != nil {
		return err
	}
	up := d.ResultUpload
	if up == nil || up.Key != key || up.Refused != "" {
		s.c.Log.Info("ignoring a result upload the dossier does not wait for", "key", key, "dossier", d.ID)
		return s.discardUpload(ctx, key)
	}
	data, err := s.readUpload(ctx, key)
	if err == nil && data == nil {
		return nil // deleted since: nothing to take
	}
	if err == nil {
		if err = checkPDF(data); err == nil && s.c.Results != nil {
			data, err = s.c.Results.CheckResult(ctx, data)
		}
	}
	if err == nil {
		_, err = s.storeResult(ctx, id, up.By, data, func(d *Dossier) {
			if d.ResultUpload != nil && d.ResultUpload.Key == key {
				d.ResultUpload = nil
			}
		})
	}
	switch {
	case err == nil:
	case refusedUpload(err):
		if err := s.refuseUpload(ctx, id, key, "kết quả tải lên bị từ chối / the uploaded result was refused: "+callerMessage(err)); err != nil {
			return err
		}
	case lastAttempt:
		if err := s.refuseUpload(ctx, id, key, "không kiểm tra được kết quả đã tải lên; hãy tải lên lại / the uploaded result could not be checked; upload it again"); err != nil {
			return err
		}
		s.c.Log.Error("result upload refused after its last attempt", "key", key, "err", err)
	default:
		return fmt.Errorf("result upload %s: %w", key, err)
	}
	return s.discardUpload(ctx, key)
}

// readUpload reads a landed result upload within MaxResultBytes: nil bytes
// if it is gone, errs.TooLarge if it is over the limit.
func (s *Service) readUpload(ctx context.Context, key string) ([]byte, error) {
	r, err := s.c.Blobs.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	defer r.Close()
	if r.Size() > s.c.MaxResultBytes {
		return nil, errs.E(errs.TooLarge, "tệp kết quả lớn hơn %d MB / the result PDF is larger than %d MB", s.c.MaxResultBytes>>20, s.c.MaxResultBytes>>20)
	}
	var buf bytes.Buffer
	buf.Grow(int(r.Size()))
	if _, err := buf.ReadFrom(io.LimitReader(r, s.c.MaxResultBytes)); err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return buf.Bytes(), nil
}

// refusedUpload reports whether err says the upload itself is wrong (a 4xx
// kind): another delivery would refuse it again.
func refusedUpload(err error) bool {
	switch errs.KindOf(err) {
	case errs.Invalid, errs.TooLarge, errs.Unsupported, errs.Unprocessable, errs.Conflict, errs.Forbidden:
		return true
	}
	return false
}

// refuseUpload records on the dossier why the upload under key was not taken.
func (s *Service) refuseUpload(ctx context.Context, id, key, why string) error {
	_, err := s.update(ctx, id, func(d *Dossier) error {
		if d.ResultUpload == nil || d.ResultUpload.Key != key {
			return errUnchanged
		}
		d.ResultUpload.Refused, d.ResultUpload.RefusedAt = why, s.c.Now().UTC()
		return nil
	})
	return err
}

// callerMessage is the message of err meant for the caller (errs.Error's),
// never its cause.
func callerMessage(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

func (s *Service) discardUpload(ctx context.Context, key string) error {
	if err := s.c.Blobs.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("remove result upload %s: %w", key, err)
	}
	return nil
}
