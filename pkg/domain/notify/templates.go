package notify

import (
	"embed"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// kind names a message: the templates define <kind>.subject, <kind>.body and <kind>.sms.
type kind string

const (
	kindReceipt          kind = "receipt"
	kindSupplement       kind = "supplement"
	kindResult           kind = "result"
	kindReturned         kind = "returned"
	kindClerkSupplement  kind = "clerk_supplement"
	kindOfficerValidated kind = "officer_validated"
	kindOfficerDueSoon   kind = "officer_due_soon"
	kindOfficerOverdue   kind = "officer_overdue"
)

// templates holds the parsed messages by language.
type templates struct {
	vi, en *template.Template
}

func loadTemplates() (*templates, error) {
	vi, err := template.ParseFS(templateFS, "templates/vi.tmpl")
	if err != nil {
		return nil, fmt.Errorf("notify: parse Vietnamese templates: %w", err)
	}
	en, err := template.ParseFS(templateFS, "templates/en.tmpl")
	if err != nil {
		return nil, fmt.Errorf("notify: parse English templates: %w", err)
	}
	return &templates{vi: vi, en: en}, nil
}

// data is what a template may show. Name is set only for the citizen's own
// messages; staff messages carry the dossier code, never the applicant.
type data struct {
	Code, Procedure, Name, Due, Waybill, PortalURL string
	// Reasons are the open tasks of a supplement request, in the language
	// being rendered (ReasonsEN holds the English until then).
	Reasons, ReasonsEN []string
}

// rendered is one message in its three shapes.
type rendered struct {
	Subject, Body, SMS string
}

// render renders k in Vietnamese, followed by English if lang is "en".
func (t *templates) render(k kind, lang string, d data) (rendered, error) {
	vi, err := renderOne(t.vi, k, d)
	if err != nil {
		return rendered{}, err
	}
	if lang != "en" {
		return vi, nil
	}
	d.Reasons = d.ReasonsEN
	en, err := renderOne(t.en, k, d)
	if err != nil {
		return rendered{}, err
	}
	return rendered{
		Subject: vi.Subject + " / " + en.Subject,
		Body:    vi.Body + "\n\n---\n\n" + en.Body,
		SMS:     vi.SMS + " / " + en.SMS,
	}, nil
}

func renderOne(t *template.Template, k kind, d data) (rendered, error) {
	var out [3]string
	for i, part := range []string{"subject", "body", "sms"} {
		var b strings.Builder
		if err := t.ExecuteTemplate(&b, string(k)+"."+part, d); err != nil {
			return rendered{}, fmt.Errorf("notify: render %s.%s: %w", k, part, err)
		}
		out[i] = strings.TrimSpace(b.String())
	}
	return rendered{Subject: out[0], Body: out[1], SMS: out[2]}, nil
}

// localTime formats t as Vietnamese readers write it, in Vietnam's time.
func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(calendar.Location()).Format("15:04 02/01/2006")
}
