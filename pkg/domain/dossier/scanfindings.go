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
		out = append(out, Finding{Severity: SeverityWarning, Code: "scan.born-digital", Page: digital[0],
			Message: fmt.Sprintf("Trang %s là tệp điện tử (chữ hoặc hình vẽ), không phải ảnh quét từ giấy; thủ tục này nhận bản giấy được số hoá. Hãy in giấy tờ gốc hoặc quét bản giấy rồi tải lên. / Page(s) %s are born-digital, not scanned from paper.",
				pageList(digital), pageList(digital))})
	}
	sev := p.MonochromeScan
	if sev == "" {
		sev = SeverityWarning
	}
	if len(mono) > 0 && sev != "none" {
		what := "đen trắng"
		if modes[scan.ColorGray] && !modes[scan.ColorBilevel] {
			what = "thang xám"
		}
		out = append(out, Finding{Severity: sev, Code: "scan.not-colour", Page: mono[0],
			Message: fmt.Sprintf("Trang %s được quét %s; Thông tư 01/2023/TT-VPCP (Điều 8) yêu cầu thành phần hồ sơ số hoá ở dạng màu. Hãy đặt máy quét chế độ màu và quét lại nếu cần. / Page(s) %s were scanned in %s; Circular 01/2023/TT-VPCP asks digitized components in colour.",
				pageList(mono), what, pageList(mono), map[string]string{"đen trắng": "black and white", "thang xám": "greyscale"}[what])})
	}
	return out
}

// pageList writes page numbers for a message: "2, 3, 5" or "2–40" for long runs.
func pageList(pages []int) string {
	if len(pages) > 8 {
		return fmt.Sprintf("%d–%d (%d trang)", pages[0], pages[len(pages)-1], len(pages))
	}
	s := make([]string, len(pages))
	for i, p := range pages {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}
