package vault

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Page sizes of the access log.
const (
	DefaultAuditPage = 50
	MaxAuditPage     = 200
)

// AuditPage is one page of a citizen's access log, newest first, with the
// verdict of checking the part of the chain that holds it.
type AuditPage struct {
	Entries      []Entry
	Verification Verification
	// Next is the cursor of the page of older entries; "" on the last page.
	Next string
}

// AuditPage returns the page of the citizen's access log that ends before
// cursor ("" for the newest), at most limit entries (0: DefaultAuditPage).
//
// It is verified incrementally: from the checkpoint before the page (or the
// first entry) to the checkpoint after it (or the head), each MAC checked
// under the key the records store never holds, every entry in between
// numbered without gaps, its hash right and chained; the head's MAC and the
// anchor outside the records tell whether entries were cut from the end. A
// broken page is answered, not hidden, and raises an alarm.
func (s *Service) AuditPage(ctx context.Context, a identity.Actor, cursor string, limit int) (*AuditPage, error) {
	if a.Role != identity.Citizen {
		return nil, errs.E(errs.Forbidden, "only a citizen has an access log")
	}
	switch {
	case limit <= 0:
		limit = DefaultAuditPage
	case limit > MaxAuditPage:
		limit = MaxAuditPage
	}
	before := int64(-1)
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 1 {
			return nil, errs.FieldError("cursor", "cursor is not one this log gave")
		}
		before = n
	}
	owner := a.Subject
	pg := &AuditPage{Entries: []Entry{}, Verification: Verification{Keyed: s.mac != nil}}
	broken := func(seq int64, format string, args ...any) (*AuditPage, error) {
		pg.Verification.BrokenAt, pg.Verification.Problem = seq, fmt.Sprintf(format, args...)
		s.log.Error("ALARM: access log verification failed", "owner", maskOwner(owner),
			"brokenAt", seq, "problem", pg.Verification.Problem)
		return pg, nil
	}
	h, err := s.auditHead(ctx, owner)
	if err != nil {
		return nil, err
	}
	anchor, err := s.readAnchor(ctx, owner)
	if err != nil {
		return nil, err
	}
	n := int64(0)
	if h != nil {
		n = h.Seq
	}
	switch {
	case h != nil && h.Seq < 0:
		return broken(0, "the head is corrupt")
	case anchor != nil && anchor.Seq > n:
		return broken(n+1, "entries %d to %d were removed (the anchor outside the records names entry %d)", n+1, anchor.Seq, anchor.Seq)
	case anchor != nil && anchor.Seq == n && n > 0 && anchor.Hash != h.Hash:
		return broken(n, "entry %d is not the one the anchor outside the records names: the log was rewritten", n)
	}
	if n == 0 {
		pg.Verification.Verified = true
		return pg, nil
	}
	if s.mac != nil {
		if ok, err := s.macOK(ctx, owner, *h); err != nil {
			return nil, err
		} else if !ok {
			return broken(n, "the head does not carry the key's MAC: the log was rewritten")
		}
	}
	hi := n
	if before > 0 {
		hi = min(before-1, n)
	}
	if hi < 1 {
		pg.Verification.Verified = true
		return pg, nil
	}
	lo := max(1, hi-int64(limit)+1)

	// The part of the chain to check: from a trusted hash before lo to a
	// trusted hash at or after hi.
	start := head{} // the chain's start: entry 0, hash ""
	if lo > 1 {
		if cp, err := s.auditCheckpoint(ctx, owner, checkpointKey(1), checkpointKey(lo-1), true); err != nil {
			return nil, err
		} else if cp != nil {
			start = *cp
		}
	}
	end := *h
	if cp, err := s.auditCheckpoint(ctx, owner, checkpointKey(hi), checkpointKey(n), false); err != nil {
		return nil, err
	} else if cp != nil {
		end = *cp
	}
	for _, cp := range []head{start, end} {
		if s.mac == nil || cp.Seq == 0 || cp.Seq == n {
			continue
		}
		ok, err := s.macOK(ctx, owner, cp)
		if err != nil {
			return nil, err
		}
		if !ok {
			return broken(cp.Seq, "the checkpoint at entry %d does not carry the key's MAC: the log was rewritten", cp.Seq)
		}
	}
	es, err := s.entryRange(ctx, owner, start.Seq+1, end.Seq)
	if err != nil {
		return nil, err
	}
	prev := start.Hash
	for i, e := range es {
		if at, problem := chainBreak(e, start.Seq+int64(i)+1, prev); at != 0 {
			return broken(at, "%s", problem)
		}
		if anchor != nil && e.Seq == anchor.Seq && e.Hash != anchor.Hash {
			return broken(e.Seq, "entry %d is not the one the anchor outside the records names: the log was rewritten", e.Seq)
		}
		prev = e.Hash
	}
	if got := start.Seq + int64(len(es)); got < end.Seq {
		return broken(got+1, "entry %d is missing", got+1)
	}
	if prev != end.Hash {
		return broken(end.Seq, "entry %d is not the one its checkpoint names", end.Seq)
	}
	if end.Seq == n && s.mac != nil && es[len(es)-1].MAC != h.MAC {
		return broken(n, "the head's MAC is not entry %d's", n)
	}
	for _, e := range es {
		if e.Seq >= lo && e.Seq <= hi {
			pg.Entries = append(pg.Entries, e)
		}
	}
	slices.Reverse(pg.Entries)
	if lo > 1 {
		pg.Next = strconv.FormatInt(lo, 10)
	}
	pg.Verification.Verified = true
	return pg, nil
}

func (s *Service) auditHead(ctx context.Context, owner string) (*head, error) {
	it, err := s.t.Get(ctx, auditPK(owner), "HEAD")
	if errs.Is(err, errs.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read audit head: %w", err)
	}
	var h head
	if err := json.Unmarshal(it.Data, &h); err != nil {
		return &head{Seq: -1}, nil
	}
	return &h, nil
}

// auditCheckpoint returns the last (latest) or first checkpoint with a key in
// [from, to], nil if there is none or it cannot be read (the check then
// goes on to the next trusted point).
func (s *Service) auditCheckpoint(ctx context.Context, owner, from, to string, latest bool) (*head, error) {
	its, err := s.t.Query(ctx, records.Query{PK: auditPK(owner), SKFrom: from, SKTo: to, Desc: latest, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("read audit checkpoint: %w", err)
	}
	if len(its) == 0 {
		return nil, nil
	}
	var cp head
	if err := json.Unmarshal(its[0].Data, &cp); err != nil || its[0].SK != checkpointKey(cp.Seq) {
		return nil, nil
	}
	return &cp, nil
}

// entryRange reads the stored entries numbered from..to (and the rest of the
// items that hold them, which the caller checks in order).
func (s *Service) entryRange(ctx context.Context, owner string, from, to int64) ([]Entry, error) {
	pk := auditPK(owner)
	// The item holding entry from starts at or before it.
	first, err := s.t.Query(ctx, records.Query{PK: pk, SKFrom: seqKey(0), SKTo: seqKey(from), Desc: true, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	lowKey := seqKey(from)
	if len(first) > 0 {
		lowKey = first[0].SK
	}
	its, err := s.t.Query(ctx, records.Query{PK: pk, SKFrom: lowKey, SKTo: seqKey(to)})
	if err != nil {
		return nil, fmt.Errorf("read audit: %w", err)
	}
	var out []Entry
	for _, e := range decodeEntries(its) {
		if e.Seq < 0 || (e.Seq >= from && e.Seq <= to) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *Service) macOK(ctx context.Context, owner string, h head) (bool, error) {
	m, err := hex.DecodeString(h.MAC)
	if err != nil || len(m) == 0 {
		return false, nil
	}
	ok, err := s.mac.Verify(ctx, macMessage(owner, h.Seq, h.Hash), m)
	if err != nil {
		return false, fmt.Errorf("verify access log MAC: %w", err)
	}
	return ok, nil
}
