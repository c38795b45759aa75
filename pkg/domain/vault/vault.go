// Package vault is the citizen's document vault: every signed result and
// certified digitized copy a citizen was issued, readable only by them, shareable
// for a limited time, reusable in their next procedure, with a tamper-evident
// log of every read.
//
// It keeps metadata in a records.Table and bytes in a blob bucket under opaque
// keys (no personal data in object keys). It is not for dossiers.
package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/blobs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// maxDocumentBytes bounds a vault document's size.
const maxDocumentBytes = 200 << 20

// Document is a vault document's metadata. The fields of Circular 01/2023/TT-VPCP
// for digitized documents are kept where they apply: dossier code, procedure code,
// owner ID, document name (Title), digitizer, time of digitization, validity scope.
type Document struct {
	ID          string    `json:"id"`
	Owner       string    `json:"-"`
	Kind        string    `json:"kind"`
	Title       string    `json:"title"`
	Issuer      string    `json:"issuer"`
	IssuedAt    time.Time `json:"issuedAt"`
	ValidUntil  time.Time `json:"validUntil,omitzero"` // zero: permanent
	Scope       string    `json:"scope,omitempty"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	DossierID   string    `json:"-"`
	Dossier     string    `json:"dossier,omitempty"` // dossier code
	Procedure   string    `json:"procedure,omitempty"`
	Signed      bool      `json:"signed"`
	Certified   bool      `json:"certified"`
	Digitizer   string    `json:"digitizer,omitempty"`
	DigitizedAt time.Time `json:"digitizedAt,omitzero"`
	Version     int       `json:"version"`
	// RetainUntil is the date before which nobody can delete or change the
	// stored bytes (Object Lock); zero where the store does not lock.
	RetainUntil time.Time `json:"retainUntil,omitzero"`
	History     []Version `json:"history,omitempty"`
	Hidden      bool      `json:"-"`
	Key         string    `json:"-"`
	// IssueKey names what the current version was issued from (a scan's
	// component, an unsigned result): issuing the same thing again is the
	// same document, never a second one.
	IssueKey string `json:"-"`
	version  int64
}

// Version is an earlier version of a re-issued document, still readable.
type Version struct {
	Version  int       `json:"version"`
	SHA256   string    `json:"sha256"`
	Size     int64     `json:"size"`
	IssuedAt time.Time `json:"issuedAt"`
	Key      string    `json:"-"`
}

// ValidAt reports whether the document is valid at t.
func (d Document) ValidAt(t time.Time) bool {
	return d.ValidUntil.IsZero() || t.Before(d.ValidUntil)
}

// Service is the vault.
type Service struct {
	t          records.Table
	b          *blob.Bucket
	now        func() time.Time
	log        *slog.Logger
	newID      func() string
	checkpoint func(step string)
	mac        MAC
	codes      CodeSender
	audit      *sequencer
	lock       func(until time.Time) func(asFunc func(any) bool) error
	retention  func(kind string, signed bool) time.Duration
	shareOpens int
	links      blobs.Presigner
}

// Options are the Service's optional settings; nil means defaults.
type Options struct {
	Now   func() time.Time
	Log   *slog.Logger
	NewID func() string
	// Checkpoint, if set, is called at named steps of an issue (crash tests
	// kill the process there).
	Checkpoint func(step string)
	// MAC keys the access log's chain with a key the records store never
	// holds. Nil: an unkeyed chain, which a full recomputation defeats; every
	// deployment sets it.
	MAC MAC
	// Codes sends reuse-consent codes to the contact on record in a
	// citizen's vault. Nil: consent is given only in the vault itself.
	Codes CodeSender
	// Lock, if set, makes a document's bytes immutable until a date (on AWS
	// s3.RetainUntil: Object Lock COMPLIANCE per object); Retention says how
	// long for each kind of document. Nil Lock: the bucket's default applies.
	Lock      func(until time.Time) func(asFunc func(any) bool) error
	Retention func(kind string, signed bool) time.Duration
	// ShareOpensPerHour caps how often one share link is opened in an
	// hour (each opening is an entry in the owner's access log); default
	// DefaultShareOpensPerHour.
	ShareOpensPerHour int
	// Links, if set, presigns GETs of the vault's bucket: documents are then
	// handed out as short-lived links (ContentLink, ShareLink,
	// LinkForDossier) rather than through the API (Lambda answers at most
	// 6 MB).
	Links blobs.Presigner
}

// New returns a vault over a records table and a blob bucket.
func New(t records.Table, b *blob.Bucket, o *Options) *Service {
	s := &Service{t: t, b: b, now: time.Now, log: slog.Default(), newID: randomID, checkpoint: func(string) {}}
	if o != nil {
		if o.Checkpoint != nil {
			s.checkpoint = o.Checkpoint
		}
		s.mac, s.codes = o.MAC, o.Codes
		s.lock, s.retention, s.links = o.Lock, o.Retention, o.Links
		s.shareOpens = o.ShareOpensPerHour
		if o.Now != nil {
			s.now = o.Now
		}
		if o.Log != nil {
			s.log = o.Log
		}
		if o.NewID != nil {
			s.newID = o.NewID
		}
	}
	if s.shareOpens <= 0 {
		s.shareOpens = DefaultShareOpensPerHour
	}
	s.audit = newSequencer(s)
	return s
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Record layout.
//
//	PK VAULT#<owner>  SK DOC#<id>                    a document
//	GSI1 VKIND#<owner>#<kind>  <issuedAt>#<id>       newest of a kind (reuse)
//	GSI2 VDOC#<id>    DOC                            lookup by document ID
func docPK(owner string) string { return "VAULT#" + owner }

func (s *Service) docItem(d *Document) (records.Item, error) {
	data, err := json.Marshal(stored(*d))
	if err != nil {
		return records.Item{}, err
	}
	return records.Item{PK: docPK(d.Owner), SK: "DOC#" + d.ID,
		GSI1PK: "VKIND#" + d.Owner + "#" + d.Kind, GSI1SK: d.IssuedAt.UTC().Format(time.RFC3339Nano) + "#" + d.ID,
		GSI2PK: "VDOC#" + d.ID, GSI2SK: "DOC",
		Version: d.version, Data: data}, nil
}

// stored is Document with every field serialized (the JSON of Document hides
// internal fields from API answers).
type stored Document

func (s stored) MarshalJSON() ([]byte, error) {
	type all struct {
		Document
		Owner     string   `json:"owner"`
		DossierID string   `json:"dossierId"`
		Hidden    bool     `json:"hidden"`
		Key       string   `json:"key"`
		Keys      []string `json:"keys"`
		IssueKey  string   `json:"issueKey,omitempty"`
	}
	a := all{Document: Document(s), Owner: s.Owner, DossierID: s.DossierID, Hidden: s.Hidden, Key: s.Key, IssueKey: s.IssueKey}
	for _, v := range s.History {
		a.Keys = append(a.Keys, v.Key)
	}
	return json.Marshal(a)
}

func decodeDoc(it records.Item) (*Document, error) {
	var a struct {
		Document
		Owner     string   `json:"owner"`
		DossierID string   `json:"dossierId"`
		Hidden    bool     `json:"hidden"`
		Key       string   `json:"key"`
		Keys      []string `json:"keys"`
		IssueKey  string   `json:"issueKey"`
	}
	if err := json.Unmarshal(it.Data, &a); err != nil {
		return nil, fmt.Errorf("decode vault document: %w", err)
	}
	d := a.Document
	d.Owner, d.DossierID, d.Hidden, d.Key, d.IssueKey, d.version = a.Owner, a.DossierID, a.Hidden, a.Key, a.IssueKey, it.Version
	for i := range d.History {
		if i < len(a.Keys) {
			d.History[i].Key = a.Keys[i]
		}
	}
	return &d, nil
}

// NewDocument is a document to issue into a vault.
type NewDocument struct {
	Owner       string
	Kind        string
	Title       string
	Issuer      string
	ValidUntil  time.Time
	Scope       string
	DossierID   string
	Dossier     string
	Procedure   string
	Signed      bool
	Certified   bool
	Digitizer   string
	DigitizedAt time.Time
	// IssueKey names what is issued (a scan's component, an unsigned result).
	// Issuing with the key of the current version again changes nothing when
	// the bytes are the same, and replaces the bytes in place when a crashed
	// attempt left others: a redelivered job fills a gap and never adds a
	// second document or version.
	IssueKey string
}

// dossierDocID is the ID of the document of kind that a dossier issues to
// owner: derived, so that two racing issuers meet on one record.
func dossierDocID(owner, kind, dossierID string) string {
	sum := sha256.Sum256([]byte("vault-doc\x00" + owner + "\x00" + kind + "\x00" + dossierID))
	return hex.EncodeToString(sum[:12])
}

// Issue stores content as a document of n.Owner. A document of the same kind from
// the same dossier is re-issued as a new version of it; the earlier version stays
// readable in its history. Bytes are written before the record, under a fresh key,
// so a failure never leaves a record without its bytes. Issuing is idempotent
// under n.IssueKey (see NewDocument).
func (s *Service) Issue(ctx context.Context, n NewDocument, content []byte) (*Document, error) {
	if n.Owner == "" || n.Kind == "" {
		return nil, errs.E(errs.Invalid, "a vault document needs an owner and a kind")
	}
	if len(content) == 0 || len(content) > maxDocumentBytes {
		return nil, errs.E(errs.Invalid, "a vault document must be between 1 byte and %d MB", maxDocumentBytes>>20)
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var d *Document
		d, err = s.issueOnce(ctx, n, content)
		if err == nil {
			return d, nil
		}
		if !errs.Is(err, errs.Conflict) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("issue %s to vault: %w", n.Kind, err)
}

func (s *Service) issueOnce(ctx context.Context, n NewDocument, content []byte) (*Document, error) {
	now := s.now().UTC()
	sum := sha256.Sum256(content)
	digest := hex.EncodeToString(sum[:])
	existing, err := s.sameIssue(ctx, n)
	if err != nil {
		return nil, err
	}
	d := &Document{}
	switch {
	case existing != nil && n.IssueKey != "" && existing.IssueKey == n.IssueKey && existing.SHA256 == digest:
		return existing, nil // issued already: nothing to do
	case existing != nil && n.IssueKey != "" && existing.IssueKey == n.IssueKey:
		// The same issue with other bytes (a crashed attempt certified or
		// signed again): the current version is replaced, not added to.
		d = existing
	case existing != nil:
		d = existing
		d.History = append(d.History, Version{Version: d.Version, SHA256: d.SHA256, Size: d.Size, IssuedAt: d.IssuedAt, Key: d.Key})
		d.Version++
	case n.DossierID != "":
		d.ID = dossierDocID(n.Owner, n.Kind, n.DossierID)
		d.Version = 1
	default:
		d.ID = s.newID()
		d.Version = 1
	}
	hidden := d.Hidden && existing != nil && existing.IssueKey == n.IssueKey && n.IssueKey != ""
	d.Owner, d.Kind, d.Title, d.Issuer = n.Owner, n.Kind, n.Title, n.Issuer
	d.ValidUntil, d.Scope, d.DossierID, d.Dossier, d.Procedure = n.ValidUntil, n.Scope, n.DossierID, n.Dossier, n.Procedure
	d.Signed, d.Certified, d.Digitizer, d.DigitizedAt = n.Signed, n.Certified, n.Digitizer, n.DigitizedAt
	d.IssuedAt, d.SHA256, d.Size, d.Hidden, d.IssueKey = now, digest, int64(len(content)), hidden, n.IssueKey
	d.Key = fmt.Sprintf("vault/%s/v%d-%s.pdf", d.ID, d.Version, d.SHA256[:16])
	wo := &blob.WriterOptions{ContentType: "application/pdf"}
	if s.lock != nil && s.retention != nil {
		if keep := s.retention(d.Kind, d.Signed); keep > 0 {
			d.RetainUntil = now.Add(keep)
			wo.BeforeWrite = s.lock(d.RetainUntil)
		}
	}
	if err := blobs.Put(ctx, s.b, d.Key, content, wo); err != nil {
		return nil, fmt.Errorf("store vault document: %w", err)
	}
	s.checkpoint("vault.issue.blob")
	it, err := s.docItem(d)
	if err != nil {
		return nil, err
	}
	if _, err := s.t.Put(ctx, it); err != nil {
		return nil, fmt.Errorf("record vault document: %w", err)
	}
	s.checkpoint("vault.issue.record")
	d.version++
	return d, nil
}

// sameIssue finds the document of the same owner, kind and dossier, if any.
func (s *Service) sameIssue(ctx context.Context, n NewDocument) (*Document, error) {
	if n.DossierID == "" {
		return nil, nil
	}
	it, err := s.t.Get(ctx, docPK(n.Owner), "DOC#"+dossierDocID(n.Owner, n.Kind, n.DossierID))
	switch {
	case err == nil:
		return decodeDoc(it)
	case !errs.Is(err, errs.NotFound):
		return nil, fmt.Errorf("find earlier issue: %w", err)
	}
	// Documents issued before IDs were derived from their dossier.
	its, err := s.t.Query(ctx, records.Query{Index: records.GSI1, PK: "VKIND#" + n.Owner + "#" + n.Kind})
	if err != nil {
		return nil, fmt.Errorf("find earlier issue: %w", err)
	}
	for _, it := range its {
		d, err := decodeDoc(it)
		if err != nil {
			return nil, err
		}
		if d.DossierID == n.DossierID {
			full, err := s.t.Get(ctx, docPK(d.Owner), "DOC#"+d.ID)
			if err != nil {
				return nil, err
			}
			return decodeDoc(full)
		}
	}
	return nil, nil
}

// Filter narrows a listing.
type Filter struct {
	Kind      string
	ValidOnly bool
}

// List returns the citizen's visible documents, newest first.
func (s *Service) List(ctx context.Context, a identity.Actor, f Filter) ([]*Document, error) {
	if a.Role != identity.Citizen {
		return nil, errs.E(errs.Forbidden, "only a citizen has a vault")
	}
	its, err := s.t.Query(ctx, records.Query{PK: docPK(a.Subject), SKPrefix: "DOC#"})
	if err != nil {
		return nil, fmt.Errorf("list vault: %w", err)
	}
	now := s.now()
	out := []*Document{}
	for _, it := range its {
		d, err := decodeDoc(it)
		if err != nil {
			return nil, err
		}
		if d.Hidden || (f.Kind != "" && d.Kind != f.Kind) || (f.ValidOnly && !d.ValidAt(now)) {
			continue
		}
		out = append(out, d)
	}
	sortNewest(out)
	return out, nil
}

func sortNewest(ds []*Document) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].IssuedAt.After(ds[j-1].IssuedAt); j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

// notFound is what anyone but the owner learns of a document: nothing.
func notFound(id string) error { return errs.E(errs.NotFound, "no document %s in your vault", id) }

// own returns the citizen's own visible document; anything else is NotFound.
func (s *Service) own(ctx context.Context, a identity.Actor, id string) (*Document, error) {
	if a.Role != identity.Citizen || !validID(id) {
		return nil, notFound(id)
	}
	it, err := s.t.Get(ctx, docPK(a.Subject), "DOC#"+id)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, notFound(id)
		}
		return nil, err
	}
	d, err := decodeDoc(it)
	if err != nil {
		return nil, err
	}
	if d.Hidden {
		return nil, notFound(id)
	}
	return d, nil
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	return strings.IndexFunc(id, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f')
	}) < 0
}

// Get returns the metadata of the citizen's document.
func (s *Service) Get(ctx context.Context, a identity.Actor, id string) (*Document, error) {
	return s.own(ctx, a, id)
}

// Content returns the citizen's document bytes, after checking them against the
// stored SHA-256, and logs the read.
func (s *Service) Content(ctx context.Context, a identity.Actor, id string) (*Document, []byte, error) {
	return s.VersionContent(ctx, a, id, 0)
}

// VersionContent returns an earlier version of the citizen's document (a
// re-issued result keeps its history readable; 0 is the current version),
// checked and logged like Content.
func (s *Service) VersionContent(ctx context.Context, a identity.Actor, id string, version int) (*Document, []byte, error) {
	d, acc, err := s.ownVersion(ctx, a, id, version)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.read(ctx, d, acc)
	return d, b, err
}

// HasLinks reports whether documents are handed out as presigned links
// (Options.Links).
func (s *Service) HasLinks() bool { return s.links != nil }

// ContentLink is VersionContent as a short-lived link to the bytes: they
// are checked against the stored SHA-256 and the read is logged before the
// link is made.
// The file is named <kind>-<id>.pdf and shown as disposition ("inline" or
// "attachment").
func (s *Service) ContentLink(ctx context.Context, a identity.Actor, id string, version int, disposition string) (*Document, blobs.Link, error) {
	d, acc, err := s.ownVersion(ctx, a, id, version)
	if err != nil {
		return nil, blobs.Link{}, err
	}
	l, err := s.link(ctx, d, acc, blobs.Disposition(disposition, d.Kind+"-"+d.ID+".pdf"))
	return d, l, err
}

// ownVersion returns version n of the citizen's document (0: the current
// one) and the access its download is logged as.
func (s *Service) ownVersion(ctx context.Context, a identity.Actor, id string, n int) (*Document, Access, error) {
	d, err := s.own(ctx, a, id)
	if err != nil {
		return nil, Access{}, err
	}
	acc := Access{Actor: a.Label(), Role: string(a.Role), Action: "download", Purpose: "owner"}
	if n == 0 || n == d.Version {
		return d, acc, nil
	}
	for _, v := range d.History {
		if v.Version != n {
			continue
		}
		old := *d
		old.Version, old.SHA256, old.Size, old.IssuedAt, old.Key, old.History = v.Version, v.SHA256, v.Size, v.IssuedAt, v.Key, nil
		acc.Action = fmt.Sprintf("download v%d", n)
		return &old, acc, nil
	}
	return nil, Access{}, errs.E(errs.NotFound, "document %s has no version %d", id, n)
}

// read fetches d's bytes, verifies them, and logs the access (also a refused one).
func (s *Service) read(ctx context.Context, d *Document, acc Access) ([]byte, error) {
	b, err := s.readBlob(ctx, d.Key, d.Size)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	if err := s.admit(ctx, d, acc, sum[:]); err != nil {
		return nil, err
	}
	return b, nil
}

// link checks d's bytes as read does (streaming them through SHA-256, never
// whole in memory), logs the access, and only then presigns a GET of them,
// answered as a PDF with Content-Disposition disp.
func (s *Service) link(ctx context.Context, d *Document, acc Access, disp string) (blobs.Link, error) {
	if s.links == nil {
		return blobs.Link{}, errs.E(errs.Unavailable, "vault downloads by link are not configured")
	}
	r, err := s.openBlob(ctx, d.Key)
	if err != nil {
		return blobs.Link{}, err
	}
	h := sha256.New()
	_, err = io.Copy(h, io.LimitReader(r, maxDocumentBytes+1))
	r.Close()
	if err != nil {
		return blobs.Link{}, fmt.Errorf("read vault document: %w", err)
	}
	if err := s.admit(ctx, d, acc, h.Sum(nil)); err != nil {
		return blobs.Link{}, err
	}
	return blobs.GetLink(ctx, s.links, d.Key, blobs.Headers{ContentType: "application/pdf", Disposition: disp}, s.now())
}

// admit logs the access acc to d, whose stored bytes hash to sum, or withholds
// d (and logs the refusal) when sum is not the SHA-256 recorded at issue.
func (s *Service) admit(ctx context.Context, d *Document, acc Access, sum []byte) error {
	if hex.EncodeToString(sum) != d.SHA256 {
		acc.Action = "refused-integrity"
		if lerr := s.appendAudit(ctx, d.Owner, d.ID, acc); lerr != nil {
			s.log.Error("audit append failed", "doc", d.ID, "err", lerr)
		}
		s.log.Error("vault document failed its integrity check", "doc", d.ID)
		return errs.E(errs.Conflict, "tài liệu %s không khớp với bản đã lưu (mã băm SHA-256 sai); không thể cung cấp. / The stored document %s does not match its recorded SHA-256 and is withheld; contact support.", d.ID, d.ID)
	}
	if err := s.appendAudit(ctx, d.Owner, d.ID, acc); err != nil {
		// A read we cannot log is a read we do not serve.
		return fmt.Errorf("log access: %w", err)
	}
	return nil
}

// openBlob opens a document's stored bytes, refusing a size no vault
// document may have.
func (s *Service) openBlob(ctx context.Context, key string) (*blob.Reader, error) {
	r, err := s.b.NewReader(ctx, key, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, errs.E(errs.Conflict, "the stored document is missing; contact support")
		}
		return nil, fmt.Errorf("open vault document: %w", err)
	}
	if n := r.Size(); n < 0 || n > maxDocumentBytes {
		r.Close()
		return nil, errs.E(errs.Conflict, "the stored document is larger than a vault document may be; contact support")
	}
	return r, nil
}

func (s *Service) readBlob(ctx context.Context, key string, size int64) ([]byte, error) {
	r, err := s.openBlob(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// One buffer of the stored size: no doubling growth on every read.
	buf := bytes.NewBuffer(make([]byte, 0, r.Size()+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(r, maxDocumentBytes+1)); err != nil {
		return nil, fmt.Errorf("read vault document: %w", err)
	}
	return buf.Bytes(), nil
}

// Hide removes a document from the citizen's view. The bytes and the record stay:
// issued results must be archived by the agency; the hiding is logged.
func (s *Service) Hide(ctx context.Context, a identity.Actor, id string) error {
	d, err := s.own(ctx, a, id)
	if err != nil {
		return err
	}
	d.Hidden = true
	it, err := s.docItem(d)
	if err != nil {
		return err
	}
	if _, err := s.t.Put(ctx, it); err != nil {
		return fmt.Errorf("hide document: %w", err)
	}
	return s.appendAudit(ctx, d.Owner, d.ID, Access{Actor: a.Label(), Role: string(a.Role), Action: "hide", Purpose: "owner"})
}

// byID returns any document by ID, for internal paths that have already
// established the right to it (shares, an agency's dossier).
func (s *Service) byID(ctx context.Context, id string) (*Document, error) {
	if !validID(id) {
		return nil, notFound(id)
	}
	its, err := s.t.Query(ctx, records.Query{Index: records.GSI2, PK: "VDOC#" + id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(its) == 0 {
		return nil, notFound(id)
	}
	d, err := decodeDoc(its[0])
	if err != nil {
		return nil, err
	}
	full, err := s.t.Get(ctx, docPK(d.Owner), "DOC#"+id)
	if err != nil {
		return nil, err
	}
	return decodeDoc(full)
}

// Reusable returns the owner's newest document of kind that is valid at t, for
// reuse in a new dossier (once-only principle), or errs.NotFound.
func (s *Service) Reusable(ctx context.Context, owner, kind string, t time.Time) (*Document, error) {
	its, err := s.t.Query(ctx, records.Query{Index: records.GSI1, PK: "VKIND#" + owner + "#" + kind, Desc: true})
	if err != nil {
		return nil, fmt.Errorf("find reusable %s: %w", kind, err)
	}
	for _, it := range its {
		d, err := decodeDoc(it)
		if err != nil {
			return nil, err
		}
		if d.Hidden || !d.ValidAt(t) {
			continue // a hidden document is never reused
		}
		full, err := s.byID(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		if !full.Hidden {
			return full, nil
		}
	}
	return nil, errs.E(errs.NotFound, "no valid %s in the vault", kind)
}

// ReadForDossier returns a document's bytes to an agency officer processing a
// dossier of their agency that references it. The caller (the dossier service)
// has checked that; the read is logged with the dossier code as its purpose.
func (s *Service) ReadForDossier(ctx context.Context, a identity.Actor, owner, id, dossierCode string) (*Document, []byte, error) {
	d, err := s.byID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if d.Owner != owner || d.Hidden {
		return nil, nil, notFound(id) // a hidden document is served to no one
	}
	b, err := s.read(ctx, d, Access{Actor: a.Label(), Role: string(a.Role), Action: "read", Purpose: "dossier " + dossierCode})
	return d, b, err
}

// LinkForDossier is ReadForDossier as a short-lived link (see ContentLink),
// answered with Content-Disposition disp (blobs.Disposition).
func (s *Service) LinkForDossier(ctx context.Context, a identity.Actor, owner, id, dossierCode, disp string) (blobs.Link, error) {
	d, err := s.byID(ctx, id)
	if err != nil {
		return blobs.Link{}, err
	}
	if d.Owner != owner || d.Hidden {
		return blobs.Link{}, notFound(id)
	}
	return s.link(ctx, d, Access{Actor: a.Label(), Role: string(a.Role), Action: "read", Purpose: "dossier " + dossierCode}, disp)
}
