package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"

	"github.com/sohoa/sohoa/pkg/domain/citizen"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/errs"
)

type counterData struct {
	Query      string
	Procedures []procedure.Procedure
	// Office is the clerk's post office; Today its dossiers received today.
	Office string
	Today  []todayRow
}

// todayRow is one of the day's dossiers of the post office.
type todayRow struct {
	D             *dossier.Dossier
	ProcedureName string
}

// counter: find a procedure by name or code, or open a dossier by its code.
func (h *Handler) counter(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("Quầy tiếp nhận", "Counter")
	if code := dossierCode(r.URL.Query().Get("code")); code != "" {
		d, err := h.c.API.Dossiers.GetByCode(r.Context(), *p.Actor, code)
		if err == nil {
			redirect(w, r, "/counter/d/"+url.PathEscape(d.ID), nil)
			return nil
		}
		if !errs.Is(err, errs.NotFound) {
			return err
		}
		p.Errors = []fieldError{{Field: "code", Message: p.T("Không có hồ sơ nào của bưu cục bạn mang mã này.", "No dossier of your post office has this code.")}}
		p.Status = http.StatusNotFound
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := counterData{Query: q}
	for _, pr := range h.c.API.Catalog.All() {
		if procedureMatches(pr, q) {
			d.Procedures = append(d.Procedures, pr)
		}
	}
	d.Office = p.Actor.PostOffice
	if d.Office != "" {
		ds, err := h.c.API.Dossiers.OfficeDay(r.Context(), *p.Actor, time.Time{})
		if err != nil {
			return err
		}
		for _, x := range ds {
			row := todayRow{D: x, ProcedureName: x.Procedure}
			if pr, err := h.c.API.Catalog.Get(x.Procedure); err == nil {
				row.ProcedureName = pr.Name
			}
			d.Today = append(d.Today, row)
		}
	}
	p.Data = d
	return h.render(w, r, p, "counter")
}

type newDossierData struct {
	Procedure procedure.Procedure
	Form      dossierForm
}

type dossierForm struct {
	ID, Name, Phone, Email, PostOffice string
	ReturnByPost                       bool
}

var createFields = map[string]string{
	"procedure": "procedure", citizen.Field: "cccd", "citizen.name": "name", "citizen.email": "email",
	"citizen.phone": "phone", "postOffice": "postoffice", "": "cccd",
}

func (h *Handler) counterNew(w http.ResponseWriter, r *http.Request, p *page) error {
	pr, err := h.c.API.Catalog.Get(r.URL.Query().Get("procedure"))
	if err != nil {
		return errs.E(errs.NotFound, "Không có thủ tục này trong danh mục / No such procedure in the catalog")
	}
	p.Title = p.T("Tiếp nhận hồ sơ mới", "New dossier")
	p.Data = newDossierData{Procedure: pr, Form: dossierForm{PostOffice: p.Actor.PostOffice}}
	return h.render(w, r, p, "counter-new")
}

func (h *Handler) counterCreate(w http.ResponseWriter, r *http.Request, p *page) error {
	if r.URL.Query().Get("check") == "id" {
		return h.checkID(w, r, p)
	}
	f := dossierForm{ID: withoutSpaces(r.PostFormValue("cccd")), Name: r.PostFormValue("name"),
		Phone: strings.TrimSpace(r.PostFormValue("phone")), Email: strings.TrimSpace(r.PostFormValue("email")),
		PostOffice: r.PostFormValue("postoffice"), ReturnByPost: r.PostFormValue("returnbypost") == "yes"}
	pr, err := h.c.API.Catalog.Get(r.PostFormValue("procedure"))
	if err != nil {
		return errs.E(errs.NotFound, "Không có thủ tục này trong danh mục / No such procedure in the catalog")
	}
	d, err := h.c.API.Dossiers.Create(r.Context(), *p.Actor, dossier.CreateInput{Procedure: pr.Code,
		Citizen:    dossier.Citizen{ID: f.ID, Name: f.Name, Phone: f.Phone, Email: f.Email},
		PostOffice: f.PostOffice, ReturnByPost: f.ReturnByPost})
	if err != nil {
		if !p.formError(err, createFields) {
			return err
		}
		p.Title = p.T("Lỗi: tiếp nhận hồ sơ mới", "Error: new dossier")
		p.Data = newDossierData{Procedure: pr, Form: f}
		return h.render(w, r, p, "counter-new")
	}
	redirect(w, r, "/counter/d/"+url.PathEscape(d.ID), url.Values{"created": {"1"}})
	return nil
}

// checkID checks a citizen ID as it is typed (the page's script posts it:
// the number never travels in a URL). It answers the reason when it is wrong.
func (h *Handler) checkID(w http.ResponseWriter, r *http.Request, p *page) error {
	msg := ""
	if _, err := citizen.ParseAt(withoutSpaces(r.PostFormValue("cccd")), h.c.Now()); err != nil {
		var e *errs.Error
		if errs.KindOf(err) == errs.Invalid && asErr(err, &e) {
			msg = p.errText(errs.Invalid, e.Message)
		} else {
			return err
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(map[string]any{"ok": msg == "", "message": msg})
}

// counterSheets prints every separator sheet of a procedure in one PDF.
func (h *Handler) counterSheets(w http.ResponseWriter, r *http.Request, p *page) error {
	code, _ := strings.CutSuffix(r.PathValue("procedure"), ".pdf")
	pr, err := h.c.API.Catalog.Get(code)
	if err != nil {
		return errs.E(errs.NotFound, "Không có thủ tục này trong danh mục / No such procedure in the catalog")
	}
	only := r.URL.Query().Get("component")
	var parts []io.ReadSeeker
	for _, c := range pr.Components {
		if only != "" && c.Code != only {
			continue
		}
		b, err := h.c.API.Documents.Separator(c.Code, c.Name)
		if err != nil {
			return fmt.Errorf("separator %s: %w", c.Code, err)
		}
		parts = append(parts, bytes.NewReader(b))
	}
	if len(parts) == 0 {
		return errs.E(errs.NotFound, "Thủ tục không có thành phần này / The procedure has no such component")
	}
	var out bytes.Buffer
	if len(parts) == 1 {
		b, _ := io.ReadAll(parts[0])
		out.Write(b)
	} else if err := api.MergeRaw(parts, &out, false, nil); err != nil {
		return fmt.Errorf("merge separator sheets: %w", err)
	}
	writePDF(w, "to-phan-cach-"+pr.Code+".pdf", out.Bytes(), "inline")
	return nil
}

type counterDossierData struct {
	D         *dossier.Dossier
	Procedure procedure.Procedure
	Findings  findingsView
	CanUpload bool
	Working   bool // ingestion in progress: the page watches the status
	UploadURL string
	Created   bool
	// NextUpload counts the dossier's uploads once the next is in: the
	// page watches until that many are recorded (?uploaded=N).
	NextUpload int
}

func (h *Handler) counterDossier(w http.ResponseWriter, r *http.Request, p *page) error {
	d, err := h.c.API.Dossiers.Read(r.Context(), *p.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	pr, err := h.c.API.Catalog.Get(d.Procedure)
	if err != nil {
		return err
	}
	p.Title = p.T("Hồ sơ ", "Dossier ") + d.Code
	cd := counterDossierData{D: d, Procedure: pr, Created: r.URL.Query().Get("created") == "1",
		CanUpload: d.Status == dossier.Received || d.Status == dossier.NeedsSupplement,
		Working:   d.Status == dossier.Scanned}
	// On AWS the page's script puts the scan straight into S3 and comes back
	// with ?uploaded=N: the dossier moves on once the bucket's event is
	// handled, so the page watches it instead of offering the upload again.
	// The number is the uploads there will be with this one: an upload that
	// could not be used leaves the dossier RECEIVED, with one more scan.
	cd.NextUpload = len(d.Scans) + 1
	if n, err := strconv.Atoi(r.URL.Query().Get("uploaded")); err == nil && len(d.Scans) < n && cd.CanUpload {
		cd.NextUpload = n
		cd.Working, cd.CanUpload = true, false
	}
	if cd.CanUpload && h.c.API.UploadURL != nil {
		if u, _, err := h.c.API.UploadURL(r.Context(), d); err == nil {
			cd.UploadURL = u
		}
	}
	cd.Findings = findings(p, pr, d)
	if cd.Created {
		p.Notice = p.T("Đã tạo hồ sơ "+d.Code+". In tờ phân cách, quét hồ sơ rồi tải bản quét lên.",
			"Dossier "+d.Code+" created. Print the separator sheets, scan the dossier, then upload the scan.")
	}
	p.Data = cd
	return h.render(w, r, p, "counter-dossier")
}

// counterStatus answers the dossier's status for the page's live view.
func (h *Handler) counterStatus(w http.ResponseWriter, r *http.Request, p *page) error {
	d, err := h.c.API.Dossiers.Read(r.Context(), *p.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(map[string]string{"status": string(d.Status), "label": statusName(p.Lang, d.Status)})
}

var scanTypes = map[string]string{".pdf": "application/pdf", ".tif": "image/tiff", ".tiff": "image/tiff",
	".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}

// counterScan takes the scan from the form and hands it to the same service
// call as PUT /v1/dossiers/{id}/scan.
func (h *Handler) counterScan(w http.ResponseWriter, r *http.Request, p *page) error {
	id := r.PathValue("id")
	f, fh, err := openFormFile(w, r, "scan", 300<<20)
	if err == nil {
		defer f.Close()
		ct := fh.Header.Get("Content-Type")
		if ext := strings.ToLower(fh.Filename[max(0, strings.LastIndex(fh.Filename, ".")):]); scanTypes[ext] != "" {
			ct = scanTypes[ext]
		}
		_, err = h.c.API.Dossiers.UploadScan(r.Context(), *p.Actor, id, ct, f)
	}
	if err != nil {
		d, gerr := h.c.API.Dossiers.Read(r.Context(), *p.Actor, id)
		if gerr != nil || !p.formError(err, map[string]string{"": "scan"}) {
			return err
		}
		pr, perr := h.c.API.Catalog.Get(d.Procedure)
		if perr != nil {
			return perr
		}
		p.Title = p.T("Lỗi: hồ sơ ", "Error: dossier ") + d.Code
		p.Data = counterDossierData{D: d, Procedure: pr, CanUpload: true, Findings: findings(p, pr, d)}
		return h.render(w, r, p, "counter-dossier")
	}
	redirect(w, r, "/counter/d/"+url.PathEscape(id), nil)
	return nil
}

func (h *Handler) counterReceipt(w http.ResponseWriter, r *http.Request, p *page) error {
	d, err := h.c.API.Dossiers.Read(r.Context(), *p.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	pr, err := h.c.API.Catalog.Get(d.Procedure)
	if err != nil {
		return err
	}
	b, err := h.c.API.Documents.Receipt(r.Context(), d, pr)
	if err != nil {
		return err
	}
	writePDF(w, "bien-nhan-"+d.Code+".pdf", b, "inline")
	return nil
}

func (h *Handler) counterReturned(w http.ResponseWriter, r *http.Request, p *page) error {
	id := r.PathValue("id")
	if _, err := h.c.API.Dossiers.PostalReturn(r.Context(), *p.Actor, id, strings.TrimSpace(r.PostFormValue("waybill"))); err != nil {
		return err
	}
	redirect(w, r, "/counter/d/"+url.PathEscape(id), nil)
	return nil
}
