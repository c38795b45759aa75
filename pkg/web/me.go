package web

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
)

type kindGroup struct {
	Kind, Name string
	Docs       []*vault.Document
}

type meData struct {
	Dossiers      []myDossier
	Groups        []kindGroup
	Shares        []liveShare
	Notifications []notify.Notification
	Now           time.Time
}

func (h *Handler) kindName(kind string) string {
	if c, ok := h.c.API.Catalog.Component(kind); ok {
		return c.Name
	}
	for _, p := range h.c.API.Catalog.All() {
		if p.Result.Kind == kind && p.Result.Name != "" {
			return p.Result.Name
		}
	}
	return kind
}

// me is the citizen's vault: documents by kind, and notifications.
func (h *Handler) me(w http.ResponseWriter, r *http.Request, p *page) error {
	docs, err := h.c.API.Vault.List(r.Context(), *p.Actor, vault.Filter{})
	if err != nil {
		return err
	}
	p.Title = p.T("Kho giấy tờ của tôi", "My vault")
	md := meData{Now: h.c.Now()}
	idx := map[string]int{}
	for _, d := range docs {
		i, ok := idx[d.Kind]
		if !ok {
			i = len(md.Groups)
			idx[d.Kind] = i
			md.Groups = append(md.Groups, kindGroup{Kind: d.Kind, Name: h.kindName(d.Kind)})
		}
		md.Groups[i].Docs = append(md.Groups[i].Docs, d)
	}
	// Results the citizen was issued first, then certified copies, by name.
	sort.SliceStable(md.Groups, func(i, j int) bool {
		si, sj := md.Groups[i].Docs[0].Signed, md.Groups[j].Docs[0].Signed
		if si != sj {
			return si
		}
		return md.Groups[i].Name < md.Groups[j].Name
	})
	titles := map[string]string{}
	for _, d := range docs {
		titles[d.ID] = d.Title
	}
	shs, err := h.c.API.Vault.Shares(r.Context(), *p.Actor)
	if err != nil {
		return err
	}
	for _, sh := range shs {
		md.Shares = append(md.Shares, liveShare{Doc: sh.Document, DocTitle: titles[sh.Document], Hash: sh.ID,
			Recipient: sh.Recipient, ExpiresAt: sh.ExpiresAt})
	}
	if h.c.API.Inbox != nil {
		if md.Notifications, err = h.c.API.Inbox.List(r.Context(), p.Actor.Subject); err != nil {
			return err
		}
	}
	// The citizen's dossiers are those they were notified of; each is read
	// through the dossier service, which lets a citizen see only their own.
	seen := map[string]bool{}
	for _, n := range md.Notifications {
		if n.Dossier == "" || seen[n.Dossier] || len(md.Dossiers) == maxMyDossiers {
			continue
		}
		seen[n.Dossier] = true
		d, err := h.c.API.Dossiers.Read(r.Context(), *p.Actor, n.Dossier)
		if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Forbidden) {
			continue
		}
		if err != nil {
			return err
		}
		my := myDossier{D: d}
		if pr, err := h.c.API.Catalog.Get(d.Procedure); err == nil {
			my.ProcedureName = pr.Name
		}
		md.Dossiers = append(md.Dossiers, my)
	}
	switch r.URL.Query().Get("done") {
	case "hidden":
		p.Notice = p.T("Đã ẩn giấy tờ khỏi kho.", "The document is hidden from your vault.")
	case "revoked":
		p.Notice = p.T("Đã thu hồi liên kết chia sẻ: liên kết không còn mở được.", "The share link is revoked: it no longer opens.")
	}
	p.Data = md
	return h.render(w, r, p, "me")
}

// myDossier is one of the citizen's dossiers as the vault page lists it.
type myDossier struct {
	D             *dossier.Dossier
	ProcedureName string
}

// maxMyDossiers bounds the dossiers the vault page lists.
const maxMyDossiers = 20

// liveShare is a live share link as the vault page lists it.
type liveShare struct {
	Doc, DocTitle, Hash, Recipient string
	ExpiresAt                      time.Time
}

type meDocData struct {
	Doc      *vault.Document
	KindName string
	Valid    bool
	TTLs     []ttlChoice
	Share    *sharedLink
}

type ttlChoice struct {
	Seconds int64
	Label   string
}

type sharedLink struct {
	Token, URL string
	QR         string // SVG
	ExpiresAt  time.Time
	Revoked    bool
}

func (h *Handler) ttls(p *page) []ttlChoice {
	return []ttlChoice{{3600, p.T("1 giờ", "1 hour")}, {86400, p.T("1 ngày", "1 day")},
		{7 * 86400, p.T("7 ngày", "7 days")}, {30 * 86400, p.T("30 ngày", "30 days")}}
}

func (h *Handler) meDocPage(w http.ResponseWriter, r *http.Request, p *page, sl *sharedLink) error {
	d, err := h.c.API.Vault.Get(r.Context(), *p.Actor, r.PathValue("doc"))
	if err != nil {
		return err
	}
	p.Title = p.T("Giấy tờ: ", "Document: ") + h.kindName(d.Kind)
	p.Data = meDocData{Doc: d, KindName: h.kindName(d.Kind), Valid: d.ValidAt(h.c.Now()), TTLs: h.ttls(p), Share: sl}
	return h.render(w, r, p, "me-doc")
}

func (h *Handler) meDocument(w http.ResponseWriter, r *http.Request, p *page) error {
	return h.meDocPage(w, r, p, nil)
}

func (h *Handler) meDownload(w http.ResponseWriter, r *http.Request, p *page) error {
	n := 0
	if v := r.URL.Query().Get("version"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			return errs.E(errs.NotFound, "Không có phiên bản này / No such version")
		}
	}
	if h.c.API.Vault.HasLinks() {
		_, l, err := h.c.API.Vault.ContentLink(r.Context(), *p.Actor, r.PathValue("doc"), n, "attachment")
		if err != nil {
			return err
		}
		toFile(w, r, l)
		return nil
	}
	d, b, err := h.c.API.Vault.VersionContent(r.Context(), *p.Actor, r.PathValue("doc"), n)
	if err != nil {
		return err
	}
	writePDF(w, d.Kind+"-"+d.ID+".pdf", b, "attachment")
	return nil
}

func (h *Handler) baseURL(r *http.Request) string {
	if b := h.c.API.BaseURL; b != "" {
		return strings.TrimRight(b, "/")
	}
	scheme := "https"
	if loopback(r) && r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host
}

func (h *Handler) meShare(w http.ResponseWriter, r *http.Request, p *page) error {
	ttl, _ := strconv.ParseInt(r.PostFormValue("ttl"), 10, 64)
	tok, sh, err := h.c.API.Vault.CreateShare(r.Context(), *p.Actor, r.PathValue("doc"), vault.ShareRequest{
		TTL: time.Duration(ttl) * time.Second, Recipient: strings.TrimSpace(r.PostFormValue("recipient")),
		Purpose: strings.TrimSpace(r.PostFormValue("purpose"))})
	if err != nil {
		if !p.formError(err, map[string]string{"ttlSeconds": "ttl-3600", "recipient": "recipient", "": "ttl-3600"}) {
			return err
		}
		return h.meDocPage(w, r, p, nil)
	}
	link := h.baseURL(r) + "/s/" + url.PathEscape(tok)
	qr, err := qrSVG(link)
	if err != nil {
		return err
	}
	p.Notice = p.T("Đã tạo liên kết chia sẻ. Liên kết chỉ hiện một lần: hãy sao chép hoặc cho quét mã QR ngay.",
		"The share link was created. It is shown only once: copy it or let the recipient scan the QR code now.")
	return h.meDocPage(w, r, p, &sharedLink{Token: tok, URL: link, QR: qr, ExpiresAt: sh.ExpiresAt})
}

func (h *Handler) meRevoke(w http.ResponseWriter, r *http.Request, p *page) error {
	if id := r.PostFormValue("hash"); id != "" { // from the list of live links: the link's ID
		if err := h.c.API.Vault.RevokeShare(r.Context(), *p.Actor, r.PathValue("doc"), id); err != nil {
			return err
		}
		redirect(w, r, "/me", url.Values{"done": {"revoked"}})
		return nil
	}
	if err := h.c.API.Vault.RevokeShare(r.Context(), *p.Actor, r.PathValue("doc"), r.PostFormValue("token")); err != nil {
		return err
	}
	p.Notice = p.T("Đã thu hồi liên kết chia sẻ: liên kết không còn mở được.", "The share link is revoked: it no longer opens.")
	return h.meDocPage(w, r, p, &sharedLink{Revoked: true})
}

func (h *Handler) meHide(w http.ResponseWriter, r *http.Request, p *page) error {
	if err := h.c.API.Vault.Hide(r.Context(), *p.Actor, r.PathValue("doc")); err != nil {
		return err
	}
	redirect(w, r, "/me", url.Values{"done": {"hidden"}})
	return nil
}

type logLine struct {
	At       time.Time
	Sentence string
	Other    bool // someone other than the citizen
}

type logData struct {
	Verified bool
	Lines    []logLine
	// Older is the link to the page of older entries; "" on the last page.
	Older string
}

// meLog is the access log in plain sentences, newest first, a page at a
// time (each verified from the checkpoints around it).
func (h *Handler) meLog(w http.ResponseWriter, r *http.Request, p *page) error {
	pg, err := h.c.API.Vault.AuditPage(r.Context(), *p.Actor, r.URL.Query().Get("cursor"), 0)
	if err != nil {
		return err
	}
	docs, err := h.c.API.Vault.List(r.Context(), *p.Actor, vault.Filter{})
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, d := range docs {
		names[d.ID] = h.kindName(d.Kind)
	}
	ld := logData{Verified: pg.Verification.Verified}
	if pg.Next != "" {
		ld.Older = "/me/log?" + url.Values{"cursor": {pg.Next}}.Encode()
	}
	for _, e := range pg.Entries {
		doc := names[e.Document]
		if e.Action == "search" {
			doc = p.T("đoạn trích giấy tờ của bạn trong kết quả tìm kiếm", "snippets of your papers in search results")
		}
		if doc == "" {
			doc = p.T("một giấy tờ đã ẩn", "a hidden document")
		}
		ld.Lines = append(ld.Lines, logLine{At: e.At, Sentence: sentence(p, e, doc), Other: e.Role != "citizen"})
	}
	p.Title = p.T("Nhật ký truy cập", "Access log")
	p.Data = ld
	return h.render(w, r, p, "me-log")
}

// sentence says one access-log entry in plain words.
func sentence(p *page, e vault.Entry, doc string) string {
	who := p.Who(e.Actor)
	switch e.Role {
	case "citizen":
		who = p.T("Bạn", "You")
	case "share":
		who = p.T("Người nhận liên kết chia sẻ", "The recipient of a share link")
		if _, rcpt, ok := strings.Cut(e.Actor, " ("); ok {
			who += " (" + rcpt
		}
	case "system", "":
		who = p.T("Hệ thống Sohoa", "Sohoa")
	}
	verb := p.T("đã truy cập", "accessed")
	switch {
	case e.Action == "download":
		verb = p.T("đã tải", "downloaded")
	case strings.HasPrefix(e.Action, "download v"):
		verb = p.T("đã tải bản cũ ("+strings.TrimPrefix(e.Action, "download ")+") của", "downloaded an earlier version ("+strings.TrimPrefix(e.Action, "download ")+") of")
	case e.Action == "read" || e.Action == "search":
		verb = p.T("đã xem", "viewed")
	case e.Action == "share-created":
		verb = p.T("đã tạo liên kết chia sẻ", "created a share link to")
	case e.Action == "share-revoked":
		verb = p.T("đã thu hồi liên kết chia sẻ", "revoked a share link to")
	case e.Action == "hide":
		verb = p.T("đã ẩn", "hid")
	case e.Action == "issue" || e.Action == "issued":
		verb = p.T("đã lưu vào kho", "stored")
	}
	at := e.At.In(vnZone)
	s := who + " " + verb + " " + doc
	if _, to, ok := strings.Cut(e.Purpose, " to "); ok && strings.HasPrefix(e.Action, "share-") {
		to, _, _ = strings.Cut(to, " for ")
		s += p.T(" cho "+to, " with "+to)
	}
	s += p.T(fmt.Sprintf(" lúc %s ngày %s", at.Format("15:04"), at.Format("02/01/2006")),
		fmt.Sprintf(" at %s on %s", at.Format("15:04"), at.Format("02/01/2006")))
	if code, ok := strings.CutPrefix(e.Purpose, "dossier "); ok {
		s += p.T(" trong hồ sơ ", " in dossier ") + code
	}
	return s + "."
}

// qrSVG draws a QR code of s as an SVG path (no image file, a few KB).
func qrSVG(s string) (string, error) {
	q, err := qrcode.New(s, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("share QR code: %w", err)
	}
	q.DisableBorder = false
	bm := q.Bitmap()
	var b strings.Builder
	n := len(bm)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="200" height="200" role="img" aria-label="QR"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x, on := range row {
			if on {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x, y)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}
