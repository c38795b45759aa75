package web

import (
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"time"

	"github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
)

func (h *Handler) landing(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("Bạn là ai?", "Who are you?")
	return h.render(w, r, p, "landing")
}

func (h *Handler) trackForm(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("Tra cứu hồ sơ", "Track a dossier")
	q := r.URL.Query()
	if code := dossierCode(q.Get("code")); code != "" {
		redirect(w, r, "/track/"+url.PathEscape(code), nil)
		return nil
	}
	if q.Has("code") { // sent empty
		p.Status = http.StatusBadRequest
		p.Errors = []fieldError{{Field: "code", Message: p.T("Nhập mã hồ sơ in trên giấy biên nhận, ví dụ 000.21.29.H29-261130-0001.",
			"Type the dossier code printed on your receipt, e.g. 000.21.29.H29-261130-0001.")}}
	}
	return h.render(w, r, p, "track")
}

type trackData struct {
	T             *dossier.Tracking
	ProcedureName string
	Steps         []trackStep
}

type trackStep struct {
	Status  dossier.Status
	Done    bool
	Current bool
}

// track is what the receipt's QR code opens: status and dates, no personal data.
func (h *Handler) track(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("Tra cứu hồ sơ", "Track a dossier")
	code := dossierCode(r.PathValue("code"))
	if code != r.PathValue("code") {
		redirect(w, r, "/track/"+url.PathEscape(code), nil)
		return nil
	}
	t, err := h.c.API.Dossiers.Track(r.Context(), code)
	if errs.Is(err, errs.NotFound) {
		p.Status = http.StatusNotFound
		p.Errors = []fieldError{{Field: "code", Message: p.T("Không tìm thấy hồ sơ có mã này. Hãy kiểm tra lại mã trên giấy biên nhận.",
			"Not found: no dossier has this code. Check the code on your receipt.")}}
		return h.render(w, r, p, "track")
	}
	if err != nil {
		return err
	}
	d := trackData{T: t}
	if pr, err := h.c.API.Catalog.Get(t.Procedure); err == nil {
		d.ProcedureName = pr.Name
	}
	order := []dossier.Status{dossier.Received, dossier.Scanned, dossier.Validated, dossier.Approved, dossier.ResultIssued}
	pos := map[dossier.Status]int{dossier.Received: 0, dossier.Scanned: 1, dossier.NeedsSupplement: 1, dossier.Validated: 2,
		dossier.Approved: 3, dossier.Rejected: 3, dossier.ResultIssued: 4, dossier.ReturnedByPost: 4}
	cur := pos[t.Status]
	for i, s := range order {
		if i == cur {
			s = t.Status
		}
		d.Steps = append(d.Steps, trackStep{Status: s, Done: i < cur, Current: i == cur})
	}
	p.Data = d
	return h.render(w, r, p, "track")
}

func (h *Handler) verifyForm(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("Kiểm tra chữ ký số", "Verify a signed PDF")
	return h.render(w, r, p, "verify")
}

type verifyData struct {
	File   string
	Report *api.VerifyReport
	Back   string // where "back" goes; "" for another file to verify
}

func (h *Handler) verify(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("Kiểm tra chữ ký số", "Verify a signed PDF")
	if h.c.API.Verifier == nil {
		return errs.E(errs.Unavailable, "Chưa cấu hình kiểm tra chữ ký / Verification is not configured")
	}
	limit := h.c.API.MaxVerifyBytes
	if limit == 0 {
		limit = 50 << 20
	}
	// The same admission as POST /v1/verify: the file is read whole (bounded
	// in size and time) under the pool of uploads, then verified only if a
	// verification slot is free.
	var name string
	b, err := h.c.API.Admission.ReadUpload(func() (b []byte, err error) {
		b, name, err = formFile(w, r, "pdf", limit)
		return b, err
	})
	if errs.Is(err, errs.TooMany) {
		return err
	}
	if err != nil {
		p.Errors = []fieldError{{Field: "pdf", Message: p.errText(errs.KindOf(err), errMessage(err))}}
		p.Status = http.StatusBadRequest
		return h.render(w, r, p, "verify")
	}
	rep, err := h.c.API.Admission.Verify(r.Context(), h.c.API.Verifier, b)
	if err != nil {
		if p.formError(err, map[string]string{"": "pdf"}) {
			return h.render(w, r, p, "verify")
		}
		return err
	}
	p.Data = verifyData{File: name, Report: rep}
	return h.render(w, r, p, "verify")
}

// formFile reads one uploaded file of a multipart form, up to limit bytes.
// Its errors are bilingual messages for the page.
func formFile(w http.ResponseWriter, r *http.Request, field string, limit int64) ([]byte, string, error) {
	f, fh, err := openFormFile(w, r, field, limit)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, "", errs.E(errs.Invalid, "Tải tệp lên bị gián đoạn / The upload was interrupted")
	}
	if int64(len(b)) > limit {
		return nil, "", errs.E(errs.TooLarge, "Tệp lớn hơn %d MB / The file is larger than %d MB", limit>>20, limit>>20)
	}
	if len(b) == 0 {
		return nil, "", errs.E(errs.Invalid, "Tệp đã chọn rỗng / The chosen file is empty")
	}
	return b, fh.Filename, nil
}

func openFormFile(w http.ResponseWriter, r *http.Request, field string, limit int64) (multipart.File, *multipart.FileHeader, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		return nil, nil, errs.E(errs.Invalid, "Hãy chọn một tệp để tải lên / Choose a file to upload")
	}
	f, fh, err := r.FormFile(field)
	if err != nil {
		return nil, nil, errs.E(errs.Invalid, "Hãy chọn một tệp để tải lên / Choose a file to upload")
	}
	return f, fh, nil
}

type shareData struct {
	Token     string
	Doc       *vault.Document
	Report    *api.VerifyReport
	Size      int
	ExpiresAt time.Time
	// VerifyBusy: every verification slot was taken; the page says to come back.
	VerifyBusy bool
	// Limited: the link was opened more often this hour than it may be.
	Limited bool
}

// sharePage is what the recipient of a share link sees: the document, who
// issued it, its verification and a download.
func (h *Handler) sharePage(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("Giấy tờ được chia sẻ", "A shared document")
	tok := r.PathValue("token")
	d, b, err := h.c.API.Vault.OpenShare(r.Context(), tok)
	if errs.Is(err, errs.TooMany) {
		p.Status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", "3600")
		p.Data = shareData{Limited: true}
		return h.render(w, r, p, "share")
	}
	if errs.Is(err, errs.Gone) || errs.Is(err, errs.NotFound) {
		p.Status = http.StatusGone
		if errs.Is(err, errs.NotFound) {
			p.Status = http.StatusNotFound
		}
		p.Data = shareData{}
		return h.render(w, r, p, "share")
	}
	if err != nil {
		return err
	}
	sd := shareData{Token: tok, Doc: d, Size: len(b)}
	if sh, err := h.c.API.Vault.ShareOf(r.Context(), tok); err == nil {
		sd.ExpiresAt = sh.ExpiresAt
	}
	if h.c.API.Verifier != nil {
		// The same admission as every other verification: a burst of views
		// shows the document without its check rather than a child each.
		rep, err := h.c.API.Admission.Verify(r.Context(), h.c.API.Verifier, b)
		switch {
		case err == nil:
			sd.Report = rep
		case errs.Is(err, errs.TooMany):
			sd.VerifyBusy = true
		}
	}
	p.Data = sd
	return h.render(w, r, p, "share")
}

func (h *Handler) shareFile(w http.ResponseWriter, r *http.Request, p *page) error {
	if h.c.API.Vault.HasLinks() {
		_, l, err := h.c.API.Vault.ShareLink(r.Context(), r.PathValue("token"), "attachment")
		if err != nil {
			return err
		}
		toFile(w, r, l)
		return nil
	}
	d, b, err := h.c.API.Vault.OpenShare(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	writePDF(w, d.Kind+".pdf", b, "attachment")
	return nil
}
