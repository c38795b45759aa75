package scan

import (
	"errors"
	"fmt"
	"strings"
)

// Stable error codes of *Error. They become finding codes on the dossier, so
// they never change meaning.
const (
	CodeUnreadable    = "scan.unreadable"        // empty, truncated, corrupt, crashed or timed out
	CodeEncrypted     = "scan.encrypted"         // a PDF with an /Encrypt dictionary
	CodeUnsupported   = "scan.unsupported"       // not a PDF, TIFF, JPEG or PNG, or a page compression we cannot read
	CodeTooLarge      = "scan.too-large"         // more bytes than Limits.MaxBytes
	CodeTooManyPages  = "scan.too-many-pages"    // more pages than Limits.MaxPages
	CodeImageTooLarge = "scan.image-too-large"   // a page image with more pixels than Limits.MaxPixels
	CodeNoPages       = "scan.no-pages"          // a well-formed file without any page
	CodePageTree      = "scan.damaged-page-tree" // a PDF whose page tree leads to no page (missing, or a /Count that cannot be true)
	CodeTimeout       = "scan.timeout"           // our time limit ran out: Sohoa's limit, not a fault of the scan
	CodeInvalidLimits = "scan.invalid-limits"    // the caller passed unusable Limits (a bug, not the clerk's)
	CodePageTooSmall  = "scan.page-too-small"    // a page far smaller than any paper (a 1×1 image, a 1-point page)
)

// Error is a scan that cannot be split, with a stable Code, a Message in plain
// Vietnamese that a postal clerk can act on, and the 1-based Page it concerns
// (0 for the whole file). Err is the technical cause, for logs only.
type Error struct {
	Code    string
	Message string
	Page    int
	Err     error
}

// Error implements error.
func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Page > 0 {
		s = fmt.Sprintf("%s (page %d)", s, e.Page)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the technical cause.
func (e *Error) Unwrap() error { return e.Err }

// CodeOf returns the Code of the first *Error in err's chain, or "" if none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func newError(code string, page int, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Page: page, Err: cause, Message: fmt.Sprintf(format, args...)}
}

// Messages shared by several readers.
const (
	msgUnreadable  = "Tệp quét bị hỏng hoặc không đọc được. Hãy quét lại hồ sơ và tải lên lại."
	msgTruncated   = "Tệp quét bị cắt cụt (tải lên chưa hết hoặc lưu dở). Hãy tải lên lại tệp quét đầy đủ."
	msgEncrypted   = "Tệp quét được đặt mật khẩu hoặc mã hoá nên hệ thống không mở được. Hãy tắt chế độ bảo vệ bằng mật khẩu trên máy quét rồi quét lại."
	msgUnsupported = "Tệp tải lên không phải bản quét mà hệ thống nhận (chỉ nhận PDF, TIFF, JPEG hoặc PNG). Hãy quét lại hồ sơ ra tệp PDF và tải lên lại."
	msgPageBroken  = "Trang %d của tệp quét bị hỏng, không đọc được ảnh. Hãy quét lại hồ sơ và tải lên lại."
	msgTimeout     = "Hệ thống chưa đọc xong tệp quét trong thời gian cho phép (%s). Đây là giới hạn của hệ thống, không phải lỗi của bản quét: bản gốc vẫn được lưu. Hãy tải lên lại sau ít phút; nếu vẫn không được, hãy chia hồ sơ thành nhiều lần tải lên ít trang hơn và báo cho bộ phận kỹ thuật."
	msgNoPages     = "Tệp quét không có trang nào. Hãy quét lại hồ sơ và tải lên lại."
	msgPageTree    = "Mục lục trang của tệp PDF bị hỏng nên không tìm thấy trang nào của bản quét. Hãy lưu lại bản quét từ phần mềm máy quét (hoặc quét lại) rồi tải lên lại."
	msgCrashed     = "Tệp quét bị hỏng hoặc có cấu trúc bất thường nên không xử lý được. Hãy quét lại hồ sơ và tải lên lại."
)

// codecNames are the image compressions a scanner may write that Sohoa
// cannot decode yet, by PDF filter name.
var codecNames = map[string]string{"JPXDecode": "JPEG 2000", "JBIG2Decode": "JBIG2"}

// unreadableCodec is the finding for a page whose image is stored in a
// compression we cannot decode: said as it is, with what the clerk can do
// that will work, instead of a wrong verdict on the page (blank, a
// resolution, no separator).
func unreadableCodec(page int, filter string, cause error) *Error {
	name := codecNames[filter]
	if name == "" {
		name = filter
	}
	return newError(CodeUnsupported, page, cause,
		"Trang %d lưu ảnh quét dạng %s, kiểu nén mà hệ thống chưa đọc được, nên chưa kiểm tra được trang này. Hãy chỉnh máy quét lưu ảnh dạng JPEG (tệp PDF, JPEG hoặc TIFF), quét lại và tải lên.", page, name)
}

// Smallest page read as paper: a short side of 20 mm (an ID card is 54 mm)
// and, for an image, 64 pixels (20 mm at 80 dpi).
const (
	minPageMM     = 20
	minPagePixels = 64
)

// pageTooSmall is the finding for a page that cannot be a sheet of paper
// scanned: nil when it can. w and h are in millimetres, pw and ph in pixels
// (0 when not an image).
func pageTooSmall(page int, w, h float64, pw, ph int) *Error {
	small := min(w, h) < minPageMM
	if pw > 0 && ph > 0 && min(pw, ph) < minPagePixels {
		small = true
	}
	if !small {
		return nil
	}
	size := fmt.Sprintf("%.1f×%.1f mm", w, h)
	if pw > 0 && ph > 0 && min(pw, ph) < minPagePixels {
		size = fmt.Sprintf("%d×%d điểm ảnh", pw, ph)
	}
	return newError(CodePageTooSmall, page, fmt.Errorf("page of %s", size),
		"Trang %d chỉ có kích thước %s, quá nhỏ để là ảnh quét một trang giấy (trang A4 ở 200 dpi là 1654×2339 điểm ảnh). Hãy quét lại cả trang giấy ở 200–300 dpi rồi tải lên.", page, strings.ReplaceAll(size, ".", ","))
}
