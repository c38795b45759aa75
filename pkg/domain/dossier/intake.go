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

	"gocloud.dev/gcerrors"

	"github.com/sohoa/sohoa/pkg/errs"
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

// AcceptStoredScan takes a scan that was uploaded straight to blob storage
// under an intake key (the S3 ObjectCreated path): it records the scan on the
// dossier, moves it to SCANNED and ingests it, all in this call. It is
// idempotent: a redelivered event for a scan already recorded resumes or
// skips its ingestion; an event for a dossier past ingestion leaves the
// dossier alone (the object stays, as every original does).
func (s *Service) AcceptStoredScan(ctx context.Context, key string, lastAttempt bool) error {
	id, ok := DossierOfIntakeKey(key)
	if !ok {
		s.c.Log.Warn("ignoring an object outside the intake layout", "key", key)
		return nil
	}
	if d, err := s.st.get(ctx, id); err == nil {
		for _, sc := range d.Scans {
			if sc.Key == key && sc.Size <= s.c.MaxScanBytes {
				// Recorded already, with the digest taken as it was stored
				// (an upload through the API, or this event delivered
				// again): the scan need not be read twice before it is
				// split. One over the limit goes the long way, to its finding.
				return s.Ingest(ctx, IngestJob{DossierID: d.ID, ScanKey: key}, lastAttempt)
			}
		}
	}
	attrs, err := s.c.Blobs.Attributes(ctx, key)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil // deleted since (lifecycle): nothing to ingest
		}
		return fmt.Errorf("stat %s: %w", key, err)
	}
	r, err := s.c.Blobs.NewReader(ctx, key, nil)
	if err != nil {
		return fmt.Errorf("open %s: %w", key, err)
	}
	// The stored type is what the bytes are, never what the uploader declared
	// (a presigned PUT keeps the client's Content-Type).
	br := bufio.NewReaderSize(r, 4096)
	head, _ := br.Peek(1024)
	contentType := sniffedType(head)
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(br, s.c.MaxScanBytes+1))
	r.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	if attrs.ContentType != contentType {
		s.c.Log.Info("scan typed by its bytes, not as declared", "key", key, "declared", attrs.ContentType, "sniffed", contentType)
	}
	digest := hex.EncodeToString(h.Sum(nil))
	tooLarge := n > s.c.MaxScanBytes
	d, err := s.recordScan(ctx, id, Scan{Key: key, SHA256: digest, Size: n, ContentType: contentType,
		At: s.c.Now().UTC(), By: "intake"})
	switch {
	case errors.Is(err, errIgnored):
		s.c.Log.Warn("scan arrived for a dossier past ingestion; kept, not ingested", "key", key)
		return nil
	case errs.Is(err, errs.NotFound):
		s.c.Log.Warn("scan arrived for an unknown dossier; kept, not ingested", "key", key)
		return nil
	case err != nil:
		return err
	}
	if tooLarge {
		_, err := s.update(ctx, id, func(d *Dossier) error {
			if l, ok := d.LastScan(); !ok || l.Key != key || d.Status != Scanned {
				return errAlreadyDone
			}
			d.Findings = []Finding{{Severity: SeverityError, Code: "scan.too-large",
				Message: fmt.Sprintf("Tệp quét lớn hơn %d MB; hãy quét lại ở 200–300 dpi hoặc chia hồ sơ. / The scan is larger than %d MB.", s.c.MaxScanBytes>>20, s.c.MaxScanBytes>>20)}}
			d.SupplementRequests++
			return d.move(NeedsSupplement, s.c.Now(), "system:ingest")
		})
		if errors.Is(err, errAlreadyDone) {
			return nil
		}
		return err
	}
	return s.Ingest(ctx, IngestJob{DossierID: d.ID, ScanKey: key}, lastAttempt)
}

var errIgnored = errors.New("ignored")
