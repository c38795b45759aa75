package dossier

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
)

// canRead reports whether a may see dossier d: its clerk (or a clerk of its post
// office), an officer of its agency, its citizen, or an auditor.
func canRead(a identity.Actor, d *Dossier) bool {
	switch a.Role {
	case identity.Clerk:
		return a.Subject == d.Clerk || (a.PostOffice != "" && a.PostOffice == d.PostOffice)
	case identity.Officer:
		return a.Agency == d.Agency
	case identity.Citizen:
		return a.Subject == d.Citizen.ID
	case identity.Auditor:
		return true
	}
	return false
}

// Get returns a dossier to someone allowed to see it; to anyone else it does not exist.
func (s *Service) Get(ctx context.Context, a identity.Actor, id string) (*Dossier, error) {
	d, err := s.st.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canRead(a, d) {
		return nil, errs.E(errs.NotFound, "no dossier %s", id)
	}
	return d, nil
}

// Read returns a dossier to someone allowed to see it, and writes in the
// citizen's access log that an officer (or a clerk other than the one who
// took it) read their personal data (name, ID, contacts) with the dossier
// code as the reason. Auditors are shown no
// personal data (the API strips it) and the citizen reads their own.
func (s *Service) Read(ctx context.Context, a identity.Actor, id string) (*Dossier, error) {
	d, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	// The clerk who took the dossier at the counter typed these fields; any
	// other clerk (of the same post office) reading them is logged.
	if a.Role == identity.Officer || (a.Role == identity.Clerk && a.Subject != d.Clerk) {
		if err := s.logRead(ctx, a, d, "dossier "+d.Code, "citizen.id,citizen.name,citizen.phone,citizen.email"); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// GetByCode is Read by the dossier's code (printed on the receipt): the same
// visibility, the same entry in the citizen's access log.
func (s *Service) GetByCode(ctx context.Context, a identity.Actor, code string) (*Dossier, error) {
	if !ValidCode(code) {
		return nil, errs.E(errs.NotFound, "no dossier with code %s", code)
	}
	d, err := s.st.byCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if !canRead(a, d) {
		return nil, errs.E(errs.NotFound, "no dossier with code %s", code)
	}
	return s.Read(ctx, a, d.ID)
}

// logRead writes in the citizen's access log that a, not the citizen, read
// field of the dossier d. A read that cannot be logged is not served.
func (s *Service) logRead(ctx context.Context, a identity.Actor, d *Dossier, what, field string) error {
	if s.c.Vault == nil || (a.Role == identity.Citizen && a.Subject == d.Citizen.ID) {
		return nil
	}
	err := s.c.Vault.LogAccess(ctx, d.Citizen.ID, what, vault.Access{Actor: a.Label(), Role: string(a.Role),
		Action: "read", Purpose: "dossier " + d.Code, Field: field})
	if err != nil {
		return fmt.Errorf("log the read in the citizen's access log: %w", err)
	}
	return nil
}

// Tracking is the public view of a dossier: no personal data.
type Tracking struct {
	Code      string    `json:"code"`
	Procedure string    `json:"procedure"`
	Status    Status    `json:"status"`
	DueAt     time.Time `json:"dueAt"`
}

// Track returns the public status of the dossier with code.
func (s *Service) Track(ctx context.Context, code string) (*Tracking, error) {
	if !ValidCode(code) {
		return nil, errs.E(errs.NotFound, "no dossier with code %s", code)
	}
	d, err := s.st.byCode(ctx, code)
	if err != nil {
		return nil, err
	}
	return &Tracking{Code: d.Code, Procedure: d.Procedure, Status: d.Status, DueAt: d.DueAt}, nil
}

// AgencyQueue returns the officer's agency's dossiers in status st, earliest due first.
func (s *Service) AgencyQueue(ctx context.Context, a identity.Actor, st Status) ([]*Dossier, error) {
	if a.Role != identity.Officer {
		return nil, errs.E(errs.Forbidden, "only agency officers have a queue")
	}
	if st == "" {
		st = Validated
	}
	if !st.Valid() {
		return nil, errs.FieldError("status", "unknown status %q", st)
	}
	return s.st.queue(ctx, a.Agency, st)
}

// OfficeDay returns the dossiers the clerk's post office received on the
// local (Vietnam) day of day (the zero time: today by the service's clock),
// newest first, as they are now. Only a postal
// clerk of a post office may ask; they see no other office's list.
func (s *Service) OfficeDay(ctx context.Context, a identity.Actor, day time.Time) ([]*Dossier, error) {
	if a.Role != identity.Clerk || a.PostOffice == "" {
		return nil, errs.E(errs.Forbidden, "the day's list of a post office is for its postal clerks")
	}
	if day.IsZero() {
		day = s.c.Now()
	}
	ids, err := s.st.officeDay(ctx, a.PostOffice, day, MaxOfficeDay)
	if err != nil {
		return nil, err
	}
	out := make([]*Dossier, len(ids))
	errsOf := make([]error, len(ids))
	sem := make(chan struct{}, officeDayReaders)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i], errsOf[i] = s.Get(ctx, a, id)
		})
	}
	wg.Wait()
	list := make([]*Dossier, 0, len(ids))
	for i, d := range out {
		switch {
		case errsOf[i] == nil:
			list = append(list, d)
		case errs.Is(errsOf[i], errs.NotFound):
			// Not visible to this clerk any more (or gone): not listed.
		default:
			return nil, errsOf[i]
		}
	}
	return list, nil
}

// ScanContent returns an original scan of the dossier (n is 1-based; 0 the
// latest) to its clerk: the original is always kept, whatever its ingestion.
func (s *Service) ScanContent(ctx context.Context, a identity.Actor, id string, n int) (*Scan, []byte, error) {
	d, sc, err := s.scanOf(ctx, a, id, n)
	if err != nil {
		return nil, nil, err
	}
	if err := s.logRead(ctx, a, d, fmt.Sprintf("dossier %s scan %d", d.Code, n), "scan"); err != nil {
		return nil, nil, err
	}
	b, err := s.c.Blobs.ReadAll(ctx, sc.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("read scan: %w", err)
	}
	return sc, b, nil
}

// scanOf returns the dossier and its scan n (1-based; 0 the latest) to its
// clerk or agency.
func (s *Service) scanOf(ctx context.Context, a identity.Actor, id string, n int) (*Dossier, *Scan, error) {
	d, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	if a.Role != identity.Clerk && a.Role != identity.Officer {
		return nil, nil, errs.E(errs.Forbidden, "only the clerk or the agency read original scans")
	}
	if n == 0 {
		n = len(d.Scans)
	}
	if n < 1 || n > len(d.Scans) {
		return nil, nil, errs.E(errs.NotFound, "dossier %s has no scan %d", d.Code, n)
	}
	return d, &d.Scans[n-1], nil
}

// ComponentContent returns a component's PDF to someone allowed to see the
// dossier. A component taken from the vault is read through the vault, which
// logs the read in the citizen's access log with the dossier code as purpose.
func (s *Service) ComponentContent(ctx context.Context, a identity.Actor, id, code string) ([]byte, error) {
	d, c, err := s.papers(ctx, a, id, code)
	if err != nil {
		return nil, err
	}
	if c.Source == SourceVault {
		if s.c.Vault == nil || a.Role != identity.Officer {
			return nil, errs.E(errs.Forbidden, "a vault document is read by the agency processing the dossier")
		}
		_, b, err := s.c.Vault.ReadForDossier(ctx, a, d.Citizen.ID, c.DocumentID, d.Code)
		return b, err
	}
	if err := s.logRead(ctx, a, d, fmt.Sprintf("dossier %s component %s", d.Code, c.Code), "component"); err != nil {
		return nil, err
	}
	r, err := s.c.Blobs.NewReader(ctx, c.Key, nil)
	if err != nil {
		return nil, fmt.Errorf("read component: %w", err)
	}
	defer r.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// papers returns the dossier and its component code to someone allowed to
// see the dossier's papers (auditors see statistics and metadata only).
func (s *Service) papers(ctx context.Context, a identity.Actor, id, code string) (*Dossier, *Component, error) {
	d, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	if a.Role == identity.Auditor {
		return nil, nil, errs.E(errs.Forbidden, "auditors see statistics and dossier metadata, not papers")
	}
	for i := range d.Components {
		if d.Components[i].Code == code {
			return d, &d.Components[i], nil
		}
	}
	return nil, nil, errs.E(errs.NotFound, "dossier %s has no component %s", d.Code, code)
}

// MaxOfficeDay is the most dossiers OfficeDay lists (a busy post office
// receives a few hundred a day).
const MaxOfficeDay = 500

// officeDayReaders bounds the concurrent reads of OfficeDay.
const officeDayReaders = 8

// LogSearch writes in the access log of every citizen whose papers a search
// by a returned words of (snippets of the OCR text, titles): one entry per
// citizen per search, naming who searched and the dossiers it returned.
// dossierIDs are the dossiers the hits came from, in hit order; repeats are
// fine. A search that cannot be logged is not served. A citizen searching
// their own papers is not logged.
func (s *Service) LogSearch(ctx context.Context, a identity.Actor, dossierIDs []string) error {
	if s.c.Vault == nil || len(dossierIDs) == 0 {
		return nil
	}
	type read struct {
		codes []string
		seen  map[string]bool
	}
	var owners []string
	reads := map[string]*read{}
	for _, id := range dossierIDs {
		d, err := s.Get(ctx, a, id)
		if err != nil {
			return fmt.Errorf("log the search in the citizen's access log: %w", err)
		}
		if a.Role == identity.Citizen && a.Subject == d.Citizen.ID {
			continue
		}
		r := reads[d.Citizen.ID]
		if r == nil {
			r = &read{seen: map[string]bool{}}
			reads[d.Citizen.ID] = r
			owners = append(owners, d.Citizen.ID)
		}
		if !r.seen[d.Code] {
			r.seen[d.Code] = true
			r.codes = append(r.codes, d.Code)
		}
	}
	for _, owner := range owners {
		what := "dossier " + strings.Join(reads[owner].codes, ", ")
		err := s.c.Vault.LogAccess(ctx, owner, what, vault.Access{Actor: a.Label(), Role: string(a.Role),
			Action: "search", Purpose: what, Field: "ocr.snippet"})
		if err != nil {
			return fmt.Errorf("log the search in the citizen's access log: %w", err)
		}
	}
	return nil
}
