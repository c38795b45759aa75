// Package dossier is the heart of Sohoa: a dossier for an administrative
// procedure, from the post office counter (RECEIVED) through ingestion of its
// scan (VALIDATED or NEEDS_SUPPLEMENT), the agency's decision and signed result
// (RESULT_ISSUED), to its return by post.
//
// The Service holds the rules; it reaches storage, the queue, the scan reader,
// the signer and the vault through small ports declared here. It knows nothing
// of HTTP or AWS.
package dossier

import (
	"time"

	"github.com/sohoa/sohoa/pkg/format/scan"
)

// Dossier is one citizen's application for one procedure.
type Dossier struct {
	ID           string    `json:"id"`
	Code         string    `json:"code"`
	Procedure    string    `json:"procedure"`
	Agency       string    `json:"agency"`
	Status       Status    `json:"status"`
	ReceivedAt   time.Time `json:"receivedAt"`
	DueAt        time.Time `json:"dueAt"`
	Citizen      Citizen   `json:"citizen"`
	PostOffice   string    `json:"postOffice"`
	ReturnByPost bool      `json:"returnByPost"`
	// Clerk is the subject of the postal clerk who created the dossier; ClerkName
	// their full name, printed in the conversion mark of certified copies.
	Clerk     string `json:"clerk"`
	ClerkName string `json:"clerkName"`
	// Channel is how the dossier was received: "postal" for Sohoa's counter.
	Channel    string      `json:"channel"`
	Components []Component `json:"components"`
	Findings   []Finding   `json:"findings"`
	History    []Event     `json:"history"`
	// Scans lists every scan uploaded for the dossier, oldest first; the
	// originals are kept whatever happens to their ingestion.
	Scans    []Scan    `json:"scans"`
	Decision *Decision `json:"decision,omitempty"`
	Result   *Result   `json:"result,omitempty"`
	// ResultUpload is a result being uploaded straight to storage, or the
	// refusal of the last one (AcceptStoredResult).
	ResultUpload *ResultUpload `json:"resultUpload,omitempty"`
	Waybill      string        `json:"waybill,omitempty"`
	// Reuse is the dossier's request to reuse documents from the citizen's
	// vault, if it made one.
	Reuse *Reuse `json:"reuse,omitempty"`
	// Attempts are the uploads at the counter that could not be used, oldest
	// first (see Judge): they changed nothing else.
	Attempts []Attempt `json:"attempts,omitempty"`
	// SupplementRequests counts the times the dossier went to NEEDS_SUPPLEMENT.
	SupplementRequests int `json:"supplementRequests"`
	// version is the stored record's version, for optimistic concurrency.
	version int64
}

// Citizen is the applicant, as given at the counter.
type Citizen struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// Component is one part of the dossier (a declaration form, a copy of an ID
// card ...), taken from the scan or from the citizen's vault.
type Component struct {
	Code       string `json:"code"`
	Name       string `json:"name,omitempty"`
	Pages      int    `json:"pages"`
	SHA256     string `json:"sha256"`
	Source     string `json:"source"` // "scan" or "vault"
	DocumentID string `json:"documentId,omitempty"`
	Certified  bool   `json:"certified"`
	// Key is where the component's PDF is stored (blob key); empty for vault
	// components. Stored, never shown by the API.
	Key string `json:"key,omitempty"`
	// ScanPages are the page numbers of the scan that make up the component.
	ScanPages []int `json:"scanPages,omitempty"`
	// Extracted are the fields read from the component (see Extractor).
	Extracted map[string]Field `json:"extracted,omitempty"`
	// OCR is the text-reading progress, e.g. "ocr: 2/2 pages".
	OCR string `json:"ocr,omitempty"`
	// Views are the component's pages as images for people, in page order
	// (pages the scan reader could not render have none).
	Views []PageView `json:"views,omitempty"`
	// ViewPrefix is where the page images are stored (blob key prefix);
	// stored, never shown by the API.
	ViewPrefix string `json:"viewPrefix,omitempty"`
	// MarkInk is where the component's first page has ink, kept for a
	// component certified later (after OCR): its mark must avoid the ink too.
	MarkInk *scan.InkMap `json:"markInk,omitempty"`
}

// Reuse is a dossier's request to reuse documents of Kinds from the vault of
// the citizen it names. Until the citizen consents on their own channel the
// dossier holds nothing of the vault.
type Reuse struct {
	Kinds  []string `json:"kinds"`
	Status string   `json:"status"` // pending, granted, refused (vault.Reuse*)
}

// Component sources.
const (
	SourceScan  = "scan"
	SourceVault = "vault"
)

// Severity of a finding.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// Finding is something a person must know about the dossier, in plain
// language: who it is for (Audience), what it is (Message in Vietnamese,
// MessageEN in English) and what to do (Action, ActionEN; empty for a note).
// Every finding comes from the catalogue (NewFinding). One that no longer
// applies keeps its place, with the time it was resolved.
type Finding struct {
	Component  string    `json:"component,omitempty"`
	Severity   string    `json:"severity"`
	Code       string    `json:"code"`
	Audience   Audience  `json:"audience,omitempty"`
	Message    string    `json:"message"`
	MessageEN  string    `json:"messageEn,omitempty"`
	Action     string    `json:"action,omitempty"`
	ActionEN   string    `json:"actionEn,omitempty"`
	Page       int       `json:"page,omitempty"`
	ResolvedAt time.Time `json:"resolvedAt,omitzero"`
}

// Event is one status change in a dossier's history.
type Event struct {
	Status Status    `json:"status"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor,omitempty"`
}

// Scan is one uploaded scan of a dossier.
type Scan struct {
	Key         string    `json:"key"`
	SHA256      string    `json:"sha256"`
	Size        int64     `json:"size"`
	ContentType string    `json:"contentType"`
	At          time.Time `json:"at"`
	By          string    `json:"by"`
}

// Decision is the agency's decision.
type Decision struct {
	Approve bool      `json:"approve"`
	Note    string    `json:"note"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// Result is the agency's result document.
type Result struct {
	Key        string    `json:"key"` // blob key; stored, never shown by the API
	SHA256     string    `json:"sha256"`
	UploadedBy string    `json:"uploadedBy"`
	UploadedAt time.Time `json:"uploadedAt"`
	DocumentID string    `json:"documentId,omitempty"`
	SignedBy   string    `json:"signedBy,omitempty"`
	SignedAt   time.Time `json:"signedAt,omitzero"`
}

// HasErrors reports whether any open finding is an error.
func (d *Dossier) HasErrors() bool {
	for _, f := range d.Findings {
		if f.Severity == SeverityError && f.Open() {
			return true
		}
	}
	return false
}

// LastScan returns the newest scan, if any.
func (d *Dossier) LastScan() (Scan, bool) {
	if len(d.Scans) == 0 {
		return Scan{}, false
	}
	return d.Scans[len(d.Scans)-1], true
}
