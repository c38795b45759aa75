package dossier

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/citizen"
	"github.com/sohoa/sohoa/pkg/domain/humantext"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/logctx"
	"gocloud.dev/blob"
)

// IntakePrefix is where a clerk's scanner uploads directly to the intake
// bucket (a presigned PUT on AWS): intake/<dossier ID>/<random>. The bucket's
// ObjectCreated events start ingestion (AcceptStoredScan).
const IntakePrefix = "intake/"

// NewIntakeKey returns a fresh key under which a scan of dossier id may be
// uploaded directly to blob storage.
func NewIntakeKey(id string) string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return IntakePrefix + id + "/" + hex.EncodeToString(b)
}

// DossierOfIntakeKey returns the dossier ID of an intake key.
func DossierOfIntakeKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, IntakePrefix)
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "/")
	return id, ok && id != ""
}

// CreateInput is what the postal clerk enters at the counter.
type CreateInput struct {
	Procedure    string  `json:"procedure"`
	Citizen      Citizen `json:"citizen"`
	PostOffice   string  `json:"postOffice"`
	ReturnByPost bool    `json:"returnByPost"`
}

// Create opens a dossier at the counter: it checks the procedure and the
// citizen, numbers the dossier and computes its due date.
func (s *Service) Create(ctx context.Context, a identity.Actor, in CreateInput) (*Dossier, error) {
	if a.Role != identity.Clerk {
		return nil, errs.E(errs.Forbidden, "only a postal clerk opens dossiers")
	}
	p, err := s.c.Catalog.Get(in.Procedure)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.FieldError("procedure", "thủ tục %q không có trong danh mục / unknown procedure %q", in.Procedure, in.Procedure)
		}
		return nil, err
	}
	if _, err := citizen.ParseAt(in.Citizen.ID, s.c.Now()); err != nil {
		return nil, err
	}
	in.Citizen.Name = strings.TrimSpace(in.Citizen.Name)
	in.Citizen.Phone, in.Citizen.Email = strings.TrimSpace(in.Citizen.Phone), strings.TrimSpace(in.Citizen.Email)
	for _, f := range []struct{ name, v string }{{"citizen.name", in.Citizen.Name}, {"citizen.phone", in.Citizen.Phone},
		{"citizen.email", in.Citizen.Email}, {"postOffice", in.PostOffice}} {
		if err := humantext.Check(f.name, f.v, false); err != nil {
			return nil, err
		}
	}
	if in.Citizen.Name == "" || len(in.Citizen.Name) > 200 {
		return nil, errs.FieldError("citizen.name", "cần họ và tên người nộp (tối đa 200 ký tự) / the applicant's full name is required (at most 200 characters)")
	}
	if len(in.Citizen.Phone) > 20 || len(in.Citizen.Email) > 254 || (in.Citizen.Email != "" && !strings.Contains(in.Citizen.Email, "@")) {
		return nil, errs.FieldError("citizen.email", "số điện thoại hoặc email không hợp lệ / invalid phone or email")
	}
	// The clerk acts for the post office their token names; a post office in
	// the request is at most a check of it.
	postOffice := strings.TrimSpace(a.PostOffice)
	if postOffice == "" || len(postOffice) > 200 || humantext.Check("postOffice", postOffice, false) != nil {
		return nil, errs.E(errs.Forbidden, "tài khoản của bạn không gắn với bưu cục nào / your access token names no post office")
	}
	if body := strings.TrimSpace(in.PostOffice); body != "" && body != postOffice {
		return nil, errs.E(errs.Forbidden, "bạn làm việc cho %s, không thể mở hồ sơ cho %s / you act for %s and cannot open a dossier for another post office", postOffice, body, postOffice)
	}
	now := s.c.Now().UTC()
	if err := s.c.Calendar.CheckHorizon(now); err != nil {
		return nil, err
	}
	seq, err := s.st.nextSeq(ctx, p.Agency, now)
	if err != nil {
		return nil, err
	}
	d := &Dossier{
		ID: s.c.NewID(), Code: FormatCode(p.Agency, now, seq), Procedure: p.Code, Agency: p.Agency,
		Status: Received, ReceivedAt: now, DueAt: s.c.Calendar.Due(now, p.ProcessingDays).UTC(),
		Citizen: in.Citizen, PostOffice: postOffice, ReturnByPost: in.ReturnByPost,
		Clerk: a.Subject, ClerkName: a.Name, Channel: "postal",
		Components: []Component{}, Findings: []Finding{},
		History: []Event{{Status: Received, At: now, Actor: a.Label()}},
	}
	if d.ClerkName == "" {
		d.ClerkName = a.Subject
	}
	if err := s.st.save(ctx, d, 0); err != nil {
		return nil, err
	}
	s.c.Log.InfoContext(logctx.WithDossier(ctx, d.ID), "dossier created", "dossier", d.Code, "procedure", d.Procedure, "citizen", citizen.Mask(d.Citizen.ID))
	return d, nil
}

// UploadScan stores a scan of the dossier durably under an intake key: from
// there the blob-created event (S3's on AWS, the stack's own locally: see
// Config.Intake) brings it through the ingest queue to AcceptStoredScan,
// which records it, moves the dossier to SCANNED and ingests it — the path a
// scanner's presigned upload takes too. Uploading the same bytes again while
// they are being ingested changes nothing. A dossier past ingestion answers
// errs.Conflict. The answer is the dossier as it is when the scan is stored.
func (s *Service) UploadScan(ctx context.Context, a identity.Actor, id, declared string, body io.Reader) (*Dossier, error) {
	d, err := s.st.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Role != identity.Clerk || !canRead(a, d) {
		if canRead(a, d) {
			return nil, errs.E(errs.Forbidden, "only a postal clerk uploads scans")
		}
		return nil, errs.E(errs.NotFound, "no dossier %s", id)
	}
	if d.Status != Received && d.Status != NeedsSupplement && d.Status != Scanned {
		return nil, errs.E(errs.Conflict, "hồ sơ %s đang ở trạng thái %s, không nhận bản quét mới / dossier %s is %s and takes no new scan", d.Code, d.Status, d.Code, d.Status)
	}
	// The stored type is what the bytes are, never what the client declared:
	// a scan declared text/html is kept (the original is always kept) but
	// typed as opaque bytes, and ingestion refuses it with a finding.
	br := bufio.NewReaderSize(body, 4096)
	head, _ := br.Peek(1024)
	contentType := sniffedType(head)
	if declared != "" && contentType == "application/octet-stream" {
		s.c.Log.InfoContext(ctx, "scan stored as opaque bytes: its content is none of PDF, TIFF, JPEG, PNG", "dossier", d.Code, "declared", declared)
	}
	body = br
	// Stream the body to storage while hashing it: a scan is never held whole
	// in memory here. The key names the upload, not its bytes (unknown until
	// the end); an upload that turns out to be refused is deleted again.
	key := NewIntakeKey(d.ID)
	size, digest, err := s.storeStream(ctx, key, contentType, body)
	if err != nil {
		return nil, err
	}
	refuse := func(e error) (*Dossier, error) {
		if derr := s.c.Blobs.Delete(context.WithoutCancel(ctx), key); derr != nil {
			s.c.Log.WarnContext(ctx, "could not delete a refused upload", "key", key, "err", derr)
		}
		return nil, e
	}
	if size == 0 {
		return refuse(errs.E(errs.Invalid, "tệp quét rỗng / the scan is empty"))
	}
	if last, ok := d.LastScan(); ok && last.SHA256 == digest && d.Status == Scanned {
		_, err := refuse(nil) // the same upload again: already being ingested
		return d, err
	}
	if d.Status == Scanned {
		return refuse(errs.E(errs.Conflict, "hồ sơ %s đang được xử lý bản quét trước; hãy chờ kết quả / dossier %s is still ingesting its previous scan", d.Code, d.Code))
	}
	// Announce first: if recording fails, the event finds the blob gone (a
	// refused upload is deleted) or already recorded, and does nothing; if we
	// recorded first and then crashed, the dossier would wait in SCANNED.
	if err := s.c.Intake(ctx, key); err != nil {
		return refuse(errs.Wrap(errs.Unavailable, err, "could not queue the scan for ingestion; try again"))
	}
	saved, err := s.recordScan(ctx, id, Scan{Key: key, SHA256: digest, Size: size, ContentType: contentType,
		At: s.c.Now().UTC(), By: a.Label()})
	if errors.Is(err, errIgnored) {
		err = errs.E(errs.Conflict, "hồ sơ %s đang được xử lý bản quét trước; hãy chờ kết quả / dossier %s is still ingesting its previous scan", d.Code, d.Code)
	}
	if err != nil {
		// A racing upload won: this one's bytes belong to no scan.
		return refuse(err)
	}
	return saved, nil
}

// recordScan records a stored scan on the dossier and moves it to SCANNED:
// the one recording of an upload, whether it came through the API or
// straight into the bucket. A scan recorded already changes nothing; a
// dossier that takes no scan now answers errIgnored.
func (s *Service) recordScan(ctx context.Context, id string, sc Scan) (*Dossier, error) {
	return s.update(ctx, id, func(d *Dossier) error {
		if hasScan(d, sc.Key) {
			return errUnchanged
		}
		if d.Status != Received && d.Status != NeedsSupplement {
			return errIgnored
		}
		if err := s.resume(d, sc.By); err != nil {
			return err
		}
		d.Scans = append(d.Scans, sc)
		return nil
	})
}

// sniffedType is the media type of a scan from its first bytes.
func sniffedType(head []byte) string {
	switch scan.Sniff(head) {
	case scan.FormatPDF:
		return "application/pdf"
	case scan.FormatTIFF:
		return "image/tiff"
	case scan.FormatJPEG:
		return "image/jpeg"
	case scan.FormatPNG:
		return "image/png"
	}
	return "application/octet-stream"
}

// storeStream copies body to the blob key, at most MaxScanBytes, and returns
// its size and SHA-256. A body over the limit is errs.TooLarge and leaves nothing.
func (s *Service) storeStream(ctx context.Context, key, contentType string, body io.Reader) (int64, string, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.c.Blobs.NewWriter(wctx, key, &blob.WriterOptions{ContentType: contentType})
	if err != nil {
		return 0, "", fmt.Errorf("store scan: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(body, s.c.MaxScanBytes+1))
	if err == nil && n > s.c.MaxScanBytes {
		err = refusal(errs.TooLarge, TooLargeFinding(s.c.MaxScanBytes))
	}
	if err != nil {
		cancel() // a cancelled writer discards what it has
		_ = w.Close()
		if errs.Is(err, errs.TooLarge) {
			return 0, "", err
		}
		return 0, "", errs.Wrap(errs.Invalid, err, "the upload was interrupted; send the scan again")
	}
	if err := w.Close(); err != nil {
		return 0, "", fmt.Errorf("store scan: %w", err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
