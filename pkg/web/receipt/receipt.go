// Package receipt renders the receipt a postal clerk prints and hands to the
// citizen when a dossier is received at the post office: "Giấy tiếp nhận hồ
// sơ và hẹn trả kết quả", an A4 PDF with the dossier code, the procedure, the
// components received, the due date in Vietnam's time, the post office, the
// return channel and a QR code (Circular 01/2023/TT-VPCP) whose payload is
// described by Payload.
//
// Text is real text in an embedded, subsetted DejaVu Sans (package stamp), so
// Vietnamese renders in every reader, prints sharply and can be copied or
// searched; the QR code is drawn as vector squares. The package only draws:
// it does not decide what a dossier contains or when it is due.
package receipt

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
	"github.com/sohoa/sohoa/pkg/format/stamp"
)

// Title is the receipt's title.
const Title = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"

// Limits on what one receipt prints, so a corrupt record cannot produce an
// endless document.
const (
	// MaxComponents is the most component rows printed.
	MaxComponents = 100
	// MaxField is the most characters printed of one text field.
	MaxField = 300
)

// Options are the optional inputs of Render. The zero value is valid.
type Options struct {
	// Now is the time the receipt is issued, printed and put in the QR code;
	// zero means time.Now().
	Now time.Time
	// Font and Bold are the parsed fonts; nil means parse them for this call
	// (about a millisecond each). Long-running callers parse them once with
	// pdffont.NewFont and pdffont.NewBoldFont and share them.
	Font, Bold *pdffont.Font
}

// Render returns the receipt of dossier d for procedure p as a PDF.
func Render(d *dossier.Dossier, p procedure.Procedure, opts Options) ([]byte, error) {
	if d == nil {
		return nil, errs.E(errs.Invalid, "receipt: no dossier")
	}
	if d.Code == "" || d.Citizen.ID == "" {
		return nil, errs.E(errs.Invalid, "receipt: dossier %q has no code or no citizen ID", d.ID)
	}
	if p.Code == "" {
		return nil, errs.E(errs.Invalid, "receipt: dossier %s: procedure has no code", d.Code)
	}
	if p.Code != d.Procedure && d.Procedure != "" {
		return nil, errs.E(errs.Invalid, "receipt: dossier %s is for procedure %s, not %s", d.Code, d.Procedure, p.Code)
	}
	var err error
	regular, bold := opts.Font, opts.Bold
	if regular == nil {
		if regular, err = pdffont.NewFont(); err != nil {
			return nil, fmt.Errorf("receipt: %w", err)
		}
	}
	if bold == nil {
		if bold, err = pdffont.NewBoldFont(); err != nil {
			return nil, fmt.Errorf("receipt: %w", err)
		}
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	vn := calendar.Location()
	payload := Payload{
		Version:     PayloadVersion,
		Document:    DocumentName,
		DossierCode: d.Code,
		Procedure:   p.Code,
		ApplicantID: d.Citizen.ID,
		System:      IssuingSystem,
		IssuedAt:    now.In(vn).Truncate(time.Second),
	}
	if !d.DueAt.IsZero() {
		payload.DueAt = d.DueAt.In(vn).Truncate(time.Second)
	}
	text, err := payload.Encode()
	if err != nil {
		return nil, err
	}
	qr, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("receipt: QR code: %w", err)
	}

	c := &canvas{regular: regular.NewText(), bold: bold.NewText()}
	l := layout{c: c, vn: vn}
	l.draw(d, p, qr.Bitmap(), now)
	return l.pdf()
}

// Page geometry in points.
const (
	left    = 50.0
	right   = pageW - 50
	top     = pageH - 42
	bottom  = 60.0
	body    = 10.5 // body text size
	leading = 15.0 // body line height
)

// layout places the receipt's content on pages, top to bottom.
type layout struct {
	c  *canvas
	vn *time.Location
	y  float64 // baseline of the next line
}

// need starts a new page unless h points fit above the bottom margin.
func (l *layout) need(h float64) {
	if l.y-h < bottom {
		l.c.newPage()
		l.y = top
	}
}

func (l *layout) draw(d *dossier.Dossier, p procedure.Procedure, qr [][]bool, now time.Time) {
	c := l.c
	c.newPage()

	// Header: QR code top-left (Circular 01/2023), national motto top-right.
	const qrSize = 96.0
	c.qr(qr, left-6, top-qrSize+10, qrSize)
	cx := (left + qrSize + right) / 2
	c.centred(cx, top, 11, true, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
	motto := "Độc lập - Tự do - Hạnh phúc"
	c.centred(cx, top-15, 11, true, motto)
	mw := c.width(motto, 11, true)
	c.line(cx-mw/2, top-18, cx+mw/2, top-18, 0.6)
	c.centred(cx, top-40, body, false, clip(d.PostOffice))
	c.centred(cx, top-56, body, false, "Mã hồ sơ: "+clip(d.Code))

	l.y = top - qrSize - 20
	c.centred(pageW/2, l.y, 14, true, Title)
	l.y -= 16
	c.centred(pageW/2, l.y, 9.5, false, "(Tiếp nhận qua dịch vụ bưu chính công ích — Quyết định 45/2016/QĐ-TTg)")
	l.y -= 26

	agency := p.AgencyName
	if agency == "" {
		agency = p.Agency
	}
	l.field("Mã hồ sơ:", d.Code, true)
	l.field("Thủ tục hành chính:", p.Name, true)
	l.field("Mã thủ tục:", p.Code, false)
	l.field("Cơ quan giải quyết:", agency, false)
	l.field("Người nộp hồ sơ:", d.Citizen.Name, true)
	l.field("Số định danh cá nhân:", d.Citizen.ID, false)
	if d.Citizen.Phone != "" {
		l.field("Số điện thoại:", d.Citizen.Phone, false)
	}
	l.field("Bưu điện tiếp nhận:", d.PostOffice, false)
	if !d.ReceivedAt.IsZero() {
		l.field("Thời gian tiếp nhận:", l.when(d.ReceivedAt), false)
	}
	l.y -= 6
	l.components(d, p)
	l.y -= 8

	due := "chưa xác định"
	if !d.DueAt.IsZero() {
		due = l.when(d.DueAt)
	}
	l.field("Thời gian hẹn trả kết quả:", due, true)
	ret := "Không — nhận kết quả điện tử hoặc tại nơi tiếp nhận"
	if d.ReturnByPost {
		ret = "Có — kết quả được gửi qua dịch vụ bưu chính công ích"
	}
	l.field("Trả kết quả qua bưu chính:", ret, false)
	l.field("Hệ thống cấp:", IssuingSystem, false)
	l.y -= 4
	l.paragraph("Tra cứu tình trạng hồ sơ bằng mã hồ sơ hoặc bằng mã QR ở góc trên bên trái. " +
		"Khi nhận kết quả, xin mang theo giấy này và giấy tờ tùy thân.")

	// Signatures (Decision 45/2016: the applicant and the postal clerk both sign).
	l.need(110)
	l.y -= 22
	lx, rx := left+(right-left)/4, left+3*(right-left)/4
	c.centred(lx, l.y, body, true, "NGƯỜI NỘP HỒ SƠ")
	c.centred(rx, l.y, body, true, "NHÂN VIÊN BƯU ĐIỆN")
	l.y -= 13
	c.centred(lx, l.y, 9, false, "(Ký, ghi rõ họ tên)")
	c.centred(rx, l.y, 9, false, "(Ký, ghi rõ họ tên)")
	l.y -= 60
	c.centred(lx, l.y, body, false, clip(d.Citizen.Name))
	c.centred(rx, l.y, body, false, clip(d.ClerkName))

	// Footer on every page.
	printed := "In lúc " + l.when(now) + " (giờ Việt Nam, UTC+7) bởi hệ thống " + IssuingSystem
	for i := range c.pages {
		c.at = i
		c.line(left, 48, right, 48, 0.4)
		c.text(left, 36, 8, false, printed)
		pn := "Trang " + strconv.Itoa(i+1) + "/" + strconv.Itoa(len(c.pages))
		c.text(right-c.width(pn, 8, false), 36, 8, false, pn)
	}
}

// when formats t as Vietnamese forms do, in Vietnam's time: "16:00 ngày 25/11/2026".
func (l *layout) when(t time.Time) string {
	t = t.In(l.vn)
	return t.Format("15:04") + " ngày " + t.Format("02/01/2006")
}

// field prints "label value", the value wrapped beside the label.
func (l *layout) field(label, value string, bold bool) {
	const labelW = 165.0
	value = clip(value)
	if value == "" {
		value = "—"
	}
	f := l.c.regular.Font()
	if bold {
		f = l.c.bold.Font()
	}
	lines := f.Wrap(value, body, right-left-labelW)
	l.need(leading * float64(len(lines)))
	l.c.text(left, l.y, body, false, label)
	for _, s := range lines {
		l.c.text(left+labelW, l.y, body, bold, s)
		l.y -= leading
	}
}

// paragraph prints wrapped text across the page.
func (l *layout) paragraph(s string) {
	for _, line := range l.c.regular.Font().Wrap(s, 9.5, right-left) {
		l.need(leading)
		l.c.text(left, l.y, 9.5, false, line)
		l.y -= 13
	}
}

// column of the components table: left edge and width.
type column struct {
	x, w  float64
	title string
}

// components prints the table of components received (or, before the scan
// is ingested, the components the procedure asks for).
func (l *layout) components(d *dossier.Dossier, p procedure.Procedure) {
	type row struct{ code, name, pages, source string }
	var rows []row
	heading := "Thành phần hồ sơ đã tiếp nhận:"
	if len(d.Components) > 0 {
		for _, comp := range d.Components {
			name := comp.Name
			if pc, ok := p.Component(comp.Code); ok && name == "" {
				name = pc.Name
			}
			pages := "—"
			if comp.Pages > 0 {
				pages = strconv.Itoa(comp.Pages)
			}
			rows = append(rows, row{comp.Code, name, pages, sourceName(comp.Source)})
		}
	} else {
		heading = "Thành phần hồ sơ theo danh mục (chưa quét):"
		for _, pc := range p.Components {
			src := "Bản giấy"
			if !pc.Required {
				src = "Nếu có"
			}
			rows = append(rows, row{pc.Code, pc.Name, "—", src})
		}
	}
	extra := 0
	if len(rows) > MaxComponents {
		extra = len(rows) - MaxComponents
		rows = rows[:MaxComponents]
	}

	cols := []column{
		{left, 28, "STT"},
		{left + 28, 62, "Mã"},
		{left + 90, right - left - 90 - 56 - 90, "Tên thành phần hồ sơ"},
		{right - 146, 56, "Số trang"},
		{right - 90, 90, "Nguồn"},
	}
	const size, lead, pad = 9.5, 12.0, 4.0
	c := l.c
	header := func() {
		l.need(lead + 2*pad + 20)
		y0 := l.y + lead - 2
		for _, col := range cols {
			c.text(col.x+pad, l.y-pad+2, size, true, col.title)
		}
		l.y -= lead + pad
		l.grid(cols, y0, l.y+lead-2)
	}
	l.need(lead * 4)
	c.text(left, l.y, body, true, heading)
	l.y -= leading + 2
	header()
	for i, r := range rows {
		name := c.regular.Font().Wrap(clip(r.name), size, cols[2].w-2*pad)
		h := lead * float64(len(name))
		if l.y-h-pad < bottom {
			l.need(h + 1e6) // force a new page
			header()
		}
		y0 := l.y + lead - 2
		c.text(cols[0].x+pad, l.y-pad+2, size, false, strconv.Itoa(i+1))
		c.text(cols[1].x+pad, l.y-pad+2, size, false, clip(r.code))
		for j, s := range name {
			c.text(cols[2].x+pad, l.y-pad+2-float64(j)*lead, size, false, s)
		}
		c.text(cols[3].x+pad, l.y-pad+2, size, false, r.pages)
		c.text(cols[4].x+pad, l.y-pad+2, size, false, r.source)
		l.y -= h + pad
		l.grid(cols, y0, l.y+lead-2)
	}
	if len(rows) == 0 {
		l.need(lead)
		c.text(left+4, l.y, size, false, "(không có)")
		l.y -= lead
	}
	if extra > 0 {
		l.need(lead)
		c.text(left+4, l.y, size, false, fmt.Sprintf("… và %d thành phần khác", extra))
		l.y -= lead
	}
}

// grid draws the cell borders of one table row between y0 (top) and y1.
func (l *layout) grid(cols []column, y0, y1 float64) {
	last := cols[len(cols)-1]
	l.c.rect(cols[0].x, y1, last.x+last.w-cols[0].x, y0-y1, 0.5)
	for _, col := range cols[1:] {
		l.c.line(col.x, y0, col.x, y1, 0.5)
	}
}

// sourceName names where a component came from.
func sourceName(s string) string {
	switch s {
	case dossier.SourceScan:
		return "Bản quét"
	case dossier.SourceVault:
		return "Kho dữ liệu"
	default:
		return clip(s)
	}
}

// clip shortens s to MaxField characters and drops control characters.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > MaxField {
		s = string([]rune(s)[:MaxField]) + "…"
	}
	return strings.TrimSpace(s)
}

// pdf assembles the pages into one PDF.
func (l *layout) pdf() ([]byte, error) {
	pages := make([]string, len(l.c.pages))
	for i, content := range l.c.pages {
		pages[i] = content.String()
	}
	out, err := stamp.Document{Width: pageW, Height: pageH, Pages: pages, Title: Title, Producer: IssuingSystem,
		Fonts: map[string]*pdffont.Text{resRegular: l.c.regular, resBold: l.c.bold}}.PDF()
	if err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	return out, nil
}
