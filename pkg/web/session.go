package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

type signinData struct {
	Next   string
	Roster []rosterEntry
	OIDC   bool
}

type rosterEntry struct {
	Index int
	identity.Actor
}

// safeNext keeps a post-sign-in destination on this site.
func safeNext(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") || strings.HasPrefix(s, "/signin") {
		return ""
	}
	return s
}

func (h *Handler) signinPage(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("Đăng nhập", "Sign in")
	d := signinData{Next: safeNext(r.URL.Query().Get("next")), OIDC: h.c.OIDC != nil}
	for i, a := range h.c.Roster {
		d.Roster = append(d.Roster, rosterEntry{Index: i, Actor: a})
	}
	p.Data = d
	return h.render(w, r, p, "signin")
}

// signinDev signs in as a person of the development roster (local stack only).
func (h *Handler) signinDev(w http.ResponseWriter, r *http.Request, p *page) error {
	if len(h.c.Roster) == 0 {
		return errs.E(errs.NotFound, "không có trang này / no such page")
	}
	i, err := strconv.Atoi(r.PostFormValue("who"))
	if err != nil || i < 0 || i >= len(h.c.Roster) {
		p.Errors = []fieldError{{Field: "who-0", Message: p.T("Hãy chọn người bạn muốn đăng nhập.", "Choose who you want to sign in as.")}}
		p.Status = http.StatusBadRequest
		return h.signinPage(w, r, p)
	}
	return h.startSession(w, r, h.c.Roster[i], r.PostFormValue("next"))
}

func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, a identity.Actor, next string) error {
	tok, err := h.c.Sessions.Issue(a)
	if err != nil {
		return err
	}
	h.setCookie(w, r, sessionCookie, tok, h.c.SessionTTL)
	if next = safeNext(next); next == "" {
		next = home(a.Role)
	}
	redirect(w, r, next, nil)
	return nil
}

func (h *Handler) signout(w http.ResponseWriter, r *http.Request, p *page) error {
	h.setCookie(w, r, sessionCookie, "", -1)
	redirect(w, r, "/", nil)
	return nil
}
