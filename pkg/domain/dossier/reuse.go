package dossier

import (
	"context"
	"fmt"
	"slices"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
)

func missingFinding(pc procedure.Component) Finding {
	return NewFinding(FindingMissing, pc.Name, pc.Code).Of(pc.Code)
}

// pendingFinding says the same whether or not the vault holds the document:
// the dossier learns nothing of the vault before the citizen consents.
func pendingFinding(pc procedure.Component) Finding {
	return NewFinding(FindingReusePending, pc.Name, pc.Code).Of(pc.Code)
}

// reuseFromVault handles the required reusable components the scan lacks: it
// asks the citizen's consent (idempotently) and, once granted, takes the
// newest valid visible document of each kind.
func (s *Service) reuseFromVault(ctx context.Context, d *Dossier, wanted []procedure.Component, a *analysis) error {
	kinds := make([]string, len(wanted))
	for i, pc := range wanted {
		kinds[i] = pc.Code
	}
	r, err := s.c.Vault.RequestReuse(ctx, d.Citizen.ID, vault.ReuseRequest{DossierID: d.ID, DossierCode: d.Code,
		Procedure: d.Procedure, Kinds: kinds})
	if err != nil {
		return fmt.Errorf("ask reuse consent for %s: %w", d.Code, err)
	}
	a.reuse = &Reuse{Kinds: kinds, Status: r.Status}
	comps, findings, err := s.reuseOutcome(ctx, d, wanted, r.Status)
	if err != nil {
		return err
	}
	a.components = append(a.components, comps...)
	a.findings = append(a.findings, findings...)
	return nil
}

// reuseOutcome is what the consent status gives for the wanted components.
func (s *Service) reuseOutcome(ctx context.Context, d *Dossier, wanted []procedure.Component, status string) ([]Component, []Finding, error) {
	var comps []Component
	var findings []Finding
	for _, pc := range wanted {
		switch status {
		case vault.ReuseGranted:
			doc, err := s.c.Vault.Reusable(ctx, d.Citizen.ID, pc.Code, s.c.Now())
			if err == nil {
				comps = append(comps, Component{Code: pc.Code, Name: pc.Name, SHA256: doc.SHA256,
					Source: SourceVault, DocumentID: doc.ID, Certified: doc.Certified || doc.Signed})
				continue
			}
			if !errs.Is(err, errs.NotFound) {
				return nil, nil, fmt.Errorf("look up vault for %s: %w", pc.Code, err)
			}
			findings = append(findings, missingFinding(pc))
		case vault.ReuseRefused:
			findings = append(findings, missingFinding(pc))
		default:
			findings = append(findings, pendingFinding(pc))
		}
	}
	return comps, findings, nil
}

// ConfirmReuse is the clerk's door to consent: the citizen reads out the code
// that was sent to the contact on record in their vault. The dossier then
// takes the documents and, if nothing else is missing, becomes VALIDATED.
func (s *Service) ConfirmReuse(ctx context.Context, a identity.Actor, id, code string) (*Dossier, error) {
	d, err := s.st.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Role != identity.Clerk || !canRead(a, d) {
		if canRead(a, d) {
			return nil, errs.E(errs.Forbidden, "the consent code is entered by the postal clerk; the citizen consents in their vault")
		}
		return nil, errs.E(errs.NotFound, "no dossier %s", id)
	}
	if d.Reuse == nil || d.Reuse.Status != vault.ReusePending {
		return nil, errs.E(errs.Conflict, "hồ sơ %s không chờ đồng ý dùng lại giấy tờ / dossier %s awaits no reuse consent", d.Code, d.Code)
	}
	if len(code) == 0 || len(code) > 16 {
		return nil, errs.FieldError("code", "nhập mã xác nhận gồm 6 chữ số / enter the 6-digit consent code")
	}
	r, err := s.c.Vault.ConfirmReuseCode(ctx, a, d.Citizen.ID, d.ID, code)
	if err != nil {
		return nil, err
	}
	return s.applyReuse(ctx, id, r.Status)
}

// DecideReuse is the citizen's door to consent, signed in to their vault.
func (s *Service) DecideReuse(ctx context.Context, a identity.Actor, id string, grant bool) (*vault.ReuseRequest, error) {
	if s.c.Vault == nil {
		return nil, errs.E(errs.Unavailable, "the vault is not configured")
	}
	r, err := s.c.Vault.DecideReuse(ctx, a, id, grant)
	if err != nil {
		return nil, err
	}
	d, err := s.st.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.Citizen.ID != a.Subject {
		return nil, errs.E(errs.NotFound, "no reuse request for dossier %s in your vault", id)
	}
	if _, err := s.applyReuse(ctx, id, r.Status); err != nil {
		return nil, err
	}
	return r, nil
}

// applyReuse brings a dossier waiting for reuse consent up to date with the
// consent's status.
func (s *Service) applyReuse(ctx context.Context, id, status string) (*Dossier, error) {
	d, err := s.st.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.Status != NeedsSupplement || d.Reuse == nil || d.Reuse.Status != vault.ReusePending || status == vault.ReusePending {
		return d, nil
	}
	p, err := s.c.Catalog.Get(d.Procedure)
	if err != nil {
		return nil, err
	}
	var wanted []procedure.Component
	for _, k := range d.Reuse.Kinds {
		if pc, ok := p.Component(k); ok {
			wanted = append(wanted, pc)
		}
	}
	comps, findings, err := s.reuseOutcome(ctx, d, wanted, status)
	if err != nil {
		return nil, err
	}
	next := *d
	next.Components = append(slices.Clone(d.Components), comps...)
	next.Findings = slices.Clone(d.Findings)
	resolve(next.Findings, s.c.Now(), func(f Finding) bool { return f.Code == FindingReusePending })
	next.Findings = append(next.Findings, findings...)
	if !next.HasErrors() {
		next.Status = Validated // the certified copies go to the vault before the dossier says so
		if err := s.ensureIssued(ctx, &next, nil); err != nil {
			return nil, err
		}
	}
	return s.update(ctx, id, func(cur *Dossier) error {
		if cur.Status != NeedsSupplement || cur.Reuse == nil || cur.Reuse.Status != vault.ReusePending || len(cur.Scans) != len(d.Scans) {
			return errUnchanged
		}
		cur.Components, cur.Findings = next.Components, next.Findings
		cur.Reuse = &Reuse{Kinds: d.Reuse.Kinds, Status: status}
		if cur.HasErrors() {
			return nil
		}
		if err := cur.move(Validated, s.c.Now(), "system:reuse-consent"); err != nil {
			return err
		}
		if due, ok := s.c.Calendar.DueWithPauses(cur.ReceivedAt, p.ProcessingDays, cur.Pauses()); ok {
			cur.DueAt = due.UTC()
		}
		return nil
	})
}
