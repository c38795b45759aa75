package web

import (
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
)

// findingsView is a dossier's findings sorted by what they ask of whom.
type findingsView struct {
	// Tasks are open findings someone must act on now: the clerk (a scan to
	// redo) or the citizen (something to supply). Shown as tasks only while
	// the dossier is at the counter.
	Tasks []findingView
	// Notes are for the agency's officer: nothing to do at the counter.
	Notes []findingView
	// Resolved no longer apply; shown in the history, never as tasks.
	Resolved []findingView
	// Attempts are the counter's uploads that could not be used.
	Attempts []attemptView
}

type findingView struct {
	dossier.Finding
	Text, Todo string
	// SheetName names the component's separator sheet, when the clerk's
	// task is to rescan it.
	SheetName string
	Citizen   bool
}

type attemptView struct {
	At      time.Time
	Reasons []string
}

// findings sorts d's findings for the page, in the page's language.
func findings(p *page, pr procedure.Procedure, d *dossier.Dossier) findingsView {
	atCounter := d.Status == dossier.Received || d.Status == dossier.NeedsSupplement || d.Status == dossier.Scanned
	var v findingsView
	for _, f := range d.Findings {
		fv := findingView{Finding: f, Text: upperFirst(f.Text(p.Lang)), Todo: f.Todo(p.Lang),
			Citizen: f.Audience == dossier.AudienceCitizen}
		switch {
		case !f.Open():
			fv.Todo = ""
			v.Resolved = append(v.Resolved, fv)
		case f.Task() && atCounter:
			if c, ok := pr.Component(f.Component); ok {
				fv.SheetName = c.Name
			}
			if f.Action == "" && f.ActionEN == "" { // a finding stored before findings said what to do
				fv.Todo = p.T("Quét lại hồ sơ và tải lên.", "Scan the dossier again and upload it.")
			}
			v.Tasks = append(v.Tasks, fv)
		default:
			v.Notes = append(v.Notes, fv)
		}
	}
	for _, a := range d.Attempts {
		av := attemptView{At: a.At}
		for _, f := range a.Findings {
			if f.Task() {
				av.Reasons = append(av.Reasons, upperFirst(f.Text(p.Lang)))
			}
		}
		if len(av.Reasons) == 0 {
			av.Reasons = []string{p.T("Bản quét không dùng được.", "The scan could not be used.")}
		}
		v.Attempts = append(v.Attempts, av)
	}
	return v
}
