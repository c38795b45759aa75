package dossier

import (
	"fmt"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/format/scan"
)

// captureFindings are what a scan's pages say about how the paper was
// captured: pages that are not scans at all, and a scan not in colour.
func captureFindings(p procedure.Procedure, res *scan.Result) []Finding {
	var out []Finding
	var digital, mono []int
	modes := map[string]bool{}
	for _, pg := range res.Pages {
		if pg.Separator != "" || pg.Blank {
			continue
		}
		if pg.Digital {
			digital = append(digital, pg.Number)
			continue
		}
		if pg.Color == scan.ColorBilevel || pg.Color == scan.ColorGray {
			mono = append(mono, pg.Number)
			modes[pg.Color] = true
		}
	}
	if len(digital) > 0 {
		// A born-digital page has no scanning resolution; it is not judged by dpi.
		out = append(out, NewFinding(FindingBornDigital, pageList(digital)).On(digital[0]))
	}
	sev := p.MonochromeScan
	if sev == "" {
		sev = SeverityWarning
	}
	if len(mono) > 0 && sev != "none" {
		what := Bi{"đen trắng", "black and white"}
		if modes[scan.ColorGray] && !modes[scan.ColorBilevel] {
			what = Bi{"thang xám", "greyscale"}
		}
		out = append(out, NewFinding(FindingNotColour, pageList(mono), what).On(mono[0]).WithSeverity(sev))
	}
	return out
}

// pageList writes page numbers for a message: "2, 3, 5" or "2–40" for long runs.
func pageList(pages []int) string {
	if len(pages) > 8 {
		return fmt.Sprintf("%d–%d", pages[0], pages[len(pages)-1])
	}
	s := make([]string, len(pages))
	for i, p := range pages {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}
