package vault

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Entry is one line of a citizen's access log. Entries are numbered from 1 and
// hash-chained: Hash = SHA-256(Prev || the entry's fields), so removing or
// altering a stored entry breaks the chain. The last entry of every write
// carries a MAC of its hash under a key the records store never holds, so a
// chain recomputed after a rewrite is detected too (see VerifyAudit).
type Entry struct {
	Seq      int64  `json:"seq"`
	Document string `json:"document"`
	// Field names the personal data read when the read was of a dossier rather
	// than a document (for example "citizen.name,citizen.id").
	Field   string    `json:"field,omitempty"`
	Actor   string    `json:"actor"`
	Role    string    `json:"role"`
	Action  string    `json:"action"`
	Purpose string    `json:"purpose,omitempty"`
	At      time.Time `json:"at"`
	Prev    string    `json:"prev"`
	Hash    string    `json:"hash"`
	MAC     string    `json:"mac,omitempty"`
}

// MAC is a keyed message authentication code whose key lives outside the
// records store: a key file outside the data directory locally (FileMAC), a
// KMS HMAC key on AWS (pkg/aws/kms). Whoever can rewrite the records cannot
// compute it.
type MAC interface {
	// Sum returns the MAC of msg.
	Sum(ctx context.Context, msg []byte) ([]byte, error)
	// Verify reports whether mac is msg's MAC.
	Verify(ctx context.Context, msg, mac []byte) (bool, error)
}

// head is the pointer to the last entry; it is updated in the same transaction
// as each append, so a removed last entry is detected too.
type head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
	MAC  string `json:"mac,omitempty"`
}

func auditPK(owner string) string { return "AUDIT#" + owner }

func entryHash(e Entry) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d\n%s\n%s\n%s\n%s\n%s\n%s", e.Prev, e.Seq, e.Document, e.Actor, e.Role, e.Action, e.Purpose,
		e.At.UTC().Format(time.RFC3339Nano))
	if e.Field != "" {
		fmt.Fprintf(h, "\nfield:%s", e.Field)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// macMessage is what the MAC of an entry covers: the owner (entries cannot be
// moved between citizens), the sequence number and the chained hash.
func macMessage(owner string, seq int64, hash string) []byte {
	return fmt.Appendf(nil, "sohoa-access-log\x00%s\x00%d\x00%s", owner, seq, hash)
}

func seqKey(n int64) string { return "E#" + fmt.Sprintf("%012d", n) }

// Access describes one read, for the access log.
type Access struct {
	Actor   string
	Role    string
	Action  string
	Purpose string
	// Field, for a read of a dossier's personal data, names the fields.
	Field string
}

// maxAuditBatch is how many entries one conditional write appends. They are
// stored together in one page item (E#<first seq>), written in one
// transaction with the head: ~300 bytes an entry keeps a page far below
// DynamoDB's 400 KB item limit.
const maxAuditBatch = 256

// auditWriteTimeout bounds how long an append keeps retrying a write that
// another process (another Lambda) raced.
const auditWriteTimeout = 30 * time.Second

// sequencer appends to each citizen's log in order and in groups: readers of
// one citizen queue their entries, one writer per citizen takes whatever is
// queued (up to maxAuditBatch) and appends it with one conditional write of the
// head. Concurrent readers wait for a write rather than racing for the head,
// so a burst of readers costs a few writes, not one retry storm.
type sequencer struct {
	s      *Service
	mu     sync.Mutex
	queues map[string]*auditQueue
}

type auditQueue struct{ pending []*pendingEntry }

type pendingEntry struct {
	doc  string
	acc  Access
	at   time.Time
	done chan error
}

func newSequencer(s *Service) *sequencer {
	return &sequencer{s: s, queues: map[string]*auditQueue{}}
}

// appendAudit adds an entry to owner's log and returns once it is stored.
func (s *Service) appendAudit(ctx context.Context, owner, doc string, a Access) error {
	return s.audit.append(ctx, owner, doc, a)
}

func (q *sequencer) append(ctx context.Context, owner, doc string, a Access) error {
	pe := &pendingEntry{doc: doc, acc: a, at: q.s.now().UTC(), done: make(chan error, 1)}
	q.mu.Lock()
	aq, running := q.queues[owner]
	if !running {
		aq = &auditQueue{}
		q.queues[owner] = aq
	}
	aq.pending = append(aq.pending, pe)
	q.mu.Unlock()
	if !running {
		go q.drain(owner, aq)
	}
	select {
	case err := <-pe.done:
		return err
	case <-ctx.Done():
		// The entry may still be written: a read logged and not served is
		// the safe side.
		return ctx.Err()
	}
}

// drain writes owner's queued entries until none is left.
func (q *sequencer) drain(owner string, aq *auditQueue) {
	for {
		q.mu.Lock()
		if len(aq.pending) == 0 {
			delete(q.queues, owner)
			q.mu.Unlock()
			return
		}
		n := min(len(aq.pending), maxAuditBatch)
		batch := make([]*pendingEntry, n)
		copy(batch, aq.pending)
		aq.pending = aq.pending[n:]
		q.mu.Unlock()
		err := q.write(owner, batch)
		for _, pe := range batch {
			pe.done <- err
		}
	}
}

func (q *sequencer) write(owner string, batch []*pendingEntry) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("append audit: panic: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), auditWriteTimeout)
	defer cancel()
	s := q.s
	pk := auditPK(owner)
	for attempt := 0; ; attempt++ {
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
			return fmt.Errorf("audit head: %w", err)
		}
		items := make([]records.Item, 0, 2)
		prev, seq := h.Hash, h.Seq
		entries := make([]Entry, len(batch))
		for i, pe := range batch {
			seq++
			e := Entry{Seq: seq, Document: pe.doc, Field: pe.acc.Field, Actor: pe.acc.Actor, Role: pe.acc.Role,
				Action: pe.acc.Action, Purpose: pe.acc.Purpose, At: pe.at, Prev: prev}
			e.Hash = entryHash(e)
			prev = e.Hash
			entries[i] = e
		}
		last := &entries[len(entries)-1]
		nh := head{Seq: last.Seq, Hash: last.Hash}
		if s.mac != nil {
			m, err := s.mac.Sum(ctx, macMessage(owner, last.Seq, last.Hash))
			if err != nil {
				return fmt.Errorf("access log MAC: %w", err)
			}
			last.MAC = hex.EncodeToString(m)
			nh.MAC = last.MAC
		}
		hd, _ := json.Marshal(nh)
		page, _ := json.Marshal(entries)
		items = append(items, records.Item{PK: pk, SK: "HEAD", Version: ver, Data: hd},
			records.Item{PK: pk, SK: seqKey(entries[0].Seq), Data: page})
		cps, err := q.checkpoints(ctx, owner, entries)
		if err != nil {
			return err
		}
		items = append(items, cps...)
		err = s.t.Transact(ctx, items)
		if err == nil {
			s.writeAnchor(ctx, owner, nh)
			return nil
		}
		if !errs.Is(err, errs.Conflict) {
			return fmt.Errorf("append audit: %w", err)
		}
		// Another process appended to this log: read its head and go again.
		backoff := time.Duration(min(attempt+1, 20)) * 2 * time.Millisecond
		select {
		case <-ctx.Done():
			return errs.Wrap(errs.Unavailable, ctx.Err(), "the access log could not be written; try again")
		case <-time.After(backoff):
		}
	}
}

// CheckpointEvery is how many entries apart the access log's checkpoints
// are: a MACed copy of the chain's hash at every entry whose number is a
// multiple of it, written with the entry. A page of the log is verified from
// the checkpoint before it to the checkpoint (or head) after it, not from
// the first entry: reading costs the page and at most twice this many
// entries, however long the log has grown.
const CheckpointEvery = 64

func checkpointKey(seq int64) string { return "C#" + fmt.Sprintf("%012d", seq) }

// checkpoints returns the checkpoint items for the entries of a write.
func (q *sequencer) checkpoints(ctx context.Context, owner string, entries []Entry) ([]records.Item, error) {
	var items []records.Item
	for _, e := range entries {
		if e.Seq%CheckpointEvery != 0 {
			continue
		}
		cp := head{Seq: e.Seq, Hash: e.Hash}
		if q.s.mac != nil {
			m, err := q.s.mac.Sum(ctx, macMessage(owner, e.Seq, e.Hash))
			if err != nil {
				return nil, fmt.Errorf("access log MAC: %w", err)
			}
			cp.MAC = hex.EncodeToString(m)
		}
		data, _ := json.Marshal(cp)
		items = append(items, records.Item{PK: auditPK(owner), SK: checkpointKey(e.Seq), Data: data})
	}
	return items, nil
}

func (s *Service) entries(ctx context.Context, owner string) ([]Entry, *head, error) {
	pk := auditPK(owner)
	its, err := s.t.Query(ctx, records.Query{PK: pk, SKPrefix: "E#"})
	if err != nil {
		return nil, nil, fmt.Errorf("read audit: %w", err)
	}
	out := decodeEntries(its)
	var h *head
	if it, err := s.t.Get(ctx, pk, "HEAD"); err == nil {
		h = &head{}
		if err := json.Unmarshal(it.Data, h); err != nil {
			h.Seq = -1
		}
	} else if !errs.Is(err, errs.NotFound) {
		return nil, nil, err
	}
	return out, h, nil
}

// decodeEntries decodes stored items of entries, in order; a corrupt or
// misplaced item becomes an entry numbered -1, which verification reports.
func decodeEntries(its []records.Item) []Entry {
	out := make([]Entry, 0, len(its))
	for _, it := range its {
		// A page of entries (one write), or a single entry written before pages.
		var page []Entry
		var err error
		if len(it.Data) > 0 && it.Data[0] == '[' {
			err = json.Unmarshal(it.Data, &page)
		} else {
			var e Entry
			err = json.Unmarshal(it.Data, &e)
			page = []Entry{e}
		}
		if err != nil || len(page) == 0 || it.SK != seqKey(page[0].Seq) {
			// A corrupt or misplaced page is a broken log, reported by verify.
			out = append(out, Entry{Seq: -1, Action: "corrupt", Document: it.SK})
			continue
		}
		out = append(out, page...)
	}
	return out
}

// Verification is the outcome of checking an access log.
type Verification struct {
	Verified bool `json:"verified"`
	// Keyed tells whether the chain is anchored by a MAC outside the records store.
	Keyed bool `json:"keyed"`
	// BrokenAt is the first entry that fails (0 when verified).
	BrokenAt int64  `json:"brokenAt,omitempty"`
	Problem  string `json:"problem,omitempty"`
}

// Audit returns the citizen's access log, oldest first, with the verdict of
// checking it. A broken log is answered, not hidden, and raises an alarm.
func (s *Service) Audit(ctx context.Context, a identity.Actor) ([]Entry, Verification, error) {
	if a.Role != identity.Citizen {
		return nil, Verification{}, errs.E(errs.Forbidden, "only a citizen has an access log")
	}
	es, h, err := s.entries(ctx, a.Subject)
	if err != nil {
		return nil, Verification{}, err
	}
	v, err := s.verify(ctx, a.Subject, es, h)
	if err != nil {
		return nil, Verification{}, err
	}
	if !v.Verified {
		s.log.Error("ALARM: access log verification failed", "owner", maskOwner(a.Subject),
			"brokenAt", v.BrokenAt, "problem", v.Problem)
	}
	valid := es[:0:0]
	for _, e := range es {
		if e.Seq > 0 {
			valid = append(valid, e)
		}
	}
	return valid, v, nil
}

func maskOwner(id string) string {
	if len(id) <= 4 {
		return "****"
	}
	return "********" + id[len(id)-4:]
}

// VerifyAudit checks owner's access log: entries numbered 1..n without gaps,
// each hash right and chained to the previous, every MAC right, the last entry
// keyed, and the head naming the last. It returns an error describing the
// first break.
func (s *Service) VerifyAudit(ctx context.Context, owner string) error {
	es, h, err := s.entries(ctx, owner)
	if err != nil {
		return err
	}
	v, err := s.verify(ctx, owner, es, h)
	if err != nil {
		return err
	}
	if !v.Verified {
		return fmt.Errorf("access log: %s", v.Problem)
	}
	return nil
}

func (s *Service) verify(ctx context.Context, owner string, es []Entry, h *head) (Verification, error) {
	v := Verification{Keyed: s.mac != nil}
	broken := func(seq int64, format string, args ...any) (Verification, error) {
		v.BrokenAt, v.Problem = seq, fmt.Sprintf(format, args...)
		return v, nil
	}
	checkMAC := func(seq int64, hash, mac string) (bool, error) {
		m, err := hex.DecodeString(mac)
		if err != nil {
			return false, nil
		}
		return s.mac.Verify(ctx, macMessage(owner, seq, hash), m)
	}
	prev := ""
	for i, e := range es {
		if at, problem := chainBreak(e, int64(i+1), prev); at != 0 {
			return broken(at, "%s", problem)
		}
		if s.mac != nil && e.MAC != "" {
			ok, err := checkMAC(e.Seq, e.Hash, e.MAC)
			if err != nil {
				return v, fmt.Errorf("verify access log MAC: %w", err)
			}
			if !ok {
				return broken(e.Seq, "entry %d does not carry the key's MAC: the log was rewritten", e.Seq)
			}
		}
		prev = e.Hash
	}
	n := int64(len(es))
	// The anchor outside the records store (in the blob store) names the
	// latest head written: a log cut back to an earlier entry, with its head
	// reset to that entry's valid MAC, still falls short of it.
	if a, err := s.readAnchor(ctx, owner); err != nil {
		return v, err
	} else if a != nil {
		switch {
		case a.Seq > n:
			return broken(n+1, "entries %d to %d were removed (the anchor outside the records names entry %d)", n+1, a.Seq, a.Seq)
		case a.Seq > 0 && es[a.Seq-1].Hash != a.Hash:
			return broken(a.Seq, "entry %d is not the one the anchor outside the records names: the log was rewritten", a.Seq)
		}
	}
	switch {
	case h == nil && n > 0:
		return broken(n, "the head is missing")
	case h != nil && h.Seq < 0:
		return broken(n, "the head is corrupt")
	case h != nil && h.Seq > n:
		return broken(n+1, "%d entries after entry %d were removed", h.Seq-n, n)
	case h != nil && (h.Seq != n || h.Hash != prev):
		return broken(n, "the head does not name entry %d", n)
	}
	if s.mac != nil && n > 0 {
		last := es[n-1]
		if last.MAC == "" {
			return broken(n, "entry %d, the last, carries no MAC: the log was rewritten", n)
		}
		if h.MAC != last.MAC {
			return broken(n, "the head's MAC is not entry %d's", n)
		}
	}
	v.Verified = true
	return v, nil
}

// chainBreak checks that e is entry want of a chain and follows the entry
// whose hash is prev: it returns the entry that breaks the chain and why, or
// 0 when e holds.
func chainBreak(e Entry, want int64, prev string) (int64, string) {
	switch {
	case e.Seq < 0:
		return want, fmt.Sprintf("entry %d is corrupt", want)
	case e.Seq != want:
		return want, fmt.Sprintf("entry %d is missing", want)
	case e.Prev != prev:
		return e.Seq, fmt.Sprintf("entry %d does not follow entry %d", e.Seq, want-1)
	case entryHash(e) != e.Hash:
		return e.Seq, fmt.Sprintf("entry %d was altered", e.Seq)
	}
	return 0, ""
}

// LogAccess records in owner's access log that someone other than owner read
// owner's personal data or papers outside the vault (a dossier's citizen
// fields, a scanned component). what names the document or dossier; the read
// must not be served if this fails.
func (s *Service) LogAccess(ctx context.Context, owner, what string, a Access) error {
	if owner == "" {
		return errs.E(errs.Invalid, "an access needs an owner")
	}
	return s.appendAudit(ctx, owner, what, a)
}

// FileMAC is the local MAC: HMAC-SHA-256 with a key read from a file kept
// outside the data directory.
type FileMAC struct{ key []byte }

// NewFileMAC returns an HMAC-SHA-256 MAC with key (at least 32 bytes).
func NewFileMAC(key []byte) (*FileMAC, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("access log key: %d bytes, at least 32 needed", len(key))
	}
	return &FileMAC{key: append([]byte(nil), key...)}, nil
}

// Sum implements MAC.
func (f *FileMAC) Sum(_ context.Context, msg []byte) ([]byte, error) {
	m := hmac.New(sha256.New, f.key)
	m.Write(msg)
	return m.Sum(nil), nil
}

// Verify implements MAC.
func (f *FileMAC) Verify(ctx context.Context, msg, mac []byte) (bool, error) {
	want, _ := f.Sum(ctx, msg)
	return hmac.Equal(want, mac), nil
}

// anchorKey is where owner's log anchor lives in the blob store: the owner's
// ID hashed, never in clear in a key.
func anchorKey(owner string) string {
	sum := sha256.Sum256([]byte("sohoa-audit-anchor\x00" + owner))
	return "audit-anchors/" + hex.EncodeToString(sum[:16])
}

// writeAnchor records the head just written outside the records store (on
// AWS the vault bucket, under Object Lock). A failure is logged: the entries
// are written and the read is served; only the truncation check loses ground.
func (s *Service) writeAnchor(ctx context.Context, owner string, h head) {
	if s.b == nil {
		return
	}
	data, _ := json.Marshal(h)
	if err := blobs.Put(ctx, s.b, anchorKey(owner), data, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		s.log.Error("ALARM: the access log's anchor could not be written", "owner", maskOwner(owner), "seq", h.Seq, "err", err)
	}
}

func (s *Service) readAnchor(ctx context.Context, owner string) (*head, error) {
	if s.b == nil {
		return nil, nil
	}
	b, err := s.b.ReadAll(ctx, anchorKey(owner))
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, nil
		}
		return nil, fmt.Errorf("read the access log's anchor: %w", err)
	}
	var h head
	if err := json.Unmarshal(b, &h); err != nil {
		return &head{Seq: 1 << 62}, nil // an unreadable anchor fails verification
	}
	return &h, nil
}
