package calendar

import "time"

// Outcome is how a dossier counts in the on-time statistics.
type Outcome string

// The outcomes of the report form II.06a and of index 2.1 of Decision
// 766/QĐ-TTg (2022) "Bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng
// phục vụ người dân, doanh nghiệp": a resolved dossier is early, on time or
// late; an unresolved one is in time or overdue.
const (
	Early   Outcome = "early"   // giải quyết trước hạn
	OnTime  Outcome = "on_time" // giải quyết đúng hạn
	Late    Outcome = "late"    // giải quyết quá hạn
	InTime  Outcome = "in_time" // đang giải quyết, trong hạn
	Overdue Outcome = "overdue" // đang giải quyết, quá hạn
)

// Resolved reports whether the outcome is of a resolved dossier.
func (o Outcome) Resolved() bool { return o == Early || o == OnTime || o == Late }

// Record is what Classify needs to know of a dossier.
type Record struct {
	// Due is the due time (NgayHenTra), already moved by supplement pauses.
	Due time.Time
	// Resolved is when processing ended (the first of: result issued, result
	// returned, processing stopped or rejected); zero while unresolved.
	Resolved time.Time
	// Supplements is the number of supplement requests the dossier received.
	Supplements int
	// PendingSupplementSince is the time of the supplement request the
	// dossier is waiting on now (NEEDS_SUPPLEMENT); zero otherwise.
	PendingSupplementSince time.Time
}

// Classify returns the outcome of a dossier at now, as Decision 766/QĐ-TTg's
// formula for index 2.1 counts it:
//
//   - more than one supplement request: Late if resolved, else Overdue —
//     the index counts a dossier asked to supplement twice as late;
//   - a dossier waiting on its single supplement request counts as handled
//     at the time of that request;
//   - resolved after Due: Late; resolved on a Vietnamese calendar day before
//     Due's: Early; otherwise (Due's day, not after Due): OnTime;
//   - unresolved: Overdue once now is after Due, else InTime.
//
// The split between Early and OnTime by calendar day is our reading: the
// sources give "trước hạn" and "đúng hạn" without saying at what grain.
func Classify(r Record, now time.Time) Outcome {
	end := r.Resolved
	if end.IsZero() && r.Supplements == 1 && !r.PendingSupplementSince.IsZero() {
		end = r.PendingSupplementSince
	}
	if r.Supplements > 1 {
		if end.IsZero() {
			return Overdue
		}
		return Late
	}
	if end.IsZero() {
		if now.After(r.Due) {
			return Overdue
		}
		return InTime
	}
	if end.After(r.Due) {
		return Late
	}
	loc := Location()
	ey, em, ed := end.In(loc).Date()
	dy, dm, dd := r.Due.In(loc).Date()
	if time.Date(ey, em, ed, 0, 0, 0, 0, time.UTC).Before(time.Date(dy, dm, dd, 0, 0, 0, 0, time.UTC)) {
		return Early
	}
	return OnTime
}
