package web

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
)

//go:embed templates
var templateFS embed.FS

type templates struct{ pages map[string]*template.Template }

// vnZone is Vietnam's time (UTC+7, no daylight saving): dates on pages are
// read by people in Vietnam.
var vnZone = time.FixedZone("ICT", 7*3600)

func parseTemplates(as *assets) (*templates, error) {
	funcs := template.FuncMap{
		"asset": as.url,
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(vnZone).Format("15:04 02/01/2006")
		},
		"day": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(vnZone).Format("02/01/2006")
		},
		"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"status": statusName,
		"step":   stepName,
		"statusClass": func(s dossier.Status) string {
			return "st-" + strings.ToLower(strings.ReplaceAll(string(s), "_", "-"))
		},
		"role": func(lang string, r identity.Role) string { return roleName(lang, r) },
		"pct":  func(f float64) string { return fmt.Sprintf("%.0f %%", f*100) },
		"svg":  func(s string) template.HTML { return template.HTML(s) }, // only for SVG we build ourselves
		"add":  func(a, b int) int { return a + b },
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: layout: %w", err)
	}
	t := &templates{pages: map[string]*template.Template{}}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		c, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if t.pages[name], err = c.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
	}
	return t, nil
}

func (t *templates) execute(w io.Writer, name string, p *page) error {
	tm, ok := t.pages[name]
	if !ok {
		return fmt.Errorf("web: no template %q", name)
	}
	if err := tm.ExecuteTemplate(w, "layout.html", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	return nil
}

var statusNames = map[dossier.Status][2]string{
	dossier.Received:        {"Đã tiếp nhận, chờ bản quét", "Received, waiting for the scan"},
	dossier.Scanned:         {"Đang kiểm tra bản quét", "Checking the scan"},
	dossier.Validated:       {"Hợp lệ, chờ cơ quan xử lý", "Valid, waiting for the agency"},
	dossier.NeedsSupplement: {"Cần bổ sung", "Needs a supplement"},
	dossier.Approved:        {"Đã duyệt, chờ kết quả", "Approved, result pending"},
	dossier.Rejected:        {"Bị từ chối", "Rejected"},
	dossier.ResultIssued:    {"Đã có kết quả", "Result issued"},
	dossier.ReturnedByPost:  {"Đã trả kết quả qua bưu điện", "Result returned by post"},
}

func statusName(lang string, s dossier.Status) string {
	n, ok := statusNames[s]
	if !ok {
		return string(s)
	}
	if lang == "en" {
		return n[1]
	}
	return n[0]
}

var stepNames = map[dossier.Status][2]string{
	dossier.Received: {"Tiếp nhận", "Received"}, dossier.Scanned: {"Kiểm tra bản quét", "Scan checked"},
	dossier.NeedsSupplement: {"Cần bổ sung", "Needs a supplement"}, dossier.Validated: {"Hợp lệ", "Valid"},
	dossier.Approved: {"Cơ quan duyệt", "Approved"}, dossier.Rejected: {"Bị từ chối", "Rejected"},
	dossier.ResultIssued: {"Có kết quả", "Result issued"}, dossier.ReturnedByPost: {"Trả qua bưu điện", "Returned by post"},
}

// stepName is a status as one step of the tracking page.
func stepName(lang string, s dossier.Status) string {
	n := stepNames[s]
	if lang == "en" {
		return n[1]
	}
	return n[0]
}

var roleNames = map[identity.Role][2]string{
	identity.Clerk:   {"nhân viên bưu điện", "postal clerk"},
	identity.Officer: {"cán bộ cơ quan", "agency officer"},
	identity.Citizen: {"công dân", "citizen"},
	identity.Auditor: {"kiểm tra viên", "auditor"},
}

func roleName(lang string, r identity.Role) string {
	n, ok := roleNames[r]
	if !ok {
		return string(r)
	}
	if lang == "en" {
		return n[1]
	}
	return n[0]
}

// home is where a signed-in role works.
func home(r identity.Role) string {
	switch r {
	case identity.Clerk:
		return "/counter"
	case identity.Officer:
		return "/desk"
	case identity.Citizen:
		return "/me"
	case identity.Auditor:
		return "/stats"
	}
	return "/"
}
