package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/humantext"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/domain/report"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
)

func (s *Server) procedures(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	writeJSON(w, http.StatusOK, map[string]any{"procedures": s.c.Catalog.All()})
	return nil
}

// dossierView is the JSON of a dossier (API.md "Dossier").
type dossierView struct {
	ID           string            `json:"id"`
	Code         string            `json:"code"`
	Procedure    string            `json:"procedure"`
	Agency       string            `json:"agency"`
	Status       dossier.Status    `json:"status"`
	ReceivedAt   time.Time         `json:"receivedAt"`
	DueAt        time.Time         `json:"dueAt"`
	Citizen      *citizenView      `json:"citizen,omitempty"`
	PostOffice   string            `json:"postOffice"`
	ReturnByPost bool              `json:"returnByPost"`
	Components   []componentView   `json:"components"`
	Findings     []dossier.Finding `json:"findings"`
	History      []dossier.Event   `json:"history"`
	Decision     *dossier.Decision `json:"decision,omitempty"`
	Result       *resultView       `json:"result,omitempty"`
	Waybill      string            `json:"waybill,omitempty"`
	Scans        int               `json:"scans"`
	// Reuse shows that the dossier waits for (or got) the citizen's consent to
	// reuse documents from their vault; never what the vault holds.
	Reuse *dossier.Reuse `json:"reuse,omitempty"`
}

// componentView is a component as API.md shows it: storage keys stay inside.
type componentView struct {
	Code       string `json:"code"`
	Name       string `json:"name,omitempty"`
	Pages      int    `json:"pages"`
	SHA256     string `json:"sha256"`
	Source     string `json:"source"`
	DocumentID string `json:"documentId,omitempty"`
	Certified  bool   `json:"certified"`
	ScanPages  []int  `json:"scanPages,omitempty"`
	// Extracted are the fields read from the component, with confidence.
	Extracted map[string]dossier.Field `json:"extracted,omitempty"`
	OCR       string                   `json:"ocr,omitempty"`
	// PageImages are the component's pages (1-based, in the component) that
	// have images: GET …/components/{code}/pages/{page}?size=small|large.
	PageImages []int `json:"pageImages,omitempty"`
}

type resultView struct {
	SHA256     string    `json:"sha256"`
	UploadedBy string    `json:"uploadedBy"`
	UploadedAt time.Time `json:"uploadedAt"`
	DocumentID string    `json:"documentId,omitempty"`
	SignedBy   string    `json:"signedBy,omitempty"`
	SignedAt   time.Time `json:"signedAt,omitzero"`
}

type citizenView struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// viewDossier is what a shows of d. Auditors get the dossier's metadata
// (codes, statuses, dates, component codes and pages) and never the citizen's
// name, ID, contacts, hashes or document IDs.
func viewDossier(a identity.Actor, d *dossier.Dossier) dossierView {
	meta := a.Role == identity.Auditor
	v := dossierView{ID: d.ID, Code: d.Code, Procedure: d.Procedure, Agency: d.Agency, Status: d.Status,
		ReceivedAt: d.ReceivedAt, DueAt: d.DueAt,
		PostOffice: d.PostOffice, ReturnByPost: d.ReturnByPost, Components: []componentView{}, Findings: d.Findings,
		History: d.History, Decision: d.Decision, Waybill: d.Waybill, Scans: len(d.Scans), Reuse: d.Reuse}
	if !meta {
		v.Citizen = &citizenView{ID: d.Citizen.ID, Name: d.Citizen.Name}
	}
	for _, c := range d.Components {
		cv := componentView{Code: c.Code, Name: c.Name, Pages: c.Pages, SHA256: c.SHA256,
			Source: c.Source, DocumentID: c.DocumentID, Certified: c.Certified, ScanPages: c.ScanPages,
			Extracted: c.Extracted, OCR: c.OCR}
		if !meta {
			cv.PageImages = dossier.ImagedPages(c)
		}
		if meta {
			cv.SHA256, cv.DocumentID, cv.Extracted = "", "", nil
		}
		v.Components = append(v.Components, cv)
	}
	if r := d.Result; r != nil {
		v.Result = &resultView{SHA256: r.SHA256, UploadedBy: r.UploadedBy, UploadedAt: r.UploadedAt,
			DocumentID: r.DocumentID, SignedBy: r.SignedBy, SignedAt: r.SignedAt}
		if meta {
			v.Result.SHA256, v.Result.DocumentID = "", ""
		}
	}
	if meta {
		v.Decision = nil
		if d.Decision != nil {
			v.Decision = &dossier.Decision{Approve: d.Decision.Approve, By: d.Decision.By, At: d.Decision.At}
		}
		v.Waybill = ""
	}
	if v.Findings == nil {
		v.Findings = []dossier.Finding{}
	}
	return v
}

func (s *Server) url(r *http.Request, path string) string {
	base := s.c.BaseURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return strings.TrimRight(base, "/") + path
}

func (s *Server) createDossier(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in dossier.CreateInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.c.Dossiers.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	upload := map[string]any{"method": "PUT", "url": s.url(r, "/v1/dossiers/"+d.ID+"/scan"),
		"expiresAt": time.Now().UTC().Add(24 * time.Hour).Truncate(time.Second),
		"headers":   map[string]string{"Authorization": "Bearer <your token>"}}
	if s.c.UploadURL != nil {
		u, exp, err := s.c.UploadURL(r.Context(), d)
		if err != nil {
			return errs.Wrap(errs.Unavailable, err, "the dossier %s was created, but no upload URL could be made; upload with PUT /v1/dossiers/%s/scan", d.Code, d.ID)
		}
		upload = map[string]any{"method": "PUT", "url": u, "expiresAt": exp.UTC()}
	}
	w.Header().Set("Location", "/v1/dossiers/"+d.ID)
	writeJSON(w, http.StatusCreated, map[string]any{
		"id": d.ID, "code": d.Code, "status": d.Status, "dueAt": d.DueAt, "upload": upload,
	})
	return nil
}

func (s *Server) uploadScan(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	d, err := s.c.Dossiers.UploadScan(r.Context(), a, r.PathValue("id"), r.Header.Get("Content-Type"), r.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"id": d.ID, "code": d.Code, "status": d.Status})
	return nil
}

func (s *Server) getScan(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	n := 0
	if v := r.URL.Query().Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			return errs.FieldError("n", "n is the scan's number, 1 for the first")
		}
	}
	sc, b, err := s.c.Dossiers.ScanContent(r.Context(), a, r.PathValue("id"), n)
	if err != nil {
		return err
	}
	_ = sc
	writeFile(w, fmt.Sprintf("scan-%d", n), b)
	return nil
}

func (s *Server) getDossier(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	d, err := s.c.Dossiers.Read(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewDossier(a, d))
	return nil
}

func (s *Server) confirmReuse(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.c.Dossiers.ConfirmReuse(r.Context(), a, r.PathValue("id"), in.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewDossier(a, d))
	return nil
}

func (s *Server) reuseRequests(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	rs, err := s.c.Vault.ReuseRequests(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": rs})
	return nil
}

func (s *Server) decideReuse(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in struct {
		Grant *bool `json:"grant"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Grant == nil {
		return errs.FieldError("grant", "grant (true or false) is required")
	}
	rq, err := s.c.Dossiers.DecideReuse(r.Context(), a, r.PathValue("dossier"), *in.Grant)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rq)
	return nil
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	c, err := s.c.Vault.MyContact(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) putContact(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in vault.Contact
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.c.Vault.SetContact(r.Context(), a, in); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

func (s *Server) listShares(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	sh, err := s.c.Vault.Shares(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"shares": sh})
	return nil
}

func (s *Server) componentContent(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	b, err := s.c.Dossiers.ComponentContent(r.Context(), a, r.PathValue("id"), r.PathValue("code"))
	if err != nil {
		return err
	}
	writePDF(w, r.PathValue("code")+".pdf", b)
	return nil
}

// componentPage serves one page of a scanned component as a JPEG: small
// (about 200 pixels wide) or, with size=large, about 1000.
func (s *Server) componentPage(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	n, err := strconv.Atoi(r.PathValue("page"))
	if err != nil || n < 1 {
		return errs.E(errs.NotFound, "pages are numbered from 1")
	}
	size := r.URL.Query().Get("size")
	if size == "" {
		size = dossier.ImageSmall
	}
	b, err := s.c.Dossiers.PageImage(r.Context(), a, r.PathValue("id"), r.PathValue("code"), n, size)
	if err != nil {
		return err
	}
	writeFile(w, fmt.Sprintf("%s-%d-%s.jpg", r.PathValue("code"), n, size), b)
	return nil
}

func (s *Server) separator(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if a.Role != identity.Clerk && a.Role != identity.Officer {
		return errs.E(errs.Forbidden, "separator sheets are printed by postal clerks")
	}
	file := r.PathValue("file")
	code, ok := strings.CutSuffix(file, ".pdf")
	if !ok {
		return errs.E(errs.NotFound, "separator sheets are PDFs: /v1/separators/{component}.pdf")
	}
	c, known := s.c.Catalog.Component(code)
	if !known {
		return errs.FieldError("component", "mã thành phần %q không có trong danh mục / unknown component code %q", code, code)
	}
	b, err := s.c.Documents.Separator(c.Code, c.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=86400")
	writePDF(w, "separator-"+c.Code+".pdf", b)
	return nil
}

func (s *Server) receipt(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	d, err := s.c.Dossiers.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	if a.Role != identity.Clerk && a.Role != identity.Citizen {
		return errs.E(errs.Forbidden, "the receipt is printed by the postal clerk")
	}
	p, err := s.c.Catalog.Get(d.Procedure)
	if err != nil {
		return err
	}
	b, err := s.c.Documents.Receipt(r.Context(), d, p)
	if err != nil {
		return err
	}
	writePDF(w, "receipt-"+d.Code+".pdf", b)
	return nil
}

func (s *Server) postalReturn(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in struct {
		Waybill string `json:"waybill"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.c.Dossiers.PostalReturn(r.Context(), a, r.PathValue("id"), in.Waybill)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewDossier(a, d))
	return nil
}

func (s *Server) agencyQueue(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	ds, err := s.c.Dossiers.AgencyQueue(r.Context(), a, dossier.Status(r.URL.Query().Get("status")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"dossiers": listed(a, ds)})
	return nil
}

// listed is dossiers as a list shows them: naming no citizen (opening a
// dossier shows who it is for, and that read is in the citizen's access
// log).
func listed(a identity.Actor, ds []*dossier.Dossier) []dossierView {
	out := make([]dossierView, 0, len(ds))
	for _, d := range ds {
		v := viewDossier(a, d)
		v.Citizen = nil
		out = append(out, v)
	}
	return out
}

// officeDay lists the dossiers the clerk's post office received on a day
// (?date=YYYY-MM-DD, Vietnam's day; default today), newest first, naming
// no citizen.
func (s *Server) officeDay(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var day time.Time // today
	if v := r.URL.Query().Get("date"); v != "" {
		t, err := time.ParseInLocation(time.DateOnly, v, calendar.Location())
		if err != nil {
			return errs.FieldError("date", "ngày theo dạng YYYY-MM-DD / the date as YYYY-MM-DD")
		}
		day = t
	}
	ds, err := s.c.Dossiers.OfficeDay(r.Context(), a, day)
	if err != nil {
		return err
	}
	answer := map[string]any{"postOffice": a.PostOffice, "dossiers": listed(a, ds)}
	if !day.IsZero() {
		answer["date"] = day.Format(time.DateOnly)
	}
	writeJSON(w, http.StatusOK, answer)
	return nil
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in struct {
		Approve *bool  `json:"approve"`
		Note    string `json:"note"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.Approve == nil {
		return errs.FieldError("approve", "approve (true or false) is required")
	}
	d, err := s.c.Dossiers.Decide(r.Context(), a, r.PathValue("id"), *in.Approve, in.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewDossier(a, d))
	return nil
}

// putResult stores an officer's result. With Results configured the upload
// is read first in the isolated child, which tries a signature on it: a
// result that could never be signed is a 422 naming why, now, rather than a
// failure at signing time; a damaged unsigned one may be stored repaired.
func (s *Server) putResult(w http.ResponseWriter, r *http.Request, a identity.Actor) (err error) {
	defer recoverPDF(&err)
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/pdf") {
		return errs.E(errs.Unsupported, "the result must be sent as application/pdf")
	}
	body := io.Reader(r.Body)
	check := false
	if s.c.Results != nil {
		if check, err = s.mayPutResult(r, a); err != nil {
			return err
		}
	}
	if check {
		b, err := io.ReadAll(io.LimitReader(r.Body, s.c.MaxResultBytes+1))
		if err != nil {
			return errs.Wrap(errs.Invalid, err, "the upload was interrupted")
		}
		if int64(len(b)) > s.c.MaxResultBytes {
			return errs.E(errs.TooLarge, "the result PDF is larger than %d MB", s.c.MaxResultBytes>>20)
		}
		if b, err = s.c.Results.CheckResult(r.Context(), b); err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	d, err := s.c.Dossiers.PutResult(r.Context(), a, r.PathValue("id"), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewDossier(a, d))
	return nil
}

// mayPutResult says whether the upload is one PutResult will take (an
// officer of the dossier's agency, the dossier APPROVED): only then is a
// child started to read it. Otherwise PutResult refuses it with the reason,
// before it stores anything.
func (s *Server) mayPutResult(r *http.Request, a identity.Actor) (bool, error) {
	if a.Role != identity.Officer {
		return false, nil
	}
	d, err := s.c.Dossiers.Get(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return false, err
	}
	return d.Agency == a.Agency && d.Status == dossier.Approved, nil
}

func (s *Server) credentials(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if s.c.Signing == nil {
		return errs.E(errs.Unavailable, "remote signing is not configured")
	}
	cs, err := s.c.Signing.Credentials(r.Context(), a)
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []Credential{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"credentials": cs})
	return nil
}

func (s *Server) sendOTP(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if s.c.Signing == nil {
		return errs.E(errs.Unavailable, "remote signing is not configured")
	}
	if err := s.c.Signing.SendOTP(r.Context(), a, r.PathValue("cred")); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "sent"})
	return nil
}

type signRequest struct {
	CredentialID string   `json:"credentialId"`
	OTP          string   `json:"otp"`
	DossierIDs   []string `json:"dossierIds,omitempty"`
}

func (s *Server) signResult(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in signRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	doc, err := s.c.Dossiers.SignResult(r.Context(), a, r.PathValue("id"), in.CredentialID, in.OTP)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"documentId": doc})
	return nil
}

func (s *Server) signBatch(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in signRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	j, err := s.c.Dossiers.StartSignBatch(r.Context(), a, in.DossierIDs, in.CredentialID, in.OTP)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/agency/sign-jobs/"+j.ID)
	writeJSON(w, http.StatusAccepted, signJobAnswer(j))
	return nil
}

// signJobAnswer is a sign job as the API shows it: "job" is its ID.
func signJobAnswer(j *dossier.SignJob) map[string]any {
	return map[string]any{"job": j.ID, "status": j.Status, "done": j.Done, "total": j.Total,
		"results": j.Results, "error": j.Error, "createdAt": j.CreatedAt, "updatedAt": j.UpdatedAt}
}

func (s *Server) getSignJob(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	j, err := s.c.Dossiers.GetSignJob(r.Context(), a, r.PathValue("job"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, signJobAnswer(j))
	return nil
}

func (s *Server) listDocuments(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	q := r.URL.Query()
	ds, err := s.c.Vault.List(r.Context(), a, vault.Filter{Kind: q.Get("kind"), ValidOnly: q.Get("valid") == "true"})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"documents": ds})
	return nil
}

func (s *Server) getDocument(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	d, err := s.c.Vault.Get(r.Context(), a, r.PathValue("doc"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) hideDocument(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if err := s.c.Vault.Hide(r.Context(), a, r.PathValue("doc")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) documentContent(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var (
		d   *vault.Document
		b   []byte
		err error
	)
	if v := r.URL.Query().Get("version"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 {
			return errs.FieldError("version", "version is a number from 1")
		}
		d, b, err = s.c.Vault.VersionContent(r.Context(), a, r.PathValue("doc"), n)
	} else {
		d, b, err = s.c.Vault.Content(r.Context(), a, r.PathValue("doc"))
	}
	if err != nil {
		return err
	}
	w.Header().Set("Digest", "sha-256="+d.SHA256)
	writePDF(w, d.Kind+"-"+d.ID+".pdf", b)
	return nil
}

func (s *Server) createShare(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	var in struct {
		TTLSeconds int64  `json:"ttlSeconds"`
		Recipient  string `json:"recipient"`
		Purpose    string `json:"purpose"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	// Bounds before arithmetic: a huge ttlSeconds must not wrap into a valid duration.
	if in.TTLSeconds < int64(vault.MinShareTTL/time.Second) || in.TTLSeconds > int64(vault.MaxShareTTL/time.Second) {
		return errs.FieldError("ttlSeconds", "ttlSeconds must be between %d and %d", int64(vault.MinShareTTL/time.Second), int64(vault.MaxShareTTL/time.Second))
	}
	token, sh, err := s.c.Vault.CreateShare(r.Context(), a, r.PathValue("doc"), vault.ShareRequest{
		TTL: time.Duration(in.TTLSeconds) * time.Second, Recipient: in.Recipient, Purpose: in.Purpose})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": token,
		"url": s.url(r, "/v1/shares/"+url.PathEscape(token)), "expiresAt": sh.ExpiresAt})
	return nil
}

func (s *Server) revokeShare(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if err := s.c.Vault.RevokeShare(r.Context(), a, r.PathValue("doc"), r.PathValue("token")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) openShare(w http.ResponseWriter, r *http.Request) error {
	d, b, err := s.c.Vault.OpenShare(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	writePDF(w, d.Kind+".pdf", b)
	return nil
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	es, v, err := s.c.Vault.Audit(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": es, "verified": v.Verified, "keyed": v.Keyed,
		"brokenAt": v.BrokenAt, "problem": v.Problem})
	return nil
}

func (s *Server) track(w http.ResponseWriter, r *http.Request) error {
	t, err := s.c.Dossiers.Track(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) (err error) {
	defer recoverPDF(&err)
	if s.c.Verifier == nil {
		return errs.E(errs.Unavailable, "verification is not configured")
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, s.c.MaxVerifyBytes+1))
	if err != nil {
		return errs.Wrap(errs.Invalid, err, "the upload was interrupted")
	}
	if int64(len(b)) > s.c.MaxVerifyBytes {
		return errs.E(errs.TooLarge, "the PDF is larger than %d MB", s.c.MaxVerifyBytes>>20)
	}
	rep, err := s.c.Verifier.Verify(r.Context(), b)
	if err != nil {
		return err
	}
	if rep.Signatures == nil {
		rep.Signatures = []SignatureReport{}
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) devToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Role       string `json:"role"`
		Subject    string `json:"subject"`
		Agency     string `json:"agency"`
		Name       string `json:"name"`
		PostOffice string `json:"postOffice"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	a := identity.Actor{Subject: in.Subject, Role: identity.Role(in.Role), Agency: in.Agency, Name: in.Name, PostOffice: in.PostOffice}
	if err := a.Check(); err != nil {
		return err
	}
	// The name is printed in sealed conversion marks and receipts.
	for f, v := range map[string]string{"subject": in.Subject, "agency": in.Agency, "name": in.Name, "postOffice": in.PostOffice} {
		if err := humantext.Check(f, v, false); err != nil {
			return err
		}
	}
	tok, err := s.c.Dev.IssueToken(a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"token": tok})
	return nil
}

func (s *Server) devOutbox(w http.ResponseWriter, r *http.Request, _ identity.Actor) error {
	if s.c.Dev.Outbox == nil {
		return errs.E(errs.Unavailable, "no outbox")
	}
	ms, err := s.c.Dev.Outbox(r.Context(), r.URL.Query().Get("to"))
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []OutboxMessage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": ms})
	return nil
}

func (s *Server) notifications(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if s.c.Inbox == nil {
		return errs.E(errs.Unavailable, "notifications are not configured")
	}
	ns, err := s.c.Inbox.List(r.Context(), a.Subject)
	if err != nil {
		return err
	}
	if ns == nil {
		ns = []notify.Notification{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": ns})
	return nil
}

func (s *Server) sla(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	if s.c.Reports == nil {
		return errs.E(errs.Unavailable, "reports are not configured")
	}
	q := r.URL.Query()
	stats, err := s.c.Reports.For(r.Context(), a, q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	if strings.Contains(r.Header.Get("Accept"), "text/csv") {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="sla.csv"`)
		return report.WriteCSV(w, stats)
	}
	w.Header().Set("Content-Type", "application/json")
	return report.WriteJSON(w, stats)
}

// recoverPDF turns a panic while handling an uploaded PDF into a 422 for
// that request: on Lambda a handler panic would end the container.
func recoverPDF(err *error) {
	if r := recover(); r != nil {
		*err = errs.Wrap(errs.Unprocessable, fmt.Errorf("panic: %v", r), "the PDF could not be read (damaged structure)")
	}
}
