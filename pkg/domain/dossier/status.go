package dossier

import (
	"slices"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
)

// Status is where a dossier is in its life (pkg/api/openapi.json, Dossier.status).
type Status string

// The statuses of a dossier, in the order of its life.
const (
	Received        Status = "RECEIVED"         // created at the post office counter
	Scanned         Status = "SCANNED"          // scan stored durably; ingestion pending
	Validated       Status = "VALIDATED"        // every required component present and readable
	NeedsSupplement Status = "NEEDS_SUPPLEMENT" // something is missing or unreadable; see findings
	Approved        Status = "APPROVED"         // the agency decided yes
	Rejected        Status = "REJECTED"         // the agency decided no
	ResultIssued    Status = "RESULT_ISSUED"    // signed result stored in the citizen's vault
	ReturnedByPost  Status = "RETURNED_BY_POST" // paper result handed over by the post office
)

// transitions lists, for each status, the statuses it may change to.
var transitions = map[Status][]Status{
	Received: {Scanned},
	Scanned:  {Validated, NeedsSupplement},
	// NEEDS_SUPPLEMENT → VALIDATED when the only thing missing was the
	// citizen's consent to reuse documents from their vault, and it came.
	NeedsSupplement: {Scanned, Validated},
	Validated:       {Approved, Rejected},
	Approved:        {ResultIssued},
	ResultIssued:    {ReturnedByPost},
}

// CanMove reports whether a dossier in status from may change to status to.
func CanMove(from, to Status) bool { return slices.Contains(transitions[from], to) }

// pastValidation reports whether a dossier in status s was VALIDATED before.
func (s Status) pastValidation() bool {
	return s == Approved || s == Rejected || s == ResultIssued || s == ReturnedByPost
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case Received, Scanned, Validated, NeedsSupplement, Approved, Rejected, ResultIssued, ReturnedByPost:
		return true
	}
	return false
}

// Resolved reports whether the agency has finished with a dossier in status s
// (it counts as resolved in the statistics).
func (s Status) Resolved() bool {
	return s == Rejected || s == ResultIssued || s == ReturnedByPost
}

// move changes d's status to to, appending to its history, or fails with
// errs.Conflict if the transition is not allowed. It never changes d on failure.
func (d *Dossier) move(to Status, at time.Time, actor string) error {
	if !CanMove(d.Status, to) {
		return errs.E(errs.Conflict, "dossier %s is %s and cannot become %s", d.Code, d.Status, to)
	}
	d.Status = to
	d.History = append(d.History, Event{Status: to, At: at.UTC(), Actor: actor})
	return nil
}
