package web

import (
	"net/http"
	"strconv"
	"time"

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

func (h *Handler) signinPage(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title = p.T("Đăng nhập", "Sign in")
	d := signinData{Next: localTarget(r.URL.Query().Get("next")), OIDC: h.c.OIDC != nil}
	if loopback(r) {
		for i, a := range h.c.Roster {
			d.Roster = append(d.Roster, rosterEntry{Index: i, Actor: a})
		}
	}
	p.Data = d
	return h.render(w, r, p, "signin")
}

// signinDev signs in as a person of the development roster (local stack only).
func (h *Handler) signinDev(w http.ResponseWriter, r *http.Request, p *page) error {
	if len(h.c.Roster) == 0 {
		return errs.E(errs.NotFound, "không có trang này / no such page")
	}
	// Like the API's development routes, only for a request to a loopback
	// name: a page of another site whose name was rebound to 127.0.0.1
	// cannot sign in as anyone.
	if !loopback(r) {
		return errs.E(errs.Forbidden, "Đăng nhập phát triển chỉ dùng được qua localhost / The development sign-in answers only localhost")
	}
	i, err := strconv.Atoi(r.PostFormValue("who"))
	if err != nil || i < 0 || i >= len(h.c.Roster) {
		p.Errors = []fieldError{{Field: "who-0", Message: p.T("Hãy chọn người bạn muốn đăng nhập.", "Choose who you want to sign in as.")}}
		p.Status = http.StatusBadRequest
		return h.signinPage(w, r, p)
	}
	return h.startSession(w, r, h.c.Roster[i], r.PostFormValue("next"), time.Time{})
}

// startSession signs a in until until at the latest (the configured session
// length caps it) and sends them on to next, or home.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, a identity.Actor, next string, until time.Time) error {
	now := h.c.Now()
	if limit := now.Add(h.c.SessionTTL); until.IsZero() || until.After(limit) {
		until = limit
	}
	tok, err := h.c.Sessions.Start(r.Context(), a, until)
	if err != nil {
		return err
	}
	h.setCookie(w, r, sessionCookie, tok, until.Sub(now))
	if localTarget(next) == "" {
		next = home(a.Role)
	}
	redirect(w, r, next, nil)
	return nil
}

// signout ends the session on the server, not only in this browser: a copy
// of the cookie opens nothing afterwards.
func (h *Handler) signout(w http.ResponseWriter, r *http.Request, p *page) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := h.c.Sessions.End(r.Context(), c.Value); err != nil {
			return err
		}
	}
	h.setCookie(w, r, sessionCookie, "", -1)
	redirect(w, r, "/", nil)
	return nil
}
