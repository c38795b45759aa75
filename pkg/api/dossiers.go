package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

func (s *Server) procedures(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	writeJSON(w, http.StatusOK, map[string]any{"procedures": s.c.Catalog.All()})
	return nil
}

// dossierView is the JSON of a dossier (openapi.json "Dossier").
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
	ResultUpload *resultUploadView `json:"resultUpload,omitempty"`
	Waybill      string            `json:"waybill,omitempty"`
	Scans        int               `json:"scans"`
	// Attempts are the counter's uploads that could not be used, with why;
	// they changed nothing else.
	Attempts []attemptView `json:"attempts"`
	// Reuse shows that the dossier waits for (or got) the citizen's consent to
	// reuse documents from their vault; never what the vault holds.
	Reuse *dossier.Reuse `json:"reuse,omitempty"`
}

// componentView is a component as the API shows it: storage keys stay inside.
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

type attemptView struct {
	At       time.Time         `json:"at"`
	Findings []dossier.Finding `json:"findings"`
}

type resultView struct {
	SHA256     string    `json:"sha256"`
	UploadedBy string    `json:"uploadedBy"`
	UploadedAt time.Time `json:"uploadedAt"`
	DocumentID string    `json:"documentId,omitempty"`
	SignedBy   string    `json:"signedBy,omitempty"`
	SignedAt   time.Time `json:"signedAt,omitzero"`
}

// resultUploadView is a result being uploaded by link: "awaited" until it
// lands and is taken (then it is the dossier's result and this is gone), or
// "refused" with the reason.
type resultUploadView struct {
	Status      string    `json:"status"`
	By          string    `json:"by"`
	RequestedAt time.Time `json:"requestedAt"`
	Reason      string    `json:"reason,omitempty"`
	RefusedAt   time.Time `json:"refusedAt,omitzero"`
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
	if u := d.ResultUpload; u != nil && !meta {
		v.ResultUpload = &resultUploadView{Status: "awaited", By: u.By, RequestedAt: u.RequestedAt}
		if u.Refused != "" {
			v.ResultUpload.Status, v.ResultUpload.Reason, v.ResultUpload.RefusedAt = "refused", u.Refused, u.RefusedAt
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
	v.Attempts = []attemptView{}
	for _, at := range d.Attempts {
		v.Attempts = append(v.Attempts, attemptView{At: at.At, Findings: at.Findings})
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

func (s *Server) getDossier(w http.ResponseWriter, r *http.Request, a identity.Actor) error {
	d, err := s.c.Dossiers.Read(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewDossier(a, d))
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
