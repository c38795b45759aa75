package web

import (
	"strings"

	"github.com/sohoa/sohoa/pkg/errs"
)

// kindTexts say what went wrong by error kind, in Vietnamese and English:
// what a page shows when a deeper layer's message is not in the page's
// language (an error written in English only, a Go error), never the raw text.
var kindTexts = map[errs.Kind][2]string{
	errs.Invalid:       {"Thông tin gửi lên không hợp lệ. Hãy kiểm tra và thử lại.", "What was sent is not valid. Check it and try again."},
	errs.Unsupported:   {"Tệp không thuộc loại được nhận. Hãy chọn tệp PDF.", "The file is not of a type accepted. Choose a PDF file."},
	errs.TooLarge:      {"Tệp quá lớn.", "The file is too large."},
	errs.Conflict:      {"Hồ sơ đang ở trạng thái không cho phép việc này. Hãy tải lại trang.", "The dossier's state does not allow this now. Reload the page."},
	errs.Forbidden:     {"Bạn không có quyền làm việc này.", "You may not do this."},
	errs.Unauthorized:  {"Hãy đăng nhập.", "Sign in first."},
	errs.NotFound:      {"Không tìm thấy.", "Not found."},
	errs.Gone:          {"Không còn nữa.", "No longer there."},
	errs.Unavailable:   {"Dịch vụ tạm thời không sẵn sàng. Hãy thử lại sau ít phút.", "The service is not available just now. Try again in a few minutes."},
	errs.TooMany:       {"Có quá nhiều yêu cầu lúc này. Hãy thử lại sau giây lát.", "Too many requests just now. Try again in a moment."},
	errs.Unprocessable: {"Không đọc được tệp này. Hãy xuất lại tệp PDF rồi tải lên lại.", "This file cannot be read. Export the PDF again and upload it again."},
}

// vietnameseLetters are letters only Vietnamese writes, of those people type.
const vietnameseLetters = "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹàáèéìíòóùúýĩũõã"

// errText is what a page says of an error of kind k whose message is msg
// ("tiếng Việt / English", or one language): the part in the page's
// language, or, when the message has none in it, the kind's plain text.
func (p *page) errText(k errs.Kind, msg string) string {
	picked := p.pick(msg)
	vi := strings.ContainsAny(strings.ToLower(picked), vietnameseLetters)
	if picked != "" && vi == (p.Lang != "en") {
		return picked
	}
	t, ok := kindTexts[k]
	if !ok {
		t = kindTexts[errs.Invalid]
	}
	return p.T(t[0], t[1])
}

// errMessage is the message an error of ours carries for people; "" for
// any other error (its text is for logs).
func errMessage(err error) string {
	var e *errs.Error
	if asErr(err, &e) {
		return e.Message
	}
	return ""
}
