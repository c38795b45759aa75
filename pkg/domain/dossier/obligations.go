package dossier

import (
	"slices"
	"time"
)

// The rules of who owes what while a dossier is received, and what the
// dossier's status, clock and counts say about it.
//
// Receiving (Decree 61/2018/NĐ-CP art. 19, as amended by Decree
// 107/2021/NĐ-CP; Decision 45/2016/QĐ-TTg art. 8 for the post office): the
// one who receives checks the dossier in front of the citizen and guides
// them, once and completely, on what is missing; converting the paper to
// electronic documents is the receiver's job, done under their own
// responsibility. So a scan that cannot be used (an empty or damaged file,
// a text file, a page too small, a missing separator sheet) is the clerk's
// to redo: it is an attempt, recorded with its reasons, and it changes
// neither the dossier's status nor its clock, tells nobody and counts
// nowhere.
//
// A supplement request is what the decrees call one: a request to the
// citizen, when the dossier really lacks something of theirs (a required
// paper, their consent to reuse one from their vault, a valid ID card).
// Only that moves the dossier to NEEDS_SUPPLEMENT, stops its clock until the
// new scan, and counts in the Decision 766/QĐ-TTg figures (index 2.1: a
// dossier asked more than once is late).

// Attempt is an upload at the counter that could not be used: its scan, when
// and by whom it was uploaded, and why (the clerk's findings). The scan is
// kept, like every original.
type Attempt struct {
	Scan     string    `json:"scan"`
	At       time.Time `json:"at"`
	By       string    `json:"by"`
	Findings []Finding `json:"findings"`
}

// Outcome is what an ingestion's findings make of a dossier.
type Outcome int

// The outcomes of an ingestion.
const (
	// Accepted: nothing is missing; the dossier goes to the agency (VALIDATED).
	Accepted Outcome = iota
	// CounterAttempt: the scan is the clerk's to redo; the dossier stays as
	// it was before the upload.
	CounterAttempt
	// SupplementRequest: the citizen must supply something (NEEDS_SUPPLEMENT).
	SupplementRequest
)

// Judge tells what findings make of a dossier: any open error for the clerk
// makes the upload an attempt (the clerk fixes the scan before anyone asks
// the citizen for anything); otherwise an open error for the citizen is a
// supplement request; warnings and notes never hold a dossier back.
func Judge(fs []Finding) Outcome {
	out := Accepted
	for _, f := range fs {
		if !f.Task() {
			continue
		}
		if f.audience() == AudienceClerk {
			return CounterAttempt
		}
		out = SupplementRequest
	}
	return out
}

// ActorSystem is the actor of the changes Sohoa makes by itself.
const ActorSystem = "system:ingest"

// maxResolved bounds the resolved findings a dossier keeps.
const maxResolved = 50

// settle applies an ingestion's outcome to d, whose newest event is the
// SCANNED of the scan read.
func (s *Service) settle(d *Dossier, a *analysis) error {
	now := s.c.Now().UTC()
	last, _ := d.LastScan()
	// What the previous scan asked for no longer applies: a previous
	// attempt's findings stay with the attempt; the tasks of a supplement
	// request are kept, resolved, as its history.
	var earlier []Finding
	fromAttempt := len(d.Attempts) > 0 && attemptHolds(d.Attempts[len(d.Attempts)-1], d.Findings)
	for _, f := range d.Findings {
		if f.Open() && f.Task() && !fromAttempt {
			f.ResolvedAt = now
		}
		if !f.Open() {
			earlier = append(earlier, f)
		}
	}
	if len(earlier) > maxResolved {
		earlier = earlier[len(earlier)-maxResolved:]
	}
	switch Judge(a.findings) {
	case CounterAttempt:
		d.Attempts = append(d.Attempts, Attempt{Scan: last.Key, At: last.At, By: last.By, Findings: a.findings})
		// The components stay for the clerk to see what the scan gave; they
		// are not certified copies, and nothing was issued from them.
		d.Components, d.Findings, d.Reuse = a.components, append(earlier, a.findings...), a.reuse
		return s.undoScanned(d)
	case SupplementRequest:
		d.Components, d.Findings, d.Reuse = a.components, append(earlier, a.findings...), a.reuse
		d.SupplementRequests++
		return d.move(NeedsSupplement, now, ActorSystem)
	default:
		d.Components, d.Findings, d.Reuse = a.components, append(earlier, a.findings...), a.reuse
		return d.move(Validated, now, ActorSystem)
	}
}

// attemptHolds reports whether the findings are those of attempt a (the
// dossier's current findings came from that attempt).
func attemptHolds(a Attempt, fs []Finding) bool {
	for _, f := range a.Findings {
		if !slices.ContainsFunc(fs, func(g Finding) bool { return g.Code == f.Code && g.Page == f.Page && g.Component == f.Component }) {
			return false
		}
	}
	return len(a.Findings) > 0
}

// undoScanned takes back the SCANNED of an upload that turned out to be an
// attempt: the dossier's status, history and due time are again what they
// were before it (a clock stopped for a supplement stays stopped).
func (s *Service) undoScanned(d *Dossier) error {
	n := len(d.History)
	if n < 2 || d.History[n-1].Status != Scanned {
		return nil
	}
	d.History = d.History[:n-1]
	d.Status = d.History[n-2].Status
	if d.Status != NeedsSupplement {
		return nil
	}
	p, err := s.c.Catalog.Get(d.Procedure)
	if err != nil {
		return err
	}
	pauses := d.Pauses()
	if due, ok := s.c.Calendar.DueWithPauses(d.ReceivedAt, p.ProcessingDays, pauses[:len(pauses)-1]); ok {
		d.DueAt = due.UTC()
	}
	return nil
}
