package vault

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/identity"
	"github.com/sohoa/sohoa/pkg/records"
)

// Entry is one line of a citizen's access log. Entries are numbered from 1 and
// hash-chained: Hash = SHA-256(Prev || the entry's fields), so removing or
// altering a stored entry breaks the chain (see VerifyAudit).
type Entry struct {
	Seq      int64     `json:"seq"`
	Document string    `json:"document"`
	Actor    string    `json:"actor"`
	Role     string    `json:"role"`
	Action   string    `json:"action"`
	Purpose  string    `json:"purpose,omitempty"`
	At       time.Time `json:"at"`
	Prev     string    `json:"prev"`
	Hash     string    `json:"hash"`
}

// head is the pointer to the last entry; it is updated in the same transaction
// as each append, so a removed last entry is detected too.
type head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

func auditPK(owner string) string { return "AUDIT#" + owner }

func entryHash(e Entry) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d\n%s\n%s\n%s\n%s\n%s\n%s", e.Prev, e.Seq, e.Document, e.Actor, e.Role, e.Action, e.Purpose,
		e.At.UTC().Format(time.RFC3339Nano))
	return hex.EncodeToString(h.Sum(nil))
}

func seqKey(n int64) string { return "E#" + fmt.Sprintf("%012d", n) }

// appendAudit adds an entry to owner's log, retrying on a concurrent append.
func (s *Service) appendAudit(ctx context.Context, owner, doc string, a Access) error {
	pk := auditPK(owner)
	for attempt := 0; attempt < 20; attempt++ {
		var h head
		var ver int64
		it, err := s.t.Get(ctx, pk, "HEAD")
		switch {
		case err == nil:
			if err := json.Unmarshal(it.Data, &h); err != nil {
				return fmt.Errorf("audit head: %w", err)
			}
			ver = it.Version
		case errs.Is(err, errs.NotFound):
		default:
			return err
		}
		e := Entry{Seq: h.Seq + 1, Document: doc, Actor: a.Actor, Role: a.Role, Action: a.Action, Purpose: a.Purpose,
			At: s.now().UTC(), Prev: h.Hash}
		e.Hash = entryHash(e)
		ed, _ := json.Marshal(e)
		hd, _ := json.Marshal(head{Seq: e.Seq, Hash: e.Hash})
		err = s.t.Transact(ctx, []records.Item{
			{PK: pk, SK: "HEAD", Version: ver, Data: hd},
			{PK: pk, SK: seqKey(e.Seq), Data: ed},
		})
		if err == nil {
			return nil
		}
		if !errs.Is(err, errs.Conflict) {
			return fmt.Errorf("append audit: %w", err)
		}
	}
	return errs.E(errs.Unavailable, "the access log is busy; try again")
}

func (s *Service) entries(ctx context.Context, owner string) ([]Entry, *head, error) {
	pk := auditPK(owner)
	its, err := s.t.Query(ctx, records.Query{PK: pk, SKPrefix: "E#"})
	if err != nil {
		return nil, nil, fmt.Errorf("read audit: %w", err)
	}
	out := make([]Entry, 0, len(its))
	for _, it := range its {
		var e Entry
		if err := json.Unmarshal(it.Data, &e); err != nil {
			return nil, nil, fmt.Errorf("audit entry %s is corrupt: %w", it.SK, err)
		}
		if it.SK != seqKey(e.Seq) {
			return nil, nil, fmt.Errorf("audit entry %s holds seq %d", it.SK, e.Seq)
		}
		out = append(out, e)
	}
	var h *head
	if it, err := s.t.Get(ctx, pk, "HEAD"); err == nil {
		h = &head{}
		if err := json.Unmarshal(it.Data, h); err != nil {
			return nil, nil, fmt.Errorf("audit head: %w", err)
		}
	} else if !errs.Is(err, errs.NotFound) {
		return nil, nil, err
	}
	return out, h, nil
}

// Audit returns the citizen's access log, oldest first.
func (s *Service) Audit(ctx context.Context, a identity.Actor) ([]Entry, error) {
	if a.Role != identity.Citizen {
		return nil, errs.E(errs.Forbidden, "only a citizen has an access log")
	}
	es, _, err := s.entries(ctx, a.Subject)
	return es, err
}

// VerifyAudit checks owner's access log: entries numbered 1..n without gaps,
// each hash right and chained to the previous, and the head naming the last.
// It returns an error describing the first break.
func (s *Service) VerifyAudit(ctx context.Context, owner string) error {
	es, h, err := s.entries(ctx, owner)
	if err != nil {
		return err
	}
	prev := ""
	for i, e := range es {
		if e.Seq != int64(i+1) {
			return fmt.Errorf("access log: entry %d is missing", i+1)
		}
		if e.Prev != prev {
			return fmt.Errorf("access log: entry %d does not follow entry %d", e.Seq, i)
		}
		if entryHash(e) != e.Hash {
			return fmt.Errorf("access log: entry %d was altered", e.Seq)
		}
		prev = e.Hash
	}
	switch {
	case h == nil && len(es) > 0:
		return fmt.Errorf("access log: head is missing")
	case h != nil && (h.Seq != int64(len(es)) || h.Hash != prev):
		return fmt.Errorf("access log: %s entries after entry %d were removed", strconv.FormatInt(h.Seq-int64(len(es)), 10), len(es))
	}
	return nil
}
