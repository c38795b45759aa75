package notify

import (
	"regexp"
	"strings"
	"testing"
)

var allKinds = []kind{kindReceipt, kindSupplement, kindResult, kindReturned, kindClerkSupplement,
	kindOfficerValidated, kindOfficerDueSoon, kindOfficerOverdue}

func TestTemplatesRenderEveryKind(t *testing.T) {
	tm, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	d := data{Code: "000.00.15.H29-260309-0001", Procedure: "2.000488", Name: "SECRET-NAME", Due: "09:00 23/03/2026",
		Waybill: "EL1VN", PortalURL: "https://p", Reasons: []string{"Thiếu CCCD"}}
	for _, k := range allKinds {
		for _, lang := range []string{"vi", "en", ""} {
			r, err := tm.render(k, lang, d)
			if err != nil {
				t.Fatalf("render %s/%s: %v", k, lang, err)
			}
			all := r.Subject + "\n" + r.Body + "\n" + r.SMS
			if r.Subject == "" || r.Body == "" || r.SMS == "" || strings.Contains(all, "<no value>") {
				t.Errorf("%s/%s renders empty parts or missing fields: %q", k, lang, all)
			}
			if !strings.Contains(r.Subject, d.Code) || !strings.Contains(r.SMS, d.Code) {
				t.Errorf("%s/%s does not name the dossier: %q", k, lang, all)
			}
			if (lang == "en") != strings.Contains(r.Subject, " / ") {
				t.Errorf("%s/%s: English present = %v", k, lang, lang == "en")
			}
			// Staff messages never show the applicant, even if a caller passed the name.
			staff := strings.HasPrefix(string(k), "officer_") || strings.HasPrefix(string(k), "clerk_")
			if staff && strings.Contains(all, "SECRET-NAME") {
				t.Errorf("staff message %s shows the applicant's name", k)
			}
			if len(r.SMS) > 320 {
				t.Errorf("%s/%s SMS is %d bytes", k, lang, len(r.SMS))
			}
		}
	}
}

func BenchmarkRender(b *testing.B) {
	tm, err := loadTemplates()
	if err != nil {
		b.Fatal(err)
	}
	d := data{Code: "000.00.15.H29-260309-0001", Procedure: "2.000488", Name: "Nguyễn Văn An", Due: "09:00 23/03/2026",
		PortalURL: "https://p", Reasons: []string{"Thiếu CCCD", "Trang mờ"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tm.render(kindSupplement, "en", d); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNoticesPointToPages: every link in a notice is a page a person opens
// (/track/…, /verify, /me, /desk), never the machine API; pages are named
// as the menu names them; a Vietnamese notice has no English in it, nor an
// English one Vietnamese, whatever the reasons carried.
func TestNoticesPointToPages(t *testing.T) {
	tm, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	d := data{Code: "000.00.15.H29-260309-0001", Procedure: "2.000488", Name: "Nguyễn Văn An", Due: "09:00 23/03/2026",
		Waybill: "EL1VN", PortalURL: "https://p", Reasons: []string{"Thiếu thành phần bắt buộc: Giấy chứng sinh (mã GCS)."},
		ReasonsEN: []string{"A required component is missing: Giấy chứng sinh (code GCS)."}}
	english := regexp.MustCompile(`\b(the|is|are|was|and|of|your|vault|missing|sign in|track)\b`)
	link := regexp.MustCompile(`https://p[^\s)"]*`)
	for _, k := range allKinds {
		vi, err := renderOne(tm.vi, k, d)
		if err != nil {
			t.Fatal(err)
		}
		en, err := tm.render(k, "en", d)
		if err != nil {
			t.Fatal(err)
		}
		_, enBody, _ := strings.Cut(en.Body, "\n\n---\n\n")
		viAll := vi.Subject + "\n" + vi.Body
		if m := english.FindString(strings.ToLower(link.ReplaceAllString(viAll, ""))); m != "" {
			t.Errorf("%s: English %q in the Vietnamese notice: %q", k, m, viAll)
		}
		if strings.Contains(enBody, "Thiếu") {
			t.Errorf("%s: Vietnamese reasons in the English notice: %q", k, enBody)
		}
		if strings.Contains(viAll, "Kho dữ liệu") {
			t.Errorf("%s: names a page the menu calls «Kho giấy tờ»: %q", k, viAll)
		}
		for _, u := range link.FindAllString(viAll+"\n"+en.Body+"\n"+vi.SMS, -1) {
			path := strings.TrimRight(strings.TrimPrefix(u, "https://p"), ".,")
			ok := path == "" || path == "/verify" || path == "/me" || path == "/desk" || path == "/track/"+d.Code
			if !ok || strings.Contains(path, "/v1/") {
				t.Errorf("%s: link %q is not a page", k, u)
			}
		}
	}
}
