package dossier

import (
	"context"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/humantext"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

// Decide records the agency's decision on a VALIDATED dossier.
func (s *Service) Decide(ctx context.Context, a identity.Actor, id string, approve bool, note string) (*Dossier, error) {
	if len(note) > 4000 {
		return nil, errs.FieldError("note", "the note is at most 4000 characters")
	}
	if err := humantext.Check("note", note, true); err != nil {
		return nil, err
	}
	return s.update(ctx, id, func(d *Dossier) error {
		if err := s.officerOf(a, d); err != nil {
			return err
		}
		to := Rejected
		if approve {
			to = Approved
		}
		now := s.c.Now().UTC()
		if err := d.move(to, now, a.Label()); err != nil {
			return err
		}
		d.Decision = &Decision{Approve: approve, Note: note, By: a.Label(), At: now}
		return nil
	})
}

// officerOf checks that a is an officer of d's agency: to anyone else, d does not exist.
func (s *Service) officerOf(a identity.Actor, d *Dossier) error {
	if a.Role == identity.Officer && a.Agency == d.Agency {
		return nil
	}
	if canRead(a, d) {
		return errs.E(errs.Forbidden, "only an officer of agency %s may do this", d.Agency)
	}
	return errs.E(errs.NotFound, "no dossier %s", d.ID)
}

// PostalReturn records that the post office handed the paper result over.
func (s *Service) PostalReturn(ctx context.Context, a identity.Actor, id, waybill string) (*Dossier, error) {
	waybill = strings.TrimSpace(waybill)
	if waybill == "" || len(waybill) > 64 {
		return nil, errs.FieldError("waybill", "a waybill number is required (at most 64 characters)")
	}
	if err := humantext.Check("waybill", waybill, false); err != nil {
		return nil, err
	}
	return s.update(ctx, id, func(d *Dossier) error {
		if !canRead(a, d) {
			return errs.E(errs.NotFound, "no dossier %s", id)
		}
		if a.Role != identity.Clerk {
			return errs.E(errs.Forbidden, "only a postal clerk records a postal return")
		}
		if !d.ReturnByPost {
			return errs.E(errs.Conflict, "the citizen did not ask for return by post")
		}
		if err := d.move(ReturnedByPost, s.c.Now(), a.Label()); err != nil {
			return err
		}
		d.Waybill = waybill
		return nil
	})
}

// Pauses returns the intervals during which d's clock was stopped: from each
// move to NEEDS_SUPPLEMENT to the next new scan (SCANNED). The last is open
// (End zero) while the supplement is still awaited.
func (d *Dossier) Pauses() []calendar.Interval {
	var out []calendar.Interval
	for _, h := range d.History {
		switch {
		case h.Status == NeedsSupplement:
			out = append(out, calendar.Interval{Start: h.At})
		case h.Status != NeedsSupplement && len(out) > 0 && out[len(out)-1].End.IsZero():
			out[len(out)-1].End = h.At
		}
	}
	return out
}

// resume moves d from NEEDS_SUPPLEMENT to SCANNED and restarts its clock: the
// due time moves later by the working time spent waiting for the supplement
// (Decision 766/QĐ-TTg: the time a dossier waits for the citizen is not the
// agency's).
func (s *Service) resume(d *Dossier, actor string) error {
	wasPaused := d.Status == NeedsSupplement
	if err := d.move(Scanned, s.c.Now(), actor); err != nil {
		return err
	}
	if !wasPaused {
		return nil
	}
	p, err := s.c.Catalog.Get(d.Procedure)
	if err != nil {
		return err
	}
	if due, ok := s.c.Calendar.DueWithPauses(d.ReceivedAt, p.ProcessingDays, d.Pauses()); ok {
		d.DueAt = due.UTC()
	}
	return nil
}
