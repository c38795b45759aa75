package dossier

import (
	"fmt"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
)

// Audience is who must act on a finding.
type Audience string

// The audiences of findings.
const (
	// AudienceClerk: the postal clerk fixes it now, at the counter, before the
	// dossier is handed over (a scan to redo). It is never a supplement
	// request: the dossier's status and clock stay as they were.
	AudienceClerk Audience = "clerk"
	// AudienceCitizen: the citizen must bring or allow something the dossier
	// lacks (a missing paper, consent to reuse a vault document). This is a
	// supplement request: it pauses the clock and is counted.
	AudienceCitizen Audience = "citizen"
	// AudienceOfficer: a note for the agency's officer who examines the
	// dossier; nobody has to do anything at the counter.
	AudienceOfficer Audience = "officer"
)

// Finding codes made by this package and the text reader. Codes are stable:
// they are stored on dossiers and never change meaning. The scan reader's
// codes (scan.Code*) are findings too.
const (
	FindingIngestFailed     = "ingest.failed"           // the scan could not be processed, however often tried
	FindingVaultUnavailable = "vault.unavailable"       // the certified copies could not be stored in the vault
	FindingUnfinished       = "ingest.unfinished"       // the check ran out of attempts for a fault of ours; the operators were told
	FindingLowResolution    = "scan.low-resolution"     // a page scanned below the minimum dpi
	FindingLeadingPages     = "scan.leading-pages"      // pages before the first separator sheet
	FindingBlankScan        = "scan.blank"              // every page blank
	FindingNoSeparators     = "scan.no-separators"      // no separator sheet in a scan of several components
	FindingBornDigital      = "scan.born-digital"       // pages that are files, not scans of paper
	FindingNotColour        = "scan.not-colour"         // pages scanned in black and white or grey
	FindingUnknownSeparator = "separator.unknown"       // a separator sheet of another procedure
	FindingDuplicate        = "component.duplicate"     // a component's separator twice
	FindingComponentBlank   = "component.blank"         // a component of blank pages only
	FindingComponentEmpty   = "component.empty"         // a separator followed by no page
	FindingBlankPages       = "component.blank-pages"   // duplex backs left out of a component
	FindingMissing          = "component.missing"       // a required component not in the dossier
	FindingReusePending     = "component.reuse-pending" // a required component the citizen's vault may give, once they consent
	FindingMarkPlacement    = "component.mark-placement"
	FindingOCRRetry         = "ocr.retry"       // text read again later, before certification
	FindingOCRFailed        = "ocr.failed"      // text could not be read at all
	FindingOCRPageFailed    = "ocr.page-failed" // text of one page could not be read
	FindingMRZUnreadable    = "cccd.mrz-unreadable"
	FindingMRZCheckFailed   = "cccd.mrz-check-failed"
	FindingIDMismatch       = "cccd.id-mismatch"
	FindingNameMismatch     = "cccd.name-mismatch"
	FindingCardExpired      = "cccd.expired"
	FindingIDStructure      = "cccd.id-structure"
	FindingIDBirthMismatch  = "cccd.id-birth-mismatch"
)

// Bi is an argument of a finding that reads differently in each language
// ("đen trắng" / "black and white").
type Bi struct{ VI, EN string }

// entry is one finding of the catalogue: who it is for, what it says and
// what to do, in Vietnamese and in English. Texts are fmt formats over the
// finding's arguments; use explicit indexes (%[2]s) where the languages
// order them differently.
type entry struct {
	Severity   string
	Audience   Audience
	VI, EN     string
	DoVI, DoEN string
}

// catalogue holds every finding a dossier can carry. To add one: a code
// constant above, an entry here; TestCatalogue checks the rest.
var catalogue = map[string]entry{
	// The scan reader's refusals: VI is the reader's own message when it has
	// one (it names the page and the cause).
	scan.CodeUnreadable: {SeverityError, AudienceClerk,
		"Tệp quét bị hỏng hoặc không đọc được.", "The scan file is damaged or cannot be read.",
		"Quét lại hồ sơ và tải lên lại.", "Scan the dossier again and upload it."},
	scan.CodeEncrypted: {SeverityError, AudienceClerk,
		"Tệp quét được đặt mật khẩu nên hệ thống không mở được.", "The scan file is password-protected, so it cannot be opened.",
		"Tắt chế độ bảo vệ bằng mật khẩu trên máy quét, quét lại và tải lên.", "Turn off password protection on the scanner, scan again and upload."},
	scan.CodeUnsupported: {SeverityError, AudienceClerk,
		"Tệp tải lên không phải bản quét mà hệ thống nhận (chỉ nhận PDF, TIFF, JPEG hoặc PNG).", "The file is not a scan the system takes (only PDF, TIFF, JPEG or PNG).",
		"Quét lại hồ sơ ra tệp PDF và tải lên.", "Scan the dossier again to a PDF file and upload it."},
	scan.CodeTooLarge: {SeverityError, AudienceClerk,
		"Tệp quét lớn hơn %s.", "The scan file is larger than %s.",
		"Quét lại ở 200–300 dpi, hoặc chia hồ sơ thành nhiều lần tải lên.", "Scan again at 200–300 dpi, or upload the dossier in several parts."},
	scan.CodeTooManyPages: {SeverityError, AudienceClerk,
		"Tệp quét có quá nhiều trang.", "The scan has too many pages.",
		"Chia hồ sơ thành nhiều lần tải lên ít trang hơn.", "Upload the dossier in several parts with fewer pages."},
	scan.CodeImageTooLarge: {SeverityError, AudienceClerk,
		"Một trang của tệp quét có ảnh quá lớn.", "A page of the scan has an image that is too large.",
		"Quét lại ở 200–300 dpi và tải lên.", "Scan again at 200–300 dpi and upload."},
	scan.CodeNoPages: {SeverityError, AudienceClerk,
		"Tệp quét không có trang nào.", "The scan file has no pages.",
		"Quét lại hồ sơ và tải lên lại.", "Scan the dossier again and upload it."},
	scan.CodePageTree: {SeverityError, AudienceClerk,
		"Mục lục trang của tệp PDF bị hỏng nên không tìm thấy trang nào.", "The PDF's page tree is damaged, so no page can be found.",
		"Lưu lại bản quét từ phần mềm máy quét (hoặc quét lại) rồi tải lên.", "Save the scan again from the scanner software (or scan again), then upload."},
	scan.CodeTimeout: {SeverityError, AudienceClerk,
		"Hệ thống chưa đọc xong tệp quét trong thời gian cho phép; đây là giới hạn của hệ thống, không phải lỗi của bản quét.", "The system could not finish reading the scan in the time allowed; this is the system's limit, not a fault of the scan.",
		"Tải lên lại sau ít phút; nếu vẫn không được, chia hồ sơ thành nhiều lần tải lên.", "Upload again in a few minutes; if it still fails, upload the dossier in several parts."},
	scan.CodeInvalidLimits: {SeverityError, AudienceClerk,
		"Hệ thống đang cấu hình sai nên chưa đọc được bản quét.", "The system is misconfigured and cannot read scans now.",
		"Báo cho bộ phận kỹ thuật; bản quét đã được lưu.", "Tell the technical team; the scan is kept."},
	scan.CodePageTooSmall: {SeverityError, AudienceClerk,
		"Trang %d quá nhỏ để là ảnh quét một trang giấy.", "Page %d is too small to be a scan of a sheet of paper.",
		"Quét lại cả trang giấy ở 200–300 dpi rồi tải lên.", "Scan the whole sheet again at 200–300 dpi, then upload."},

	FindingIngestFailed: {SeverityError, AudienceClerk,
		"Không xử lý được tệp quét sau nhiều lần thử; bản gốc vẫn được lưu.", "The scan could not be processed after several attempts; the original is kept.",
		"Quét lại và tải lên.", "Scan again and upload."},
	FindingUnfinished: {SeverityError, AudienceClerk,
		"Hệ thống chưa kiểm tra xong bản quét của hồ sơ này do một lỗi kỹ thuật, không phải do giấy tờ của công dân. Bộ phận vận hành đã được báo; bản quét vẫn được lưu.", "We could not finish checking this dossier's scan because of a technical fault, not because of the citizen's papers. The operators have been told; the scan is kept.",
		"Không cần làm gì: bộ phận vận hành sẽ cho kiểm tra lại. Nếu cần gấp, hãy tải bản quét lên lại.", "Nothing to do: the operators will run the check again. If it is urgent, upload the scan again."},
	FindingVaultUnavailable: {SeverityError, AudienceClerk,
		"Chưa lưu được bản sao điện tử có chứng thực vào Kho giấy tờ của công dân sau nhiều lần thử; hồ sơ chưa được xác nhận.", "The certified copies could not be stored in the citizen's document vault after several attempts; the dossier is not validated yet.",
		"Tải bản quét lên lại sau ít phút.", "Upload the scan again in a few minutes."},
	FindingLowResolution: {SeverityError, AudienceClerk,
		"Trang %[1]d được quét ở %.0[2]f dpi, thấp hơn mức tối thiểu %[3]d dpi (Thông tư 01/2023/TT-VPCP).", "Page %[1]d was scanned at %.0[2]f dpi, below the %[3]d dpi minimum (Circular 01/2023/TT-VPCP).",
		"Quét lại ở ít nhất 200 dpi và tải lên.", "Scan again at 200 dpi or more and upload."},
	FindingBlankScan: {SeverityError, AudienceClerk,
		"Cả %d trang của bản quét đều trắng: có thể giấy bị đặt úp hoặc máy quét không kéo được giấy.", "All %d page(s) of the scan are blank: the paper may have been fed face down, or the scanner took no sheet.",
		"Kiểm tra mặt giấy, quét lại và tải lên.", "Check which side faces the scanner, scan again and upload."},
	FindingNoSeparators: {SeverityError, AudienceClerk,
		"Không tìm thấy tờ phân cách trong bản quét, mà thủ tục này có nhiều thành phần.", "No separator sheets were found in the scan, and this procedure has several components.",
		"In tờ phân cách cho từng thành phần, đặt trước mỗi thành phần, quét lại và tải lên.", "Print a separator sheet for each component, put it before its component, scan again and upload."},
	FindingUnknownSeparator: {SeverityError, AudienceClerk,
		"Tờ phân cách ở trang %[1]d mang mã %[2]q, không thuộc thủ tục %[3]s.", "The separator sheet on page %[1]d has code %[2]q, which is not a component of procedure %[3]s.",
		"Thay bằng tờ phân cách đúng, quét lại và tải lên.", "Replace it with the right separator sheet, scan again and upload."},
	FindingDuplicate: {SeverityError, AudienceClerk,
		"Thành phần «%[1]s» xuất hiện hai lần (tờ phân cách ở trang %[2]d).", "Component «%[1]s» appears twice (separator sheet on page %[2]d).",
		"Bỏ tờ phân cách thừa, quét lại và tải lên.", "Remove the extra separator sheet, scan again and upload."},
	FindingComponentBlank: {SeverityError, AudienceClerk,
		"Thành phần «%[1]s» chỉ gồm trang trắng (trang %[2]s).", "Component «%[1]s» is only blank pages (pages %[2]s).",
		"Kiểm tra giấy tờ, quét mặt có nội dung và tải lên.", "Check the papers, scan the side with content and upload."},
	FindingComponentEmpty: {SeverityError, AudienceClerk,
		"Sau tờ phân cách «%[1]s» (trang %[2]d) không có trang nào.", "The separator sheet for «%[1]s» (page %[2]d) is followed by no page.",
		"Đặt giấy tờ của thành phần này sau tờ phân cách, quét lại và tải lên.", "Put this component's papers after its separator sheet, scan again and upload."},
	FindingMissing: {SeverityError, AudienceCitizen,
		"Thiếu thành phần bắt buộc: %[1]s (mã %[2]s).", "A required component is missing: %[1]s (code %[2]s).",
		"Công dân bổ sung giấy tờ này; nhân viên bưu cục quét lại hồ sơ kèm tờ phân cách của nó.", "The citizen brings this paper; the post office scans the dossier again with its separator sheet."},
	FindingReusePending: {SeverityError, AudienceCitizen,
		"Thiếu thành phần bắt buộc: %[1]s (mã %[2]s); có thể dùng lại giấy tờ này từ Kho giấy tờ của công dân nếu công dân đồng ý.", "A required component is missing: %[1]s (code %[2]s); it can be reused from the citizen's document vault if the citizen consents.",
		"Công dân đồng ý trong Kho giấy tờ của mình, hoặc đọc cho nhân viên mã đã gửi tới liên hệ đăng ký; nếu không, bổ sung bản giấy để quét lại.", "The citizen consents in their document vault, or reads out the code sent to their contact on record; otherwise they bring the paper to be scanned again."},

	// Notes for the officer: the dossier may be valid; nobody at the counter acts.
	FindingLeadingPages: {SeverityWarning, AudienceOfficer,
		"%d trang trước tờ phân cách đầu tiên không thuộc thành phần nào và không được đưa vào hồ sơ; bản quét gốc vẫn giữ.", "%d page(s) before the first separator sheet belong to no component and were left out; the original scan keeps them.",
		"", ""},
	FindingBornDigital: {SeverityWarning, AudienceOfficer,
		"Trang %s là tệp điện tử (chữ hoặc hình vẽ), không phải ảnh quét từ giấy.", "Page(s) %s are born-digital files, not scans of paper.",
		"Đối chiếu với bản giấy nếu thủ tục đòi bản giấy được số hoá.", "Compare with the paper if the procedure asks for digitized paper."},
	FindingNotColour: {SeverityWarning, AudienceOfficer,
		"Trang %s được quét %s; Thông tư 01/2023/TT-VPCP (Điều 8) yêu cầu thành phần hồ sơ số hoá ở dạng màu.", "Page(s) %s were scanned in %s; Circular 01/2023/TT-VPCP (art. 8) asks for digitized components in colour.",
		"", ""},
	FindingBlankPages: {SeverityWarning, AudienceOfficer,
		"Đã bỏ %[1]d trang trắng (mặt sau khi quét hai mặt) khỏi thành phần «%[2]s»: trang %[3]s; bản quét gốc vẫn giữ đủ.", "%[1]d blank page(s) (duplex backs) were left out of component «%[2]s»: pages %[3]s; the original scan keeps them.",
		"", ""},
	FindingMarkPlacement: {SeverityInfo, AudienceOfficer,
		"Dấu «Bản điện tử được chuyển đổi từ bản giấy» trên trang đầu của thành phần «%[1]s» %[2]s, vì góc trên bên trái có nội dung của bản giấy; dấu không che nội dung nào.", "The conversion mark on the first page of component «%[1]s» %[2]s, because the paper's content reaches the top-left corner; it covers none of it.",
		"", ""},
	FindingOCRRetry: {SeverityWarning, AudienceOfficer,
		"Chưa đọc được chữ trên thành phần này lúc tiếp nhận; hệ thống tự đọc lại rồi mới chứng thực bản sao.", "The text of this component could not be read at intake; the system reads it again before the copy is certified.",
		"", ""},
	FindingOCRFailed: {SeverityWarning, AudienceOfficer,
		"Không đọc được chữ trên thành phần này; bản sao vẫn được chứng thực nhưng chưa tìm kiếm được theo nội dung.", "The text of this component could not be read; the copy is certified but cannot be searched by its content.",
		"", ""},
	FindingOCRPageFailed: {SeverityWarning, AudienceOfficer,
		"Không đọc được chữ trên trang %d của thành phần này; trang vẫn được chứng thực nhưng chưa tìm kiếm được theo nội dung.", "The text of page %d of this component could not be read; it is certified but cannot be searched by its content.",
		"", ""},
	FindingMRZUnreadable: {SeverityWarning, AudienceOfficer,
		"Không đọc được vùng mã (MRZ) ở mặt sau thẻ căn cước, nên số định danh chưa được đối chiếu tự động.", "The machine-readable zone on the back of the ID card could not be read, so its number was not checked automatically.",
		"Đối chiếu số định danh trên bản sao thẻ bằng mắt.", "Check the ID number on the card's copy by eye."},
	FindingMRZCheckFailed: {SeverityWarning, AudienceOfficer,
		"Vùng mã (MRZ) ở mặt sau thẻ căn cước đọc không khớp số kiểm tra (%s): có thể bản quét mờ.", "The check digits of the ID card's machine-readable zone do not match (%s): the scan may be blurred.",
		"Đối chiếu thông tin trên bản sao thẻ bằng mắt.", "Check the card's copy by eye."},
	FindingIDMismatch: {SeverityError, AudienceClerk,
		"Số định danh trên thẻ căn cước (%[1]s) khác số định danh của người nộp hồ sơ (%[2]s).", "The ID number on the card (%[1]s) differs from the applicant's ID number (%[2]s).",
		"Kiểm tra lại thẻ hoặc số đã nhập.", "Check the card or the number typed."},
	FindingNameMismatch: {SeverityWarning, AudienceOfficer,
		"Họ tên trên thẻ căn cước (%[1]s) khác họ tên người nộp hồ sơ (%[2]s, so sánh không dấu).", "The name on the ID card (%[1]s) differs from the applicant's name (%[2]s, compared without diacritics).",
		"Đối chiếu họ tên bằng mắt.", "Check the name by eye."},
	FindingCardExpired: {SeverityError, AudienceCitizen,
		"Thẻ căn cước đã hết hạn từ ngày %s.", "The ID card expired on %s.",
		"Công dân nộp bản sao thẻ căn cước còn hạn.", "The citizen brings a copy of a valid ID card."},
	FindingIDStructure: {SeverityWarning, AudienceOfficer,
		"Số định danh trên thẻ căn cước không đúng cấu trúc (mã tỉnh, thế kỷ, năm sinh).", "The ID number on the card does not have a valid structure (province, century, birth year).",
		"Đối chiếu thẻ bằng mắt.", "Check the card by eye."},
	FindingIDBirthMismatch: {SeverityWarning, AudienceOfficer,
		"Năm sinh hoặc giới tính trên thẻ căn cước (%[1]d, %[2]s) không khớp với năm sinh và giới tính mà số định danh mã hoá (%[3]d, %[4]s).", "The birth year or sex on the card (%[1]d, %[2]s) disagrees with what its ID number encodes (%[3]d, %[4]s).",
		"Đối chiếu thẻ bằng mắt.", "Check the card by eye."},
}

// switched are what to do about a finding a procedure or a reader makes
// more or less severe than its entry, which moves it to another audience
// (see WithSeverity): by code, Vietnamese then English.
var switched = map[string][2]string{
	FindingNotColour:  {"Đặt máy quét chế độ màu, quét lại và tải lên.", "Set the scanner to colour, scan again and upload."},
	FindingIDMismatch: {"Đối chiếu số định danh trên bản sao thẻ bằng mắt.", "Check the ID number on the card's copy by eye."},
}

// NewFinding returns the catalogue's finding code, its texts filled with
// args (a Bi argument reads in each language). A code the catalogue does
// not hold still makes a finding, said generically, so that nothing a
// person reads is ever empty; TestCatalogue keeps that from happening.
func NewFinding(code string, args ...any) Finding {
	e, ok := catalogue[code]
	if !ok {
		e = entry{SeverityError, AudienceClerk, "Bản quét có vấn đề chưa xác định (%s).", "The scan has a problem the system cannot name (%s).",
			"Quét lại hồ sơ và tải lên.", "Scan the dossier again and upload it."}
		args = []any{code}
	}
	return Finding{Severity: e.Severity, Audience: e.Audience, Code: code,
		Message: fmt.Sprintf(e.VI, lang(args, false)...), MessageEN: fmt.Sprintf(e.EN, lang(args, true)...),
		Action: e.DoVI, ActionEN: e.DoEN}
}

// lang picks each Bi argument's text for one language.
func lang(args []any, en bool) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if b, ok := a.(Bi); ok {
			a = b.VI
			if en {
				a = b.EN
			}
		}
		out[i] = a
	}
	return out
}

// scanFinding is the finding of the scan reader's refusal: its code's
// entry, with the reader's own Vietnamese message (it names the page and the
// cause) when it has one.
func scanFinding(se *scan.Error) Finding {
	var args []any
	switch se.Code {
	case scan.CodePageTooSmall:
		args = []any{se.Page}
	case scan.CodeTooLarge:
		args = []any{Bi{"giới hạn cho phép", "the limit"}}
	}
	f := NewFinding(se.Code, args...)
	if se.Message != "" {
		f.Message, f.Action = se.Message, ""
	}
	f.Page = se.Page
	return f
}

// TooLargeFinding is the finding, and the refusal, of a scan over max bytes.
func TooLargeFinding(max int64) Finding {
	size := fmt.Sprintf("%d MB", max>>20)
	if max < 1<<20 {
		size = fmt.Sprintf("%d byte", max)
	}
	return NewFinding(scan.CodeTooLarge, size)
}

// On returns f about the given page of the scan.
func (f Finding) On(page int) Finding { f.Page = page; return f }

// Of returns f about component code.
func (f Finding) Of(code string) Finding { f.Component = code; return f }

// WithSeverity returns f with severity sev: a procedure may make a warning an
// error, and an error is the clerk's to fix before the dossier goes on.
func (f Finding) WithSeverity(sev string) Finding {
	if sev == f.Severity {
		return f
	}
	f.Severity = sev
	to := AudienceOfficer
	if sev == SeverityError {
		to = AudienceClerk
	}
	if to != f.Audience {
		f.Audience = to
		f.Action, f.ActionEN = switched[f.Code][0], switched[f.Code][1]
	}
	return f
}

// Text is what the finding says, in lang ("vi" or "en"). A finding stored
// before texts were kept apart ("tiếng Việt / English") is split.
func (f Finding) Text(lang string) string {
	vi, en := f.Message, f.MessageEN
	if en == "" {
		if v, e, ok := strings.Cut(f.Message, " / "); ok {
			vi, en = v, e
		} else {
			en = vi // a Vietnamese-only text stored long ago: better said than hidden
		}
	}
	if lang == "en" {
		return en
	}
	return vi
}

// Todo is what to do about the finding, in lang; "" for a note.
func (f Finding) Todo(lang string) string {
	if lang == "en" {
		return f.ActionEN
	}
	return f.Action
}

// Open reports whether the finding still applies.
func (f Finding) Open() bool { return f.ResolvedAt.IsZero() }

// Task reports whether the finding asks someone to act now: open, an
// error, and for the clerk or the citizen. Warnings and notes are for the
// officer, never orders.
func (f Finding) Task() bool {
	return f.Open() && f.Severity == SeverityError && f.Audience != AudienceOfficer
}

// audience is the finding's audience, for a finding stored before findings
// had one: errors were the clerk's, the rest notes.
func (f Finding) audience() Audience {
	if f.Audience != "" {
		return f.Audience
	}
	if f.Severity == SeverityError {
		return AudienceClerk
	}
	return AudienceOfficer
}

// resolve marks the open findings that match as resolved at t.
func resolve(fs []Finding, t time.Time, match func(Finding) bool) {
	for i := range fs {
		if fs[i].Open() && match(fs[i]) {
			fs[i].ResolvedAt = t.UTC()
		}
	}
}

// refusal is an upload refused on the spot for what f says, as an error of
// kind k: "what it is; what to do" in Vietnamese, then in English, as the
// pages and the API's problems split them.
func refusal(k errs.Kind, f Finding) error {
	return errs.E(k, "%s", f.Text("vi")+" "+f.Todo("vi")+" / "+f.Text("en")+" "+f.Todo("en"))
}
