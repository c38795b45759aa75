package web

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/report"
	"github.com/sohoa/sohoa/pkg/errs"
)

// months is how many months the dashboard's trend shows.
const months = 6

type monthStats struct {
	Month  time.Time
	Label  string
	Stats  []report.AgencyStats
	Totals report.AgencyStats
}

type statsData struct {
	Month     string // YYYY-MM
	Months    []monthStats
	Current   monthStats
	Agencies  map[string]string
	AgencyBar string // SVG
	TrendBar  string // SVG
	Choices   []string
}

// monthPeriod returns the first and last day of month m (Vietnam's calendar).
func monthPeriod(m time.Time) (string, string) {
	first := time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, vnZone)
	return first.Format(time.DateOnly), first.AddDate(0, 1, -1).Format(time.DateOnly)
}

func (h *Handler) monthStats(r *http.Request, p *page, m time.Time) (monthStats, error) {
	from, to := monthPeriod(m)
	st, err := h.c.API.Reports.For(r.Context(), *p.Actor, from, to)
	if err != nil {
		return monthStats{}, err
	}
	ms := monthStats{Month: m, Label: m.Format("01/2006"), Stats: st}
	t := &ms.Totals
	for _, s := range st {
		t.Received += s.Received
		t.Resolved += s.Resolved
		t.Early += s.Early
		t.OnTime += s.OnTime
		t.Late += s.Late
		t.InTime += s.InTime
		t.Overdue += s.Overdue
	}
	if t.Resolved > 0 {
		t.OnTimeRate = float64(t.Early+t.OnTime) / float64(t.Resolved)
	}
	return ms, nil
}

// stats is the auditor's dashboard: per agency and month, charts, the table
// beneath and a CSV download.
func (h *Handler) stats(w http.ResponseWriter, r *http.Request, p *page) error {
	if h.c.API.Reports == nil {
		return errs.E(errs.Unavailable, "Chưa cấu hình thống kê / Reports are not configured")
	}
	now := h.c.Now().In(vnZone)
	cur := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, vnZone)
	sel := cur
	if m := r.URL.Query().Get("month"); m != "" {
		t, err := time.ParseInLocation("2006-01", m, vnZone)
		if err != nil || t.After(cur) {
			p.Errors = []fieldError{{Field: "month", Message: p.T("Tháng không hợp lệ; đang hiện tháng này.", "Not a valid month; showing this month.")}}
		} else {
			sel = t
		}
	}
	p.Title = p.T("Thống kê giải quyết hồ sơ", "Dossier statistics")
	sd := statsData{Month: sel.Format("2006-01"), Agencies: map[string]string{}}
	for _, pr := range h.c.API.Catalog.All() {
		sd.Agencies[pr.Agency] = pr.AgencyName
	}
	for i := 0; i < 12; i++ {
		sd.Choices = append(sd.Choices, cur.AddDate(0, -i, 0).Format("2006-01"))
	}
	for i := months - 1; i >= 0; i-- {
		ms, err := h.monthStats(r, p, sel.AddDate(0, -i, 0))
		if err != nil {
			return err
		}
		sd.Months = append(sd.Months, ms)
	}
	sd.Current = sd.Months[len(sd.Months)-1]
	sd.AgencyBar = agencyChart(p, sd.Current.Stats, sd.Agencies)
	sd.TrendBar = trendChart(p, sd.Months)
	p.Data = sd
	return h.render(w, r, p, "stats")
}

func (h *Handler) statsCSV(w http.ResponseWriter, r *http.Request, p *page) error {
	if h.c.API.Reports == nil {
		return errs.E(errs.Unavailable, "Chưa cấu hình thống kê / Reports are not configured")
	}
	m, err := time.ParseInLocation("2006-01", r.URL.Query().Get("month"), vnZone)
	if err != nil {
		return errs.E(errs.Invalid, "Tháng không hợp lệ / Not a valid month")
	}
	from, to := monthPeriod(m)
	st, err := h.c.API.Reports.For(r.Context(), *p.Actor, from, to)
	if err != nil {
		return err
	}
	var csv bytes.Buffer
	if err := report.WriteCSV(&csv, st); err != nil {
		return err
	}
	serveFile(w, "text/csv; charset=utf-8", "attachment", "thong-ke-"+m.Format("2006-01")+".csv", csv.Bytes())
	return nil
}

// The charts' colours: each passes 3:1 against white (WCAG 1.4.11) and each
// bar also carries its number as text.
const (
	colOnTime  = "#00703c"
	colLate    = "#b35900"
	colOverdue = "#d4351c"
	colInTime  = "#1d70b8"
)

// agencyChart draws, per agency, a stacked horizontal bar of its dossiers:
// resolved on time, late, in progress within time, overdue.
func agencyChart(p *page, st []report.AgencyStats, names map[string]string) string {
	if len(st) == 0 {
		return ""
	}
	const left, width, rowH = 4, 380, 56
	max := 1
	for _, s := range st {
		if n := s.Early + s.OnTime + s.Late + s.InTime + s.Overdue; n > max {
			max = n
		}
	}
	hgt := len(st)*rowH + 40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-labelledby="agency-chart-title" class="chart" xmlns="http://www.w3.org/2000/svg">`, left+width+60, hgt)
	fmt.Fprintf(&b, `<title id="agency-chart-title">%s</title>`, html.EscapeString(p.T("Hồ sơ theo cơ quan: đúng hạn, trễ hạn, đang giải quyết, quá hạn (chi tiết ở bảng bên dưới)",
		"Dossiers by agency: on time, late, in progress, overdue (details in the table below)")))
	for i, s := range st {
		y := i*rowH + 4
		name := names[s.Agency]
		if name == "" {
			name = s.Agency
		}
		if r := []rune(name); len(r) > 44 {
			name = string(r[:43]) + "…" // the table beneath has the full name
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="14" fill="#0b0c0c">%s</text>`, left, y+14, html.EscapeString(name))
		x := float64(left)
		for _, seg := range []struct {
			n   int
			col string
		}{{s.Early + s.OnTime, colOnTime}, {s.Late, colLate}, {s.InTime, colInTime}, {s.Overdue, colOverdue}} {
			if seg.n == 0 {
				continue
			}
			wd := float64(seg.n) / float64(max) * width
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="24" fill="%s"/>`, x, y+20, wd, seg.col)
			if wd >= 22 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="14" fill="#fff" text-anchor="middle">%d</text>`, x+wd/2, y+37, seg.n)
			}
			x += wd
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="14" fill="#0b0c0c">%d</text>`, x+6, y+37, s.Early+s.OnTime+s.Late+s.InTime+s.Overdue)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// trendChart draws the dossiers received per month with the on-time rate.
func trendChart(p *page, ms []monthStats) string {
	const chartH, barW, gap, top = 160, 44, 20, 24
	max := 1
	for _, m := range ms {
		if m.Totals.Received > max {
			max = m.Totals.Received
		}
	}
	wd := len(ms)*(barW+gap) + gap
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-labelledby="trend-chart-title" class="chart" xmlns="http://www.w3.org/2000/svg">`, wd, chartH+top+50)
	fmt.Fprintf(&b, `<title id="trend-chart-title">%s</title>`, html.EscapeString(p.T("Số hồ sơ tiếp nhận mỗi tháng và tỉ lệ đúng hạn", "Dossiers received per month and on-time rate")))
	fmt.Fprintf(&b, `<line x1="0" y1="%d" x2="%d" y2="%d" stroke="#505a5f"/>`, chartH+top, wd, chartH+top)
	for i, m := range ms {
		x := gap + i*(barW+gap)
		hgt := float64(m.Totals.Received) / float64(max) * chartH
		fmt.Fprintf(&b, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"/>`, x, float64(chartH+top)-hgt, barW, hgt, colInTime)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="14" text-anchor="middle" fill="#0b0c0c">%d</text>`, x+barW/2, float64(chartH+top)-hgt-6, m.Totals.Received)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" text-anchor="middle" fill="#0b0c0c">%s</text>`, x+barW/2, chartH+top+18, m.Label)
		rate := "—"
		if m.Totals.Resolved > 0 {
			rate = fmt.Sprintf("%.0f%%", m.Totals.OnTimeRate*100)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" text-anchor="middle" fill="%s">%s</text>`, x+barW/2, chartH+top+38, colOnTime, rate)
	}
	b.WriteString(`</svg>`)
	return b.String()
}
