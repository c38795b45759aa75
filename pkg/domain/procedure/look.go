package procedure

import (
	"slices"

	"github.com/sohoa/sohoa/pkg/errs"
)

// Look says what the paper of one kind of component looks like, so that a
// page can be recognised without a separator sheet: the title and form
// number printed on the official template, the legal reference printed on
// the form, phrases of its body, and for a card its size and sides. A
// component code names the same kind of document in every procedure, so the
// catalog describes each code's look once (catalog.json "looks").
type Look struct {
	// Code is the component code described.
	Code string `json:"code"`
	// Card is "id1" for a card of the ID-1 size of ISO/IEC 7810 (85.60 ×
	// 53.98 mm, aspect 1.586), scanned on an A4 sheet; "" for paper.
	Card string `json:"card,omitempty"`
	// Pages is the number of pages of one copy when the template fixes it
	// (0 when it varies or is not known).
	Pages int `json:"pages,omitempty"`
	// Cues are what is printed on it, each with its source.
	Cues []Cue `json:"cues"`
	// Notes say, in Vietnamese, what of this look is not confirmed.
	Notes string `json:"notes,omitempty"`
}

// CueKind is where and how a cue appears.
type CueKind string

// Kinds of cue.
const (
	// CueTitle is the title as printed (upper case) at the top of the
	// first page, under the national header.
	CueTitle CueKind = "title"
	// CueForm is the form number as printed, e.g. "Mẫu CT01".
	CueForm CueKind = "form"
	// CueLegal is the legal instrument named on the form, usually in the
	// caption "ban hành kèm theo Thông tư …".
	CueLegal CueKind = "legal"
	// CuePhrase is a phrase of the first page's body particular to the kind.
	CuePhrase CueKind = "phrase"
	// CueLaterPage is a phrase printed on a later page of the document (a
	// certificate's second page), so the page continues a document rather
	// than starting one.
	CueLaterPage CueKind = "later-page"
	// CueCardFront and CueCardBack are printed on the front or the back of
	// a card.
	CueCardFront CueKind = "card-front"
	CueCardBack  CueKind = "card-back"
	// CueMRZ is the start of the ICAO Doc 9303 TD1 machine-readable zone
	// printed on a card's back (e.g. "IDVNM").
	CueMRZ CueKind = "mrz"
)

var cueKinds = []CueKind{CueTitle, CueForm, CueLegal, CuePhrase, CueLaterPage, CueCardFront, CueCardBack, CueMRZ}

// Cue is one thing printed on a component's paper.
type Cue struct {
	Kind CueKind `json:"kind"`
	// Text is as printed, with its diacritics and case.
	Text string `json:"text"`
	// Source says where the fact comes from: the instrument and the public
	// page it was read on, or "chưa xác minh" reasoning when Unconfirmed.
	Source string `json:"source"`
	// Unconfirmed says no source was read that shows the text printed so:
	// it is the usual wording, to be checked against the template in force.
	Unconfirmed bool `json:"unconfirmed,omitempty"`
}

// MaxCues bounds the cues of one look.
const MaxCues = 40

func (l Look) clone() Look {
	l.Cues = slices.Clone(l.Cues)
	return l
}

func validateLook(l Look) error {
	if !componentCode.MatchString(l.Code) {
		return errs.E(errs.Invalid, "look: component code %q is not 2-12 of A-Z, 0-9", l.Code)
	}
	if l.Card != "" && l.Card != "id1" {
		return errs.E(errs.Invalid, "look %s: card %q is not \"id1\"", l.Code, l.Card)
	}
	if l.Pages < 0 || l.Pages > 100 {
		return errs.E(errs.Invalid, "look %s: %d pages is out of range", l.Code, l.Pages)
	}
	if len(l.Cues) > MaxCues {
		return errs.E(errs.Invalid, "look %s: %d cues, more than %d", l.Code, len(l.Cues), MaxCues)
	}
	for i, c := range l.Cues {
		switch {
		case !slices.Contains(cueKinds, c.Kind):
			return errs.E(errs.Invalid, "look %s: cue %d: kind %q is not one of %v", l.Code, i, c.Kind, cueKinds)
		case c.Text == "" || len(c.Text) > 300:
			return errs.E(errs.Invalid, "look %s: cue %d: text must have 1-300 bytes", l.Code, i)
		case c.Source == "":
			return errs.E(errs.Invalid, "look %s: cue %d (%q) has no source", l.Code, i, c.Text)
		case (c.Kind == CueCardFront || c.Kind == CueCardBack || c.Kind == CueMRZ) && l.Card == "":
			return errs.E(errs.Invalid, "look %s: cue %d is a card cue but the look is not a card", l.Code, i)
		}
	}
	return nil
}
