package vault

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/humantext"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Share limits.
const (
	// tokenBytes is the share token's entropy: 256 bits (≥ 128 required).
	tokenBytes  = 32
	MinShareTTL = time.Minute
	MaxShareTTL = 30 * 24 * time.Hour
	// shareRetention keeps an expired share's record so that its link answers
	// 410 Gone rather than 404 for a while.
	shareRetention = 90 * 24 * time.Hour
)

// Share is a time-limited link to one document. Only the token's hash is stored.
type Share struct {
	TokenHash string    `json:"tokenHash"`
	Document  string    `json:"document"`
	Owner     string    `json:"owner"`
	Recipient string    `json:"recipient,omitempty"`
	Purpose   string    `json:"purpose,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	Revoked   bool      `json:"revoked"`
	version   int64
}

// ShareRequest is what the citizen asks for.
type ShareRequest struct {
	TTL       time.Duration
	Recipient string
	Purpose   string
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func shareKey(hash string) (string, string) { return "SHARE#" + hash, "SHARE" }

// CreateShare makes a share link for the citizen's document and returns the
// token (shown once, never stored) and the share.
func (s *Service) CreateShare(ctx context.Context, a identity.Actor, id string, r ShareRequest) (string, *Share, error) {
	d, err := s.own(ctx, a, id)
	if err != nil {
		return "", nil, err
	}
	if r.TTL < MinShareTTL || r.TTL > MaxShareTTL {
		return "", nil, errs.FieldError("ttlSeconds", "ttlSeconds must be between %d and %d", int(MinShareTTL.Seconds()), int(MaxShareTTL.Seconds()))
	}
	if len(r.Recipient) > 200 || len(r.Purpose) > 200 {
		return "", nil, errs.FieldError("recipient", "recipient and purpose are at most 200 characters")
	}
	if err := humantext.Check("recipient", r.Recipient, false); err != nil {
		return "", nil, err
	}
	if err := humantext.Check("purpose", r.Purpose, false); err != nil {
		return "", nil, err
	}
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, fmt.Errorf("share token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now().UTC()
	sh := &Share{TokenHash: hashToken(token), Document: d.ID, Owner: d.Owner, Recipient: r.Recipient,
		Purpose: r.Purpose, CreatedAt: now, ExpiresAt: now.Add(r.TTL)}
	if err := s.putShare(ctx, sh); err != nil {
		return "", nil, err
	}
	if err := s.appendAudit(ctx, d.Owner, d.ID, Access{Actor: a.Label(), Role: string(a.Role), Action: "share-created",
		Purpose: shareLabel(sh)}); err != nil {
		return "", nil, err
	}
	return token, sh, nil
}

func shareLabel(sh *Share) string {
	l := "share " + sh.TokenHash[:8]
	if sh.Recipient != "" {
		l += " to " + sh.Recipient
	}
	if sh.Purpose != "" {
		l += " for " + sh.Purpose
	}
	return l
}

func (s *Service) putShare(ctx context.Context, sh *Share) error {
	data, err := json.Marshal(sh)
	if err != nil {
		return err
	}
	pk, sk := shareKey(sh.TokenHash)
	it, err := s.t.Put(ctx, records.Item{PK: pk, SK: sk, Version: sh.version,
		GSI1PK: "VSHARES#" + sh.Owner, GSI1SK: sh.CreatedAt.UTC().Format(time.RFC3339Nano) + "#" + sh.TokenHash,
		ExpiresAt: sh.ExpiresAt.Add(shareRetention), Data: data})
	if err != nil {
		return fmt.Errorf("store share: %w", err)
	}
	sh.version = it.Version
	return nil
}

func (s *Service) getShare(ctx context.Context, token string) (*Share, error) {
	if len(token) == 0 || len(token) > 128 {
		return nil, errs.E(errs.NotFound, "no such share link")
	}
	return s.shareByHash(ctx, hashToken(token))
}

func (s *Service) shareByHash(ctx context.Context, hash string) (*Share, error) {
	pk, sk := shareKey(hash)
	it, err := s.t.Get(ctx, pk, sk)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.E(errs.NotFound, "no such share link")
		}
		return nil, err
	}
	var sh Share
	if err := json.Unmarshal(it.Data, &sh); err != nil {
		return nil, fmt.Errorf("decode share: %w", err)
	}
	sh.version = it.Version
	return &sh, nil
}

// ShareOf returns the share a token stands for (its expiry, whether it was
// revoked), for the page a recipient opens; errs.NotFound for an unknown token.
func (s *Service) ShareOf(ctx context.Context, token string) (*Share, error) {
	return s.getShare(ctx, token)
}

// RevokeShare ends a share link of the citizen's document at once.
func (s *Service) RevokeShare(ctx context.Context, a identity.Actor, id, token string) error {
	d, err := s.own(ctx, a, id)
	if err != nil {
		return err
	}
	sh, err := s.getShare(ctx, token)
	if err != nil && len(token) == shareIDLen {
		// The link's ID from GET /v1/vault/shares (the token itself is
		// never stored, so the owner may no longer have it).
		sh, err = s.shareByID(ctx, a.Subject, token)
	}
	if err != nil || sh.Document != d.ID || sh.Owner != d.Owner {
		return errs.E(errs.NotFound, "no such share link for this document")
	}
	return s.revoke(ctx, a, d, sh)
}

func (s *Service) revoke(ctx context.Context, a identity.Actor, d *Document, sh *Share) error {
	if sh.Revoked {
		return nil
	}
	sh.Revoked = true
	if err := s.putShare(ctx, sh); err != nil {
		return err
	}
	return s.appendAudit(ctx, d.Owner, d.ID, Access{Actor: a.Label(), Role: string(a.Role), Action: "share-revoked", Purpose: shareLabel(sh)})
}

// OpenShare returns the shared document while the link is valid: errs.Gone once
// it has expired or was revoked. The read is logged in the owner's access log.
func (s *Service) OpenShare(ctx context.Context, token string) (*Document, []byte, error) {
	d, acc, err := s.shared(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.read(ctx, d, acc)
	return d, b, err
}

// ShareLink is OpenShare as a short-lived link (see ContentLink): the file
// is named <kind>.pdf and shown as disposition ("inline" or "attachment").
func (s *Service) ShareLink(ctx context.Context, token, disposition string) (*Document, blobs.Link, error) {
	d, acc, err := s.shared(ctx, token)
	if err != nil {
		return nil, blobs.Link{}, err
	}
	l, err := s.link(ctx, d, acc, blobs.Disposition(disposition, d.Kind+".pdf"))
	return d, l, err
}

// shared returns the document a valid share link opens and the access its
// download is logged as.
func (s *Service) shared(ctx context.Context, token string) (*Document, Access, error) {
	sh, err := s.getShare(ctx, token)
	if err != nil {
		return nil, Access{}, err
	}
	if sh.Revoked || !s.now().Before(sh.ExpiresAt) {
		return nil, Access{}, errs.E(errs.Gone, "liên kết chia sẻ đã hết hạn hoặc bị thu hồi / this share link has expired or was revoked")
	}
	d, err := s.byID(ctx, sh.Document)
	if err != nil || d.Owner != sh.Owner || d.Hidden {
		return nil, Access{}, errs.E(errs.Gone, "the shared document is no longer available")
	}
	if err := s.countShareOpen(ctx, sh); err != nil {
		return nil, Access{}, err
	}
	actor := "share:" + sh.TokenHash[:8]
	if sh.Recipient != "" {
		actor += " (" + sh.Recipient + ")"
	}
	return d, Access{Actor: actor, Role: "share", Action: "download", Purpose: sh.Purpose}, nil
}

// DefaultShareOpensPerHour is how often one share link may be opened in an
// hour: plenty for a recipient (an officer opening it, downloading it, a
// colleague checking it), and a bound on how fast a leaked link can grow its
// owner's access log.
const DefaultShareOpensPerHour = 30

// countShareOpen counts one opening of sh in the current hour, or refuses it
// (errs.TooMany) when the hour's openings are used up. The counter is one
// item per link and hour, expiring after the hour; concurrent openings
// (other processes, other Lambdas) retry on the version condition.
func (s *Service) countShareOpen(ctx context.Context, sh *Share) error {
	now := s.now().UTC()
	hour := now.Truncate(time.Hour)
	pk, sk := "SHAREOPENS#"+sh.TokenHash, "H#"+hour.Format("2006010215")
	for attempt := 0; attempt < 20; attempt++ {
		var count struct{ N int }
		var ver int64
		it, err := s.t.Get(ctx, pk, sk)
		switch {
		case err == nil:
			if err := json.Unmarshal(it.Data, &count); err != nil {
				return fmt.Errorf("decode share openings: %w", err)
			}
			ver = it.Version
		case !errs.Is(err, errs.NotFound):
			return fmt.Errorf("read share openings: %w", err)
		}
		if count.N >= s.shareOpens {
			return errs.E(errs.TooMany, "liên kết chia sẻ này đã được mở %d lần trong giờ này; hãy thử lại sau %s / this share link was opened %d times this hour; try again after %s",
				count.N, hour.Add(time.Hour).Format("15:04 UTC"), count.N, hour.Add(time.Hour).Format("15:04 UTC"))
		}
		count.N++
		data, _ := json.Marshal(count)
		_, err = s.t.Put(ctx, records.Item{PK: pk, SK: sk, Version: ver, ExpiresAt: hour.Add(2 * time.Hour), Data: data})
		if err == nil {
			return nil
		}
		if !errs.Is(err, errs.Conflict) {
			return fmt.Errorf("count share openings: %w", err)
		}
	}
	return errs.E(errs.TooMany, "liên kết chia sẻ này đang được mở quá nhiều lần cùng lúc / this share link is being opened too often at once")
}

// ShareView is a live share link as its owner sees it: the token itself is
// never stored, so a link is named by its hash's first characters.
type ShareView struct {
	ID        string    `json:"id"`
	Document  string    `json:"document"`
	Recipient string    `json:"recipient,omitempty"`
	Purpose   string    `json:"purpose,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Shares lists the citizen's live share links (not expired, not revoked),
// newest first.
func (s *Service) Shares(ctx context.Context, a identity.Actor) ([]ShareView, error) {
	if a.Role != identity.Citizen {
		return nil, errs.E(errs.Forbidden, "only a citizen has a vault")
	}
	its, err := s.t.Query(ctx, records.Query{Index: records.GSI1, PK: "VSHARES#" + a.Subject, Desc: true})
	if err != nil {
		return nil, fmt.Errorf("list shares: %w", err)
	}
	now := s.now()
	out := []ShareView{}
	for _, it := range its {
		var sh Share
		if err := json.Unmarshal(it.Data, &sh); err != nil {
			return nil, fmt.Errorf("decode share: %w", err)
		}
		if sh.Owner != a.Subject || sh.Revoked || !now.Before(sh.ExpiresAt) {
			continue
		}
		out = append(out, ShareView{ID: sh.TokenHash[:shareIDLen], Document: sh.Document, Recipient: sh.Recipient,
			Purpose: sh.Purpose, CreatedAt: sh.CreatedAt, ExpiresAt: sh.ExpiresAt})
	}
	return out, nil
}

// shareIDLen is the length of a share link's ID: the first characters of its
// token's hash.
const shareIDLen = 16

// shareByID finds the owner's share link whose token hash starts with id.
func (s *Service) shareByID(ctx context.Context, owner, id string) (*Share, error) {
	its, err := s.t.Query(ctx, records.Query{Index: records.GSI1, PK: "VSHARES#" + owner})
	if err != nil {
		return nil, fmt.Errorf("find share: %w", err)
	}
	for _, it := range its {
		var sh Share
		if err := json.Unmarshal(it.Data, &sh); err != nil {
			return nil, fmt.Errorf("decode share: %w", err)
		}
		if sh.Owner == owner && len(sh.TokenHash) >= shareIDLen && sh.TokenHash[:shareIDLen] == id {
			full, err := s.t.Get(ctx, it.PK, it.SK)
			if err != nil {
				return nil, err
			}
			var f Share
			if err := json.Unmarshal(full.Data, &f); err != nil {
				return nil, fmt.Errorf("decode share: %w", err)
			}
			f.version = full.Version
			return &f, nil
		}
	}
	return nil, errs.E(errs.NotFound, "no such share link")
}
