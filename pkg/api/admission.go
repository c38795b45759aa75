package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// Admission bounds the expensive work done for requests — reading a PDF in
// the isolated child to verify it or to check an uploaded result — with the
// same limits wherever the work is reached: POST /v1/verify and the /verify
// page, a share link's page, PUT …/result and the desk page's upload. One
// Admission is shared by the API and the pages (Config.Admission).
//
// A request is admitted to the work only once its body is in: a slow client
// holds, for at most its body's deadline, a slot of the bounded pool of
// bodies being read (uploads), never one of the few slots of the work. Both
// refuse rather than queue: a burst costs 429s, not memory.
type Admission struct {
	uploads       chan struct{}
	verifications chan struct{}
	checks        chan struct{}
}

// NewAdmission returns limits for verify PDFs verified at once and results
// checked at once (each at least one). Twice as many PDFs to verify may be
// arriving at once as may be verified.
func NewAdmission(verify, results int) *Admission {
	verify, results = max(1, verify), max(1, results)
	return &Admission{uploads: make(chan struct{}, 2*verify), verifications: make(chan struct{}, verify),
		checks: make(chan struct{}, results)}
}

// busy is the refusal of a full pool: 429 on the API, the page's message.
func busy() error {
	return errs.E(errs.TooMany, "máy chủ đang kiểm tra nhiều tệp cùng lúc; hãy thử lại sau giây lát / too many files are being checked at once; try again in a moment")
}

func enter(pool chan struct{}) (leave func(), err error) {
	select {
	case pool <- struct{}{}:
		return func() { <-pool }, nil
	default:
		return nil, busy()
	}
}

// ReadUpload runs read (which reads a PDF to verify from the request body,
// bounded) while holding one of the slots for bodies arriving.
func (a *Admission) ReadUpload(read func() ([]byte, error)) ([]byte, error) {
	leave, err := enter(a.uploads)
	if err != nil {
		return nil, err
	}
	defer leave()
	return read()
}

// Verify verifies pdf with v if a verification slot is free, errs.TooMany if not.
func (a *Admission) Verify(ctx context.Context, v Verifier, pdf []byte) (*VerifyReport, error) {
	leave, err := enter(a.verifications)
	if err != nil {
		return nil, err
	}
	defer leave()
	return v.Verify(ctx, pdf)
}

// PutResult is the one way an uploaded result reaches a dossier, from the API
// (PUT /v1/dossiers/{id}/result) and from the desk page alike: body is read
// whole up to the configured bound, then — when a may put a result on the
// dossier at all — read by the isolated PDF door (Results.CheckResult: the
// file opens, has pages, could be signed) under the admission's limit, and
// only then stored. A file the door refuses is refused now, with the reason,
// rather than at signing. Without Results the dossier's own checks apply.
func (c Config) PutResult(ctx context.Context, a identity.Actor, id string, body io.Reader) (*dossier.Dossier, error) {
	if c.Results != nil {
		check, err := c.mayPutResult(ctx, a, id)
		if err != nil {
			return nil, err
		}
		if check {
			limit := c.MaxResultBytes
			if limit <= 0 {
				limit = defaultMaxResultBytes
			}
			b, err := io.ReadAll(io.LimitReader(body, limit+1))
			if err != nil {
				return nil, errs.Wrap(errs.Invalid, err, "tải tệp lên bị gián đoạn / the upload was interrupted")
			}
			if int64(len(b)) > limit {
				return nil, errs.E(errs.TooLarge, "tệp kết quả lớn hơn %d MB / the result PDF is larger than %d MB", limit>>20, limit>>20)
			}
			if b, err = c.checkResult(ctx, b); err != nil {
				return nil, err
			}
			body = bytes.NewReader(b)
		}
	}
	return c.Dossiers.PutResult(ctx, a, id, body)
}

func (c Config) checkResult(ctx context.Context, pdf []byte) ([]byte, error) {
	leave, err := enter(c.admission().checks)
	if err != nil {
		return nil, err
	}
	defer leave()
	out, err := c.Results.CheckResult(ctx, pdf)
	if k := errs.KindOf(err); k == errs.Unprocessable || k == errs.Unsupported || k == errs.TooLarge {
		var e *errs.Error
		reason := err.Error()
		if errors.As(err, &e) {
			reason = e.Message
		}
		reason = strings.ReplaceAll(reason, " / ", "; ")
		return nil, errs.Wrap(k, err, "tệp kết quả bị từ chối: tệp PDF không đọc được hoặc không ký được; hãy xuất lại tệp PDF rồi tải lên lại / the result was refused: %s", reason)
	}
	return out, err
}

// mayPutResult says whether the upload is one PutResult will take (an
// officer of the dossier's agency, the dossier APPROVED): only then is a
// child started to read it. Otherwise PutResult refuses it with the reason,
// before it stores anything.
func (c Config) mayPutResult(ctx context.Context, a identity.Actor, id string) (bool, error) {
	if a.Role != identity.Officer {
		return false, nil
	}
	d, err := c.Dossiers.Get(ctx, a, id)
	if err != nil {
		return false, err
	}
	return d.Agency == a.Agency && d.Status == dossier.Approved, nil
}

const defaultMaxResultBytes = 64 << 20

// admission is the Config's Admission; New (and the pages' New) set one
// when the assembly did not, so this fallback only serves a Config used
// directly.
func (c Config) admission() *Admission {
	if c.Admission == nil {
		return NewAdmission(c.MaxVerifyInFlight, c.MaxVerifyInFlight)
	}
	return c.Admission
}
