// Package procedure is the catalog of administrative procedures (thủ tục hành
// chính, TTHC) that Sohoa accepts at the post office: for each procedure its
// national code, the agency that decides it, the processing time in working
// days, the components of its dossier and the document it results in.
//
// The catalog is data, embedded in the binary (catalog.json); Load reads and
// validates another one (a province's own list). It is not the national TTHC
// database: codes and lists were checked against public sources where
// possible, and each procedure's Notes say what is not confirmed.
package procedure

import (
	"time"
)

// Procedure is one administrative procedure.
type Procedure struct {
	// Code is the national procedure code (mã TTHC) of the National Database
	// on Administrative Procedures, N.NNNNNN, e.g. "1.001193". Opaque.
	Code string `json:"code"`
	// Name is the procedure's official Vietnamese name.
	Name string `json:"name"`
	// Agency is the electronic ID of the deciding agency per QCVN
	// 102:2016/BTTTT, e.g. "000.00.01.H29"; it prefixes dossier codes and is
	// the agency claim of its officers.
	Agency string `json:"agency"`
	// AgencyName is the agency's name in Vietnamese.
	AgencyName string `json:"agencyName"`
	// ProcessingDays is the legal processing time in working days of 8 hours.
	ProcessingDays int `json:"processingDays"`
	// Components are the documents of the dossier, in the order they are filed.
	Components []Component `json:"components"`
	// Result is the document the procedure issues.
	Result Result `json:"result"`
	// LegalBasis names the instruments the procedure rests on.
	LegalBasis []string `json:"legalBasis,omitempty"`
	// Notes say, in Vietnamese, what in this entry is not confirmed.
	Notes string `json:"notes,omitempty"`
	// MonochromeScan is the severity of the finding on a component scanned
	// in black and white or grey: Circular 01/2023/TT-VPCP Art. 8 asks
	// digitized components in colour. "warning" (the default when empty),
	// "error" (the dossier waits for a colour scan) or "none".
	MonochromeScan string `json:"monochromeScan,omitempty"`
}

// Component is one document of a dossier (thành phần hồ sơ).
type Component struct {
	// Code is a short stable code (2–12 of A–Z, 0–9), printed on separator
	// sheets and used as the vault document kind, e.g. "CCCD". A code names
	// the same kind of document in every procedure.
	Code string `json:"code"`
	// Name is the component's Vietnamese name, printed on separator sheets.
	Name string `json:"name"`
	// Required says the dossier is incomplete without it.
	Required bool `json:"required"`
	// Reusable says a still-valid document of this kind may be taken from
	// the citizen's vault instead of paper.
	Reusable bool `json:"reusable"`
	// Note is a plain-language remark for the postal clerk (when needed, what
	// may replace it).
	Note string `json:"note,omitempty"`
	// Look is how the component's paper looks, from the catalog's looks
	// (empty when the catalog does not describe it). Not part of the
	// procedure's JSON: the catalog holds one look per component code.
	Look Look `json:"-"`
}

// Result is the document a procedure issues.
type Result struct {
	// Kind is the vault document kind, a component code where the result can
	// be reused as a component of another procedure (e.g. "GKS").
	Kind string `json:"kind"`
	// Name is its Vietnamese name.
	Name string `json:"name"`
	// Permanent says the document does not expire.
	Permanent bool `json:"permanent,omitempty"`
	// ValidityMonths is how long it is valid when not Permanent.
	ValidityMonths int `json:"validityMonths,omitempty"`
}

// ValidUntil returns when a result issued at issued expires, and false if it
// never does.
func (r Result) ValidUntil(issued time.Time) (time.Time, bool) {
	if r.Permanent || r.ValidityMonths <= 0 {
		return time.Time{}, false
	}
	return issued.AddDate(0, r.ValidityMonths, 0), true
}

// RequiredComponents returns the codes of the components that must be present.
func (p Procedure) RequiredComponents() []string {
	var out []string
	for _, c := range p.Components {
		if c.Required {
			out = append(out, c.Code)
		}
	}
	return out
}

// Component returns the procedure's component with the code.
func (p Procedure) Component(code string) (Component, bool) {
	for _, c := range p.Components {
		if c.Code == code {
			return c, true
		}
	}
	return Component{}, false
}

// clone returns a deep copy, so callers cannot change the catalog.
func (p Procedure) clone() Procedure {
	p.Components = append([]Component(nil), p.Components...)
	for i := range p.Components {
		p.Components[i].Look = p.Components[i].Look.clone()
	}
	p.LegalBasis = append([]string(nil), p.LegalBasis...)
	return p
}
