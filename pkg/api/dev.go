package api

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/humantext"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
)

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

func (s *Server) devOutbox(w http.ResponseWriter, r *http.Request) error {
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

// handleOperator registers a development route for the dev operator only:
// the caller must send the operator's key as a bearer token.
func (s *Server) handleOperator(method, pattern string, h public) {
	s.routes = append(s.routes, Route{Method: method, Pattern: pattern})
	s.mux.HandleFunc(method+" "+pattern, func(w http.ResponseWriter, r *http.Request) {
		key := s.c.Dev.OperatorKey
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || key == "" || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(key)) != 1 {
			writeError(w, r, s.c.Log, errs.E(errs.Unauthorized,
				"chỉ người vận hành máy phát triển mới đọc được hộp thư: gửi khoá vận hành (in khi khởi động, tệp dev-operator-key trong thư mục dữ liệu) / "+
					"only the dev operator reads the outbox: send the operator key (printed at start, file dev-operator-key in the data directory) as Authorization: Bearer <key>"))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if err := h(w, r); err != nil {
			writeError(w, r, s.c.Log, err)
		}
	})
}

// loopbackOnly refuses a request whose Host is not a loopback name or
// address: the development routes exist for a browser or script on this
// machine, and a rebound DNS name is not one.
func (s *Server) loopbackOnly(h public) public {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !LoopbackHost(r.Host) {
			return errs.E(errs.Forbidden, "development routes answer only requests to localhost, 127.0.0.1 or [::1], not to %q", r.Host)
		}
		return h(w, r)
	}
}

// LoopbackHost reports whether host (a Host header, with or without a port)
// names this machine's loopback interface: localhost, an address of
// 127.0.0.0/8 or ::1.
func LoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}
