package dossier

import (
	"context"
	"fmt"
	"io"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/blobs"
)

// HasLinks reports whether the dossier's files are handed out as short-lived
// presigned links (Config.Links) rather than through the API, whose answers
// Lambda caps at 6 MB.
func (s *Service) HasLinks() bool { return s.c.Links != nil }

// ComponentLink is ComponentContent as a short-lived link: the read is
// written in the citizen's access log first (a component taken from the
// vault through the vault, which checks its bytes too), then the link made.
// The file is a PDF named <code>.pdf, shown as disposition ("inline" or
// "attachment").
func (s *Service) ComponentLink(ctx context.Context, a identity.Actor, id, code, disposition string) (blobs.Link, error) {
	if s.c.Links == nil {
		return blobs.Link{}, errs.E(errs.Unavailable, "downloads by link are not configured")
	}
	d, c, err := s.papers(ctx, a, id, code)
	if err != nil {
		return blobs.Link{}, err
	}
	disp := blobs.Disposition(disposition, c.Code+".pdf")
	if c.Source == SourceVault {
		if s.c.Vault == nil || a.Role != identity.Officer {
			return blobs.Link{}, errs.E(errs.Forbidden, "a vault document is read by the agency processing the dossier")
		}
		return s.c.Vault.LinkForDossier(ctx, a, d.Citizen.ID, c.DocumentID, d.Code, disp)
	}
	if err := s.logRead(ctx, a, d, fmt.Sprintf("dossier %s component %s", d.Code, c.Code), "component"); err != nil {
		return blobs.Link{}, err
	}
	return blobs.GetLink(ctx, s.c.Links, c.Key, blobs.Headers{ContentType: "application/pdf", Disposition: disp}, s.c.Now())
}

// ScanLink is ScanContent as a short-lived link, logged first. The answer's
// type is what the scan's first bytes are, never what its uploader declared:
// PDF, TIFF, JPEG and PNG inline, anything else an opaque attachment.
func (s *Service) ScanLink(ctx context.Context, a identity.Actor, id string, n int) (blobs.Link, error) {
	if s.c.Links == nil {
		return blobs.Link{}, errs.E(errs.Unavailable, "downloads by link are not configured")
	}
	d, sc, err := s.scanOf(ctx, a, id, n)
	if err != nil {
		return blobs.Link{}, err
	}
	r, err := s.c.Blobs.NewRangeReader(ctx, sc.Key, 0, 1024, nil)
	if err != nil {
		return blobs.Link{}, fmt.Errorf("read scan: %w", err)
	}
	head, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return blobs.Link{}, fmt.Errorf("read scan: %w", err)
	}
	ctype, kind, name := sniffedType(head), "inline", fmt.Sprintf("scan-%d", n)
	if ctype == "application/octet-stream" {
		kind, name = "attachment", name+".bin"
	}
	if err := s.logRead(ctx, a, d, fmt.Sprintf("dossier %s scan %d", d.Code, n), "scan"); err != nil {
		return blobs.Link{}, err
	}
	return blobs.GetLink(ctx, s.c.Links, sc.Key, blobs.Headers{ContentType: ctype, Disposition: blobs.Disposition(kind, name)}, s.c.Now())
}
