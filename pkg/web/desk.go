package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/errs"
)

// dueSoon is how close to its due date a dossier is marked "due soon".
const dueSoon = 48 * time.Hour

type queueRow struct {
	D             *dossier.Dossier
	ProcedureName string
	Due           string // "overdue", "soon" or ""
	Signable      bool
	// PickID is the id of the row's checkbox; the first signable row's is
	// "batch-first", where the batch form's error links.
	PickID string
}

type deskData struct {
	Status      dossier.Status
	Tabs        []dossier.Status
	Rows        []queueRow
	Credentials []api.Credential
	Signable    int
}

var deskTabs = []dossier.Status{dossier.Validated, dossier.Approved, dossier.ResultIssued, dossier.NeedsSupplement, dossier.Rejected}

func (h *Handler) dueMark(d *dossier.Dossier) string {
	switch d.Status {
	case dossier.ResultIssued, dossier.ReturnedByPost, dossier.Rejected:
		return ""
	}
	now := h.c.Now()
	if now.After(d.DueAt) {
		return "overdue"
	}
	if d.DueAt.Sub(now) < dueSoon {
		return "soon"
	}
	return ""
}

// desk is the agency's queue, earliest due first.
func (h *Handler) desk(w http.ResponseWriter, r *http.Request, p *page) error {
	return h.deskQueue(w, r, p)
}

func (h *Handler) deskQueue(w http.ResponseWriter, r *http.Request, p *page) error {
	st := dossier.Status(r.URL.Query().Get("status"))
	if st == "" {
		st = dossier.Validated
	}
	ds, err := h.c.API.Dossiers.AgencyQueue(r.Context(), *p.Actor, st)
	if err != nil {
		return err
	}
	p.Title = p.T("Bàn làm việc: ", "Desk: ") + statusName(p.Lang, st)
	dd := deskData{Status: st, Tabs: deskTabs}
	for _, d := range ds {
		row := queueRow{D: d, Due: h.dueMark(d), Signable: d.Status == dossier.Approved && d.Result != nil && d.Result.DocumentID == ""}
		if pr, err := h.c.API.Catalog.Get(d.Procedure); err == nil {
			row.ProcedureName = pr.Name
		}
		if row.Signable {
			row.PickID = "pick-" + d.ID
			if dd.Signable == 0 {
				row.PickID = "batch-first"
			}
			dd.Signable++
		}
		dd.Rows = append(dd.Rows, row)
	}
	if dd.Signable > 0 && h.c.API.Signing != nil {
		if dd.Credentials, err = h.c.API.Signing.Credentials(r.Context(), *p.Actor); err != nil {
			return err
		}
	}
	if r.URL.Query().Get("otp") == "sent" {
		p.Notice = p.T("Đã gửi mã xác thực (OTP) đến điện thoại của bạn.", "A one-time code was sent to your phone.")
	}
	p.Data = dd
	return h.render(w, r, p, "desk")
}

type deskDossierData struct {
	D           *dossier.Dossier
	Procedure   procedure.Procedure
	Pages       []componentPages
	Findings    findingsView
	Due         string
	Credentials []api.Credential
	CanDecide   bool
	CanUpload   bool
	CanSign     bool
}

func (h *Handler) deskDossierPage(w http.ResponseWriter, r *http.Request, p *page, d *dossier.Dossier) error {
	pr, err := h.c.API.Catalog.Get(d.Procedure)
	if err != nil {
		return err
	}
	p.Title = p.T("Hồ sơ ", "Dossier ") + d.Code
	dd := deskDossierData{D: d, Procedure: pr, Findings: findings(p, pr, d), Due: h.dueMark(d),
		CanDecide: d.Status == dossier.Validated, CanUpload: d.Status == dossier.Approved,
		CanSign: d.Status == dossier.Approved && d.Result != nil}
	for _, c := range d.Components {
		if n := dossier.ImagedPages(c); len(n) > 0 {
			name := c.Name
			if name == "" {
				name = c.Code
			}
			dd.Pages = append(dd.Pages, componentPages{Code: c.Code, Name: name, Total: c.Pages, Pages: n})
		}
	}
	if dd.CanSign && h.c.API.Signing != nil {
		if dd.Credentials, err = h.c.API.Signing.Credentials(r.Context(), *p.Actor); err != nil {
			return err
		}
	}
	switch r.URL.Query().Get("done") {
	case "otp":
		p.Notice = p.T("Đã gửi mã xác thực (OTP) đến điện thoại của bạn.", "A one-time code was sent to your phone.")
	case "decision":
		p.Notice = p.T("Đã ghi quyết định.", "The decision was recorded.")
	case "result":
		p.Notice = p.T("Đã tải lên kết quả. Hãy ký số kết quả.", "The result was uploaded. Now sign it.")
	case "signed":
		p.Notice = p.T("Đã ký số kết quả; chữ ký đã được kiểm tra và kết quả đã vào kho giấy tờ của công dân.",
			"The result is signed; the signature was verified and the result is in the citizen's vault.")
	}
	p.Data = dd
	return h.render(w, r, p, "desk-dossier")
}

func (h *Handler) deskDossier(w http.ResponseWriter, r *http.Request, p *page) error {
	d, err := h.c.API.Dossiers.Read(r.Context(), *p.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.deskDossierPage(w, r, p, d)
}

// deskFormError shows the dossier page again with a form error, or returns err.
func (h *Handler) deskFormError(w http.ResponseWriter, r *http.Request, p *page, err error, field string) error {
	d, gerr := h.c.API.Dossiers.Read(r.Context(), *p.Actor, r.PathValue("id"))
	if gerr != nil || !p.formError(err, map[string]string{"": field, "otp": field, "note": field, "approve": field}) {
		return err
	}
	return h.deskDossierPage(w, r, p, d)
}

func (h *Handler) deskComponent(w http.ResponseWriter, r *http.Request, p *page) error {
	code, _ := strings.CutSuffix(r.PathValue("code"), ".pdf")
	if h.c.API.Dossiers.HasLinks() {
		l, err := h.c.API.Dossiers.ComponentLink(r.Context(), *p.Actor, r.PathValue("id"), code, "inline")
		if err != nil {
			return err
		}
		toFile(w, r, l)
		return nil
	}
	b, err := h.c.API.Dossiers.ComponentContent(r.Context(), *p.Actor, r.PathValue("id"), code)
	if err != nil {
		return err
	}
	writePDF(w, code+".pdf", b, "inline")
	return nil
}

// componentPages are the pages of one component that have images.
type componentPages struct {
	Code, Name string
	Total      int   // pages in the component
	Pages      []int // 1-based, in the component
}

// deskPageImage serves one page of a component as a JPEG: small for the
// dossier page, large (?size=large) when the officer opens it.
func (h *Handler) deskPageImage(w http.ResponseWriter, r *http.Request, p *page) error {
	n, err := strconv.Atoi(r.PathValue("page"))
	if err != nil || n < 1 {
		return errs.E(errs.NotFound, "Không có trang này / No such page")
	}
	size := dossier.ImageSmall
	if r.URL.Query().Get("size") == dossier.ImageLarge {
		size = dossier.ImageLarge
	}
	b, err := h.c.API.Dossiers.PageImage(r.Context(), *p.Actor, r.PathValue("id"), r.PathValue("code"), n, size)
	if err != nil {
		return err
	}
	serveFile(w, "image/jpeg", "inline", fmt.Sprintf("%s-%d.jpg", r.PathValue("code"), n), b)
	return nil
}

func (h *Handler) deskDecide(w http.ResponseWriter, r *http.Request, p *page) error {
	id := r.PathValue("id")
	var approve bool
	switch r.PostFormValue("decision") {
	case "approve":
		approve = true
	case "reject":
	default:
		return h.deskFormError(w, r, p, errs.FieldError("approve", "Hãy chọn duyệt hoặc từ chối / Choose approve or reject"), "decision-approve")
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if !approve && note == "" {
		return h.deskFormError(w, r, p, errs.FieldError("note", "Khi từ chối, hãy ghi lý do cho công dân / When rejecting, write the reason for the citizen"), "note")
	}
	if _, err := h.c.API.Dossiers.Decide(r.Context(), *p.Actor, id, approve, note); err != nil {
		return h.deskFormError(w, r, p, err, "decision-approve")
	}
	redirect(w, r, "/desk/d/"+url.PathEscape(id), url.Values{"done": {"decision"}})
	return nil
}

func (h *Handler) deskResult(w http.ResponseWriter, r *http.Request, p *page) error {
	id := r.PathValue("id")
	f, _, err := openFormFile(w, r, "result", 50<<20)
	if err == nil {
		defer f.Close()
		// The same door as PUT /v1/dossiers/{id}/result: the isolated PDF
		// check before anything is stored.
		_, err = h.c.API.PutResult(r.Context(), *p.Actor, id, f)
	}
	if err != nil {
		return h.deskFormError(w, r, p, err, "result")
	}
	redirect(w, r, "/desk/d/"+url.PathEscape(id), url.Values{"done": {"result"}})
	return nil
}

// deskOTP sends a one-time code for a credential, then goes back.
func (h *Handler) deskOTP(w http.ResponseWriter, r *http.Request, p *page) error {
	if h.c.API.Signing == nil {
		return errs.E(errs.Unavailable, "chưa cấu hình ký số từ xa / remote signing is not configured")
	}
	if err := h.c.API.Signing.SendOTP(r.Context(), *p.Actor, r.PostFormValue("credential")); err != nil {
		return err
	}
	back := localTarget(r.PostFormValue("back"))
	if !strings.HasPrefix(back, "/desk") {
		back = "/desk"
	}
	q := url.Values{"otp": {"sent"}}
	if strings.HasPrefix(back, "/desk/d/") {
		q = url.Values{"done": {"otp"}}
	} else {
		q.Set("status", string(dossier.Approved))
	}
	redirect(w, r, back, q)
	return nil
}

func (h *Handler) deskSign(w http.ResponseWriter, r *http.Request, p *page) error {
	id := r.PathValue("id")
	otp := strings.TrimSpace(r.PostFormValue("otp"))
	if otp == "" {
		return h.deskFormError(w, r, p, errs.FieldError("otp", "Hãy nhập mã xác thực (OTP) vừa nhận / Enter the one-time code you received"), "otp")
	}
	if _, err := h.c.API.Dossiers.SignResult(r.Context(), *p.Actor, id, r.PostFormValue("credential"), otp); err != nil {
		if errs.Is(err, errs.Forbidden) {
			err = errs.FieldError("otp", "Mã xác thực sai hoặc đã dùng; hãy gửi mã mới / The code is wrong or was used; send a new one")
		}
		return h.deskFormError(w, r, p, err, "otp")
	}
	redirect(w, r, "/desk/d/"+url.PathEscape(id), url.Values{"done": {"signed"}})
	return nil
}

// deskSignBatch signs the chosen dossiers' results with one code.
func (h *Handler) deskSignBatch(w http.ResponseWriter, r *http.Request, p *page) error {
	if err := r.ParseForm(); err != nil {
		return errs.E(errs.Invalid, "biểu mẫu không đọc được / the form could not be read")
	}
	ids := r.PostForm["dossier"]
	otp := strings.TrimSpace(r.PostFormValue("otp"))
	fail := func(field, vi, en string) error {
		p.Errors = append(p.Errors, fieldError{Field: field, Message: p.T(vi, en)})
		if p.Status == 0 {
			p.Status = http.StatusBadRequest
		}
		r.URL.RawQuery = "status=" + string(dossier.Approved)
		return h.deskQueue(w, r, p)
	}
	if len(ids) == 0 {
		return fail("batch-first", "Hãy chọn ít nhất một hồ sơ để ký.", "Choose at least one dossier to sign.")
	}
	if otp == "" {
		return fail("batch-otp", "Hãy nhập mã xác thực (OTP) vừa nhận.", "Enter the one-time code you received.")
	}
	j, err := h.c.API.Dossiers.StartSignBatch(r.Context(), *p.Actor, ids, r.PostFormValue("credential"), otp)
	if errs.Is(err, errs.Forbidden) {
		return fail("batch-otp", "Mã xác thực sai hoặc đã dùng; hãy gửi mã mới.", "The code is wrong or was used; send a new one.")
	}
	var e *errs.Error
	if errs.Is(err, errs.TooMany) && asErr(err, &e) {
		// The credential is locked or too many codes were asked for: the
		// message says until when and what to do.
		vi, en, _ := strings.Cut(e.Message, " / ")
		w.Header().Set("Retry-After", api.RetryAfter(e.RetryAfter))
		p.Status = http.StatusTooManyRequests
		return fail("batch-otp", vi, en)
	}
	if err != nil {
		return err
	}
	redirect(w, r, "/desk/jobs/"+url.PathEscape(j.ID), nil)
	return nil
}

type jobData struct {
	J        *dossier.SignJob
	Running  bool
	Live     string // "status/done", what the live view compares
	Failed   string // why the whole job failed, in the page's language
	Signed   int
	Outcomes []jobOutcome
}

type jobOutcome struct {
	ID, Code, DocumentID, Error string
	Done                        bool
}

// deskJob shows a batch sign job: its progress and each dossier's outcome.
// Without JavaScript the page reloads itself while the job runs; with it,
// the live view polls deskJobStatus and reloads when something changed.
func (h *Handler) deskJob(w http.ResponseWriter, r *http.Request, p *page) error {
	j, err := h.c.API.Dossiers.GetSignJob(r.Context(), *p.Actor, r.PathValue("job"))
	if err != nil {
		return err
	}
	jd := jobData{J: j, Running: j.Status != dossier.JobDone && j.Status != dossier.JobFailed, Live: jobLive(j)}
	if j.Status == dossier.JobFailed {
		jd.Failed = p.T("Lô ký không thực hiện được; không hồ sơ nào bị thay đổi bởi lỗi này. Hãy gửi mã mới và ký lại.",
			"The batch could not be signed; this failure changed no dossier. Send a new code and sign again.")
		if j.Error != "" {
			jd.Failed += " (" + p.errText(errs.Invalid, j.Error) + ")"
		}
	}
	results := map[string]dossier.BatchOutcome{}
	for _, o := range j.Results {
		results[o.DossierID] = o
	}
	for _, id := range j.DossierIDs {
		o, done := results[id]
		row := jobOutcome{ID: id, Code: id, Done: done, DocumentID: o.DocumentID, Error: p.errText(errs.Invalid, o.Error)}
		if o.Error == "" {
			row.Error = ""
		}
		if d, err := h.c.API.Dossiers.Get(r.Context(), *p.Actor, id); err == nil {
			row.Code = d.Code
		}
		if done && o.Error == "" {
			jd.Signed++
		}
		jd.Outcomes = append(jd.Outcomes, row)
	}
	p.Title = p.T("Ký theo lô", "Batch signing")
	if jd.Running {
		p.Refresh = 3
	}
	p.Data = jd
	return h.render(w, r, p, "desk-job")
}

// jobLive is what changes as a sign job runs: its state and results done.
func jobLive(j *dossier.SignJob) string { return j.Status + "/" + strconv.Itoa(j.Done) }

// deskJobStatus answers a sign job's progress for the page's live view.
func (h *Handler) deskJobStatus(w http.ResponseWriter, r *http.Request, p *page) error {
	j, err := h.c.API.Dossiers.GetSignJob(r.Context(), *p.Actor, r.PathValue("job"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(map[string]any{"status": jobLive(j), "done": j.Done, "total": j.Total})
}

// deskVerification verifies the signed result of a dossier of the officer's
// agency, as it is stored in the citizen's vault (the read is in the
// citizen's access log, with the dossier as its purpose).
func (h *Handler) deskVerification(w http.ResponseWriter, r *http.Request, p *page) error {
	d, err := h.c.API.Dossiers.Read(r.Context(), *p.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	if d.Result == nil || d.Result.DocumentID == "" {
		return errs.E(errs.NotFound, "Hồ sơ chưa có kết quả đã ký / The dossier has no signed result yet")
	}
	if h.c.API.Verifier == nil {
		return errs.E(errs.Unavailable, "Chưa cấu hình kiểm tra chữ ký / Verification is not configured")
	}
	doc, b, err := h.c.API.Vault.ReadForDossier(r.Context(), *p.Actor, d.Citizen.ID, d.Result.DocumentID, d.Code)
	if err != nil {
		return err
	}
	rep, err := h.c.API.Admission.Verify(r.Context(), h.c.API.Verifier, b)
	if err != nil {
		return err
	}
	p.Title = p.T("Kiểm tra chữ ký: hồ sơ ", "Signature check: dossier ") + d.Code
	p.Data = verifyData{File: doc.Title + " — " + d.Code, Report: rep, Back: "/desk/d/" + d.ID}
	return h.render(w, r, p, "verify")
}
