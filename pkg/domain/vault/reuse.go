package vault

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/humantext"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Reuse consent. What a clerk types at the counter (a citizen ID, a name, an
// email) is a claim, not an identity: a dossier reuses nothing from the vault of
// the citizen it names until that citizen consents, on a channel the clerk
// cannot redirect: in their own vault (signed in as themselves), or by reading
// out a code that was sent to the contact on record in their vault, never to a
// contact typed at the counter. Until then the dossier learns nothing of the
// vault: the same pending answer whether the vault holds the document or not.

// Contact is where a citizen's vault reaches them: set by the citizen, signed
// in as themselves.
type Contact struct {
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// CodeSender delivers a consent code to the contact on record.
type CodeSender interface {
	SendCode(ctx context.Context, to Contact, subject, body string) error
}

// Reuse request statuses.
const (
	ReusePending = "pending"
	ReuseGranted = "granted"
	ReuseRefused = "refused"
)

// Reuse-consent limits.
const (
	consentCodeTTL      = 72 * time.Hour
	maxConsentAttempts  = 5
	maxReuseKinds       = 20
	consentCodeDigits   = 6
	reuseRequestTimeout = 90 * 24 * time.Hour
)

// ReuseRequest is a dossier's request to reuse documents of the kinds Kinds
// from a citizen's vault.
type ReuseRequest struct {
	DossierID   string    `json:"dossierId"`
	DossierCode string    `json:"dossier"`
	Procedure   string    `json:"procedure"`
	Kinds       []string  `json:"kinds"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"createdAt"`
	DecidedAt   time.Time `json:"decidedAt,omitzero"`
	DecidedBy   string    `json:"decidedBy,omitempty"`
	// CodeSent tells whether a code went to the contact on record.
	CodeSent  bool      `json:"codeSent"`
	CodeHash  string    `json:"-"`
	CodeUntil time.Time `json:"-"`
	Attempts  int       `json:"-"`
	version   int64
}

type storedReuse struct {
	ReuseRequest
	CodeHash  string    `json:"codeHash,omitempty"`
	CodeUntil time.Time `json:"codeUntil,omitzero"`
	Attempts  int       `json:"attempts"`
}

func reuseSK(dossierID string) string { return "REUSE#" + dossierID }

func codeHash(dossierID, code string) string {
	sum := sha256.Sum256([]byte("sohoa-reuse\x00" + dossierID + "\x00" + code))
	return hex.EncodeToString(sum[:])
}

func (s *Service) getReuse(ctx context.Context, owner, dossierID string) (*ReuseRequest, error) {
	it, err := s.t.Get(ctx, docPK(owner), reuseSK(dossierID))
	if err != nil {
		return nil, err
	}
	var st storedReuse
	if err := json.Unmarshal(it.Data, &st); err != nil {
		return nil, fmt.Errorf("decode reuse request: %w", err)
	}
	r := st.ReuseRequest
	r.CodeHash, r.CodeUntil, r.Attempts, r.version = st.CodeHash, st.CodeUntil, st.Attempts, it.Version
	return &r, nil
}

func (s *Service) putReuse(ctx context.Context, owner string, r *ReuseRequest) error {
	data, err := json.Marshal(storedReuse{ReuseRequest: *r, CodeHash: r.CodeHash, CodeUntil: r.CodeUntil, Attempts: r.Attempts})
	if err != nil {
		return err
	}
	it, err := s.t.Put(ctx, records.Item{PK: docPK(owner), SK: reuseSK(r.DossierID), Version: r.version,
		ExpiresAt: r.CreatedAt.Add(reuseRequestTimeout), Data: data})
	if err != nil {
		return fmt.Errorf("store reuse request: %w", err)
	}
	r.version = it.Version
	return nil
}

// RequestReuse asks owner's consent for dossier n.DossierID to reuse
// documents of n.Kinds. It is idempotent: asking again returns the stored
// request (granted, refused or pending) and sends no second code. A new
// request sends a code to the contact on record, if the citizen set one.
func (s *Service) RequestReuse(ctx context.Context, owner string, n ReuseRequest) (*ReuseRequest, error) {
	if owner == "" || n.DossierID == "" || len(n.Kinds) == 0 || len(n.Kinds) > maxReuseKinds {
		return nil, errs.E(errs.Invalid, "a reuse request needs an owner, a dossier and 1 to %d kinds", maxReuseKinds)
	}
	for attempt := 0; attempt < 5; attempt++ {
		r, err := s.getReuse(ctx, owner, n.DossierID)
		switch {
		case err == nil:
			if r.Status == ReuseGranted && !subset(n.Kinds, r.Kinds) {
				// Consent covers the kinds it named: more kinds (a new scan
				// lacks more) need the citizen's consent again.
				if err := s.deleteReuse(ctx, owner, r); err != nil {
					if errs.Is(err, errs.Conflict) {
						continue
					}
					return nil, err
				}
				n.Kinds = union(r.Kinds, n.Kinds)
				continue
			}
			if r.Status != ReusePending || sameKinds(r.Kinds, n.Kinds) {
				return r, nil
			}
			r.Kinds = append([]string(nil), n.Kinds...) // a new scan needs other kinds: same consent asked
			if err := s.putReuse(ctx, owner, r); err != nil {
				if errs.Is(err, errs.Conflict) {
					continue
				}
				return nil, err
			}
			return r, nil
		case !errs.Is(err, errs.NotFound):
			return nil, err
		}
		now := s.now().UTC()
		r = &ReuseRequest{DossierID: n.DossierID, DossierCode: n.DossierCode, Procedure: n.Procedure,
			Kinds: append([]string(nil), n.Kinds...), Status: ReusePending, CreatedAt: now}
		code, err := newCode()
		if err != nil {
			return nil, err
		}
		contact, err := s.contact(ctx, owner)
		if err != nil {
			return nil, err
		}
		send := s.codes != nil && (contact.Email != "" || contact.Phone != "")
		if send {
			r.CodeHash, r.CodeUntil, r.CodeSent = codeHash(n.DossierID, code), now.Add(consentCodeTTL), true
		}
		if err := s.putReuse(ctx, owner, r); err != nil {
			if errs.Is(err, errs.Conflict) {
				continue // a racing ingestion asked first
			}
			return nil, err
		}
		if err := s.appendAudit(ctx, owner, "dossier "+n.DossierCode, Access{Actor: "system", Role: "system",
			Action: "reuse-requested", Purpose: "dossier " + n.DossierCode, Field: strings.Join(n.Kinds, ",")}); err != nil {
			return nil, err
		}
		if send {
			body := fmt.Sprintf("Hồ sơ %s (thủ tục %s) đề nghị dùng lại giấy tờ trong kho dữ liệu của bạn: %s. "+
				"Nếu bạn đồng ý, đọc mã %s cho nhân viên bưu điện, hoặc xác nhận trong kho của bạn. Nếu bạn không nộp hồ sơ này, đừng đưa mã cho ai. "+
				"/ Dossier %s asks to reuse documents from your vault (%s). If you agree, give code %s to the clerk or confirm in your vault.",
				n.DossierCode, n.Procedure, strings.Join(n.Kinds, ", "), code, n.DossierCode, strings.Join(n.Kinds, ", "), code)
			if err := s.codes.SendCode(ctx, contact, "Đồng ý dùng lại giấy tờ / Consent to reuse", body); err != nil {
				s.log.Error("sending the reuse consent code failed", "dossier", n.DossierCode, "err", err)
			}
		}
		return r, nil
	}
	return nil, errs.E(errs.Unavailable, "the reuse request is busy; try again")
}

func subset(a, b []string) bool {
	for _, k := range a {
		if !slices.Contains(b, k) {
			return false
		}
	}
	return true
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, k := range b {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func (s *Service) deleteReuse(ctx context.Context, owner string, r *ReuseRequest) error {
	if err := s.t.Delete(ctx, docPK(owner), reuseSK(r.DossierID), r.version); err != nil {
		return fmt.Errorf("replace reuse request: %w", err)
	}
	return nil
}

func sameKinds(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("consent code: %w", err)
	}
	return fmt.Sprintf("%0*d", consentCodeDigits, n.Int64()), nil
}

// ReuseStatus returns the dossier's reuse request in owner's vault, or
// errs.NotFound.
func (s *Service) ReuseStatus(ctx context.Context, owner, dossierID string) (*ReuseRequest, error) {
	return s.getReuse(ctx, owner, dossierID)
}

// ConfirmReuseCode grants the dossier's reuse request when code is the one
// sent to the contact on record. Wrong codes are counted; after five the
// request takes no more codes (the citizen can still consent in their vault).
func (s *Service) ConfirmReuseCode(ctx context.Context, a identity.Actor, owner, dossierID, code string) (*ReuseRequest, error) {
	r, err := s.getReuse(ctx, owner, dossierID)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.E(errs.Forbidden, "mã xác nhận không đúng / the consent code is wrong")
		}
		return nil, err
	}
	if r.Status == ReuseGranted {
		return r, nil
	}
	if r.Status != ReusePending || r.CodeHash == "" || r.Attempts >= maxConsentAttempts || !s.now().Before(r.CodeUntil) {
		return nil, errs.E(errs.Forbidden, "mã xác nhận không còn dùng được; công dân có thể đồng ý trong kho dữ liệu của mình / the consent code can no longer be used; the citizen can consent in their vault")
	}
	if subtle.ConstantTimeCompare([]byte(codeHash(dossierID, strings.TrimSpace(code))), []byte(r.CodeHash)) != 1 {
		r.Attempts++
		if err := s.putReuse(ctx, owner, r); err != nil {
			return nil, err
		}
		return nil, errs.E(errs.Forbidden, "mã xác nhận không đúng / the consent code is wrong")
	}
	return s.decideReuse(ctx, owner, r, true, a.Label()+" (code sent to the contact on record)")
}

// DecideReuse lets the citizen, in their own vault, grant or refuse a
// dossier's reuse request.
func (s *Service) DecideReuse(ctx context.Context, a identity.Actor, dossierID string, grant bool) (*ReuseRequest, error) {
	if a.Role != identity.Citizen {
		return nil, errs.E(errs.Forbidden, "only the citizen decides on reuse from their vault")
	}
	r, err := s.getReuse(ctx, a.Subject, dossierID)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.E(errs.NotFound, "no reuse request for dossier %s in your vault", dossierID)
		}
		return nil, err
	}
	if r.Status != ReusePending {
		return r, nil
	}
	return s.decideReuse(ctx, a.Subject, r, grant, a.Label()+" (in the vault)")
}

func (s *Service) decideReuse(ctx context.Context, owner string, r *ReuseRequest, grant bool, by string) (*ReuseRequest, error) {
	r.Status = ReuseRefused
	if grant {
		r.Status = ReuseGranted
	}
	r.DecidedAt, r.DecidedBy, r.CodeHash = s.now().UTC(), by, ""
	if err := s.putReuse(ctx, owner, r); err != nil {
		return nil, err
	}
	if err := s.appendAudit(ctx, owner, "dossier "+r.DossierCode, Access{Actor: by, Role: "citizen",
		Action: "reuse-" + r.Status, Purpose: "dossier " + r.DossierCode, Field: strings.Join(r.Kinds, ",")}); err != nil {
		return nil, err
	}
	return r, nil
}

// ReuseRequests lists the reuse requests in the citizen's vault, newest first.
func (s *Service) ReuseRequests(ctx context.Context, a identity.Actor) ([]*ReuseRequest, error) {
	if a.Role != identity.Citizen {
		return nil, errs.E(errs.Forbidden, "only a citizen has a vault")
	}
	its, err := s.t.Query(ctx, records.Query{PK: docPK(a.Subject), SKPrefix: "REUSE#"})
	if err != nil {
		return nil, fmt.Errorf("list reuse requests: %w", err)
	}
	out := []*ReuseRequest{}
	for _, it := range its {
		var st storedReuse
		if err := json.Unmarshal(it.Data, &st); err != nil {
			return nil, fmt.Errorf("decode reuse request: %w", err)
		}
		r := st.ReuseRequest
		out = append(out, &r)
	}
	slices.SortFunc(out, func(x, y *ReuseRequest) int { return y.CreatedAt.Compare(x.CreatedAt) })
	return out, nil
}

func (s *Service) contact(ctx context.Context, owner string) (Contact, error) {
	it, err := s.t.Get(ctx, docPK(owner), "CONTACT")
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Contact{}, nil
		}
		return Contact{}, fmt.Errorf("read contact on record: %w", err)
	}
	var c Contact
	if err := json.Unmarshal(it.Data, &c); err != nil {
		return Contact{}, fmt.Errorf("decode contact on record: %w", err)
	}
	return c, nil
}

// ContactOnRecord returns where the citizen's vault reaches them (zero if they
// set nothing): the only addresses that may receive anything from the vault.
func (s *Service) ContactOnRecord(ctx context.Context, owner string) (Contact, error) {
	return s.contact(ctx, owner)
}

// MyContact returns the citizen's contact on record.
func (s *Service) MyContact(ctx context.Context, a identity.Actor) (Contact, error) {
	if a.Role != identity.Citizen {
		return Contact{}, errs.E(errs.Forbidden, "only a citizen has a vault")
	}
	return s.contact(ctx, a.Subject)
}

// SetContact sets the citizen's contact on record, signed in as themselves.
func (s *Service) SetContact(ctx context.Context, a identity.Actor, c Contact) error {
	if a.Role != identity.Citizen {
		return errs.E(errs.Forbidden, "only a citizen has a vault")
	}
	c.Email, c.Phone = strings.TrimSpace(c.Email), strings.TrimSpace(c.Phone)
	if err := humantext.Check("email", c.Email, false); err != nil {
		return err
	}
	if len(c.Email) > 254 || (c.Email != "" && !strings.Contains(c.Email, "@")) {
		return errs.FieldError("email", "email không hợp lệ / invalid email")
	}
	if len(c.Phone) > 20 || strings.IndexFunc(c.Phone, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '+') }) >= 0 {
		return errs.FieldError("phone", "số điện thoại không hợp lệ / invalid phone number")
	}
	data, _ := json.Marshal(c)
	for attempt := 0; attempt < 5; attempt++ {
		var ver int64
		if it, err := s.t.Get(ctx, docPK(a.Subject), "CONTACT"); err == nil {
			ver = it.Version
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		_, err := s.t.Put(ctx, records.Item{PK: docPK(a.Subject), SK: "CONTACT", Version: ver, Data: data})
		if err == nil {
			return s.appendAudit(ctx, a.Subject, "contact", Access{Actor: a.Label(), Role: string(a.Role), Action: "contact-set", Purpose: "owner"})
		}
		if !errs.Is(err, errs.Conflict) {
			return fmt.Errorf("store contact: %w", err)
		}
	}
	return errs.E(errs.Unavailable, "try again")
}
