package web

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

const (
	sessionCookie = "sohoa_session"
	langCookie    = "sohoa_lang"
)

// page is what every template gets: the language, who is signed in, the
// title, form errors and the page's own data.
type page struct {
	Lang  string // "vi" or "en"
	Actor *identity.Actor
	Title string
	// Path is the current path, for the language switch.
	Path string
	// Errors are the form's errors, summarised at the top and shown beside
	// their field.
	Errors []fieldError
	// Notice is a one-line confirmation shown at the top.
	Notice string
	Data   any
	// Status is the HTTP status of the page (default 200).
	Status int
	Dev    bool
	// Refresh, when not 0, reloads the page every Refresh seconds in a
	// browser without JavaScript (the live view does it otherwise).
	Refresh int
	// people and agencies name the staff for Who.
	people   People
	agencies map[string]string
}

// fieldError is one form error; Field is the input's id ("" for the form).
type fieldError struct {
	Field   string
	Message string
}

// ErrFor returns the message for a field, or "".
func (p *page) ErrFor(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// T picks the text of the page's language.
func (p *page) T(vi, en string) string {
	if p.Lang == "en" {
		return en
	}
	return vi
}

// SwitchURL is the current page in the other language.
func (p *page) SwitchURL() string {
	to := "en"
	if p.Lang == "en" {
		to = "vi"
	}
	return p.Path + "?lang=" + to
}

func (h *Handler) newPage(w http.ResponseWriter, r *http.Request) *page {
	p := &page{Lang: "vi", Path: r.URL.EscapedPath(), Dev: len(h.c.Roster) > 0, people: h.people, agencies: h.agencies}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "en" || c.Value == "vi") {
		p.Lang = c.Value
	}
	if l := r.URL.Query().Get("lang"); l == "en" || l == "vi" {
		p.Lang = l
		h.setCookie(w, r, langCookie, l, 365*24*time.Hour)
	}
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if a, err := h.c.Sessions.Check(r.Context(), c.Value); err == nil {
			p.Actor = &a
		}
	}
	if r.Method != http.MethodGet {
		// A form's answer: the language switch goes to the area's home.
		p.Path = "/"
		if p.Actor != nil {
			p.Path = home(p.Actor.Role)
		}
	}
	return p
}

// render writes a page with the named template.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, p *page, name string) error {
	var buf bytes.Buffer
	if err := h.tmpl.execute(&buf, name, p); err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	// Pages load only their own assets; the upload script may PUT to the
	// presigned S3 URL (https). PDFs are served without it, for the viewer.
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
		"connect-src 'self' https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Language", p.Lang)
	status := p.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

var kindStatus = map[errs.Kind]int{
	errs.Internal: 500, errs.Invalid: 400, errs.Unauthorized: 401, errs.Forbidden: 403, errs.NotFound: 404,
	errs.Conflict: 409, errs.Gone: 410, errs.TooLarge: 413, errs.Unsupported: 415, errs.Unavailable: 503,
	errs.Unprocessable: 422, errs.TooMany: 429,
}

// fail shows an error page: the one place where an error becomes a page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := h.newPage(w, r)
	k := errs.KindOf(err)
	p.Status = kindStatus[k]
	msg := p.T("Đã có lỗi ngoài dự kiến; lỗi đã được ghi lại. Hãy thử lại sau.", "An unexpected error occurred; it was logged. Try again later.")
	var e *errs.Error
	if errors.As(err, &e) && k != errs.Internal {
		msg = p.errText(k, e.Message)
		if k == errs.TooMany {
			w.Header().Set("Retry-After", api.RetryAfter(e.RetryAfter))
		}
	}
	if k == errs.Internal || k == errs.Unavailable {
		h.c.Log.ErrorContext(r.Context(), "page failed", "method", r.Method, "path", api.RedactPath(r.URL.Path), "err", err)
	}
	if k == errs.TooMany && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	p.Title = p.T("Không thực hiện được", "Something went wrong")
	if k == errs.NotFound {
		p.Title = p.T("Không tìm thấy", "Not found")
	}
	p.Data = struct {
		Message string
		Kind    string
	}{msg, k.String()}
	if rerr := h.render(w, r, p, "error"); rerr != nil {
		http.Error(w, msg, p.Status)
	}
}

// pick returns the part of a bilingual message "Vietnamese / English" in the
// page's language; a message without the separator is returned whole.
func (p *page) pick(msg string) string {
	vi, en, ok := strings.Cut(msg, " / ")
	if ok {
		msg = vi
		if p.Lang == "en" {
			msg = en
		}
	}
	return upperFirst(msg)
}

// formError turns a domain error into a form error when it names a field
// (errs.FieldError) or is an Invalid input; other errors stay errors.
func (p *page) formError(err error, fields map[string]string) bool {
	var e *errs.Error
	if !errors.As(err, &e) || (e.Kind != errs.Invalid && e.Kind != errs.Unsupported && e.Kind != errs.TooLarge && e.Kind != errs.Conflict && e.Kind != errs.Forbidden && e.Kind != errs.Unprocessable && e.Kind != errs.TooMany) {
		return false
	}
	id := fields[e.Field]
	p.Errors = append(p.Errors, fieldError{Field: id, Message: p.errText(e.Kind, e.Message)})
	p.Status = kindStatus[e.Kind]
	return true
}

func asErr(err error, e **errs.Error) bool { return errors.As(err, e) }

// upperFirst starts a message with a capital letter, as a sentence.
func upperFirst(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+utf8.RuneLen(r):]
	}
	return s
}
