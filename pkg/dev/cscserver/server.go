// Package cscserver is a local Cloud Signature Consortium API v2 provider
// (with the v1.0.4.0 field names as a dialect) over the dev PKI's officer
// keys: OTPs sent through a callback and single-use signature activation data
// (SAD) bound to hashes. The local stack and the tests play a remote signing
// provider with it. Dev-only: no Lambda links it (pkg/architecture_test.go).
package cscserver

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/pkg/dev/pki"
	"github.com/sohoa/sohoa/pkg/format/csc"
)

// Options configures New.
type Options struct {
	// Prefix is the path the API is served under (default "/csc/v2").
	Prefix string
	// Clients maps service account names (auth/login Basic, or OAuth2
	// client_id) to their secrets. Required: no anonymous access.
	Clients map[string]string
	// SendOTP delivers a one-time password to the credential's owner (the
	// local stack sends it as an SMS through the notification outbox).
	SendOTP func(ctx context.Context, userID, credentialID, code string) error
	// Multisign is how many hashes one authorization may cover (default 200).
	Multisign int
	// OTPTTL and SADTTL bound the lifetime of OTPs and SADs (default 5 min).
	OTPTTL, SADTTL time.Duration
	// MaxOTPAttempts is how many wrong OTPs void the pending one (default 5).
	MaxOTPAttempts int
	// Now returns the current time (default time.Now).
	Now func() time.Time
}

// Server is a local CSC API v2 provider over the dev PKI's officer keys.
// It accepts the v1.0.4.0 field names too.
type Server struct {
	opts  Options
	creds map[string]*pki.Credential // credential ID → credential
	owner map[string]string          // credential ID → user ID
	mux   *http.ServeMux
	key   []byte // HMAC key of access tokens

	mu   sync.Mutex
	otps map[string]*pendingOTP // credential ID → OTP
	sads map[string]*sad        // SAD → state
}

type pendingOTP struct {
	sum      [32]byte
	expires  time.Time
	attempts int
}

type sad struct {
	credentialID string
	hashes       map[string]int // base64 hash → uses left (identical documents give identical hashes)
	remaining    int
	expires      time.Time
}

// CredentialID returns the ID the local server gives an officer's credential.
func CredentialID(userID string) string { return "cred-" + userID }

// New returns a CSC provider with one credential per officer of p.
func New(p *pki.PKI, opts Options) (*Server, error) {
	if len(opts.Clients) == 0 {
		return nil, fmt.Errorf("csc: the server needs at least one service account")
	}
	if opts.SendOTP == nil {
		return nil, fmt.Errorf("csc: the server needs a SendOTP callback")
	}
	if opts.Prefix == "" {
		opts.Prefix = "/csc/v2"
	}
	opts.Prefix = strings.TrimSuffix(opts.Prefix, "/")
	if opts.Multisign <= 0 {
		opts.Multisign = 200
	}
	if opts.OTPTTL <= 0 {
		opts.OTPTTL = 5 * time.Minute
	}
	if opts.SADTTL <= 0 {
		opts.SADTTL = 5 * time.Minute
	}
	if opts.MaxOTPAttempts <= 0 {
		opts.MaxOTPAttempts = 5
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, creds: map[string]*pki.Credential{}, owner: map[string]string{},
		otps: map[string]*pendingOTP{}, sads: map[string]*sad{}, key: make([]byte, 32)}
	if _, err := rand.Read(s.key); err != nil {
		return nil, fmt.Errorf("csc: token key: %w", err)
	}
	for _, c := range p.Officers() {
		if _, ok := c.Signer.(*ecdsa.PrivateKey); !ok {
			return nil, fmt.Errorf("csc: officer %s has a key the server cannot use", c.ID)
		}
		s.creds[CredentialID(c.ID)] = c
		s.owner[CredentialID(c.ID)] = c.ID
	}
	m := http.NewServeMux()
	pre := opts.Prefix
	m.HandleFunc("POST "+pre+"/info", s.info)
	m.HandleFunc("POST "+pre+"/auth/login", s.login)
	m.HandleFunc("POST "+pre+"/oauth2/token", s.token)
	m.HandleFunc("POST "+pre+"/credentials/list", s.authed(s.list))
	m.HandleFunc("POST "+pre+"/credentials/info", s.authed(s.credInfo))
	m.HandleFunc("POST "+pre+"/credentials/sendOTP", s.authed(s.sendOTP))
	m.HandleFunc("POST "+pre+"/credentials/authorize", s.authed(s.authorize))
	m.HandleFunc("POST "+pre+"/signatures/signHash", s.authed(s.signHash))
	s.mux = m
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, csc.APIError{Error: code, Description: desc})
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, csc.MaxBody))
	if err != nil {
		fail(w, http.StatusRequestEntityTooLarge, "invalid_request", "request body too large")
		return false
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", "malformed JSON body")
		return false
	}
	return true
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	base := "http://" + r.Host + s.opts.Prefix
	writeJSON(w, http.StatusOK, csc.Info{
		Specs: csc.SpecV2, Name: "Sohoa local remote signing service", Region: "VN", Lang: "vi",
		Description: "Dịch vụ ký số từ xa cục bộ (phát triển)",
		AuthType:    []string{"basic", "oauth2client"}, OAuth2: base,
		Methods: []string{"auth/login", "oauth2/token", "credentials/list", "credentials/info",
			"credentials/sendOTP", "credentials/authorize", "signatures/signHash"},
	})
}

// clientOK checks a service account in constant time.
func (s *Server) clientOK(id, secret string) bool {
	want, ok := s.opts.Clients[id]
	return ok && subtle.ConstantTimeCompare([]byte(want), []byte(secret)) == 1
}

// newToken returns an HMAC-signed bearer token "client.expiry.mac".
func (s *Server) newToken(client string, ttl time.Duration) string {
	exp := s.opts.Now().Add(ttl).Unix()
	payload := base64.RawURLEncoding.EncodeToString([]byte(client)) + "." + fmt.Sprint(exp)
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) tokenOK(tok string) bool {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return false
	}
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(tok[:i]))
	mac, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || !hmac.Equal(mac, m.Sum(nil)) {
		return false
	}
	parts := strings.Split(tok[:i], ".")
	var exp int64
	if len(parts) != 2 {
		return false
	}
	if _, err := fmt.Sscan(parts[1], &exp); err != nil {
		return false
	}
	return s.opts.Now().Unix() < exp
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || !s.clientOK(id, secret) {
		w.Header().Set("WWW-Authenticate", `Basic realm="csc"`)
		fail(w, http.StatusUnauthorized, "invalid_request", "The user or password is wrong")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": s.newToken(id, time.Hour), "expires_in": 3600})
}

// token implements the OAuth2 client-credentials grant (RFC 6749 §4.4).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, csc.MaxBody)
	if err := r.ParseForm(); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", "malformed form")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		fail(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if !s.clientOK(id, secret) {
		fail(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	writeJSON(w, http.StatusOK, csc.TokenResponse{AccessToken: s.newToken(id, time.Hour), TokenType: "Bearer", ExpiresIn: 3600})
}

func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !s.tokenOK(tok) {
			fail(w, http.StatusUnauthorized, "invalid_token", "The access token is not valid")
			return
		}
		h(w, r)
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	var req csc.ListRequest
	if !decode(w, r, &req) {
		return
	}
	if req.UserID == "" {
		fail(w, http.StatusBadRequest, "invalid_request", "Missing (or invalid type) string parameter userID")
		return
	}
	ids := []string{}
	for id, owner := range s.owner {
		if owner == req.UserID {
			ids = append(ids, id)
		}
	}
	writeJSON(w, http.StatusOK, csc.ListResponse{CredentialIDs: ids})
}

func (s *Server) credential(w http.ResponseWriter, id string) *pki.Credential {
	c, ok := s.creds[id]
	if !ok {
		fail(w, http.StatusBadRequest, "invalid_request", "Invalid parameter credentialID")
		return nil
	}
	return c
}

func (s *Server) credInfo(w http.ResponseWriter, r *http.Request) {
	var req csc.CredentialRequest
	if !decode(w, r, &req) {
		return
	}
	c := s.credential(w, req.CredentialID)
	if c == nil {
		return
	}
	var ci csc.CredentialInfo
	ci.Key.Status, ci.Key.Algo, ci.Key.Len, ci.Key.Curve = "enabled", []string{csc.OIDECDSASHA256, csc.OIDECPublicKey}, 256, csc.OIDP256
	chain := c.Chain
	if req.Certificates == "single" {
		chain = chain[:1]
	}
	if req.Certificates != "none" {
		for _, cert := range chain {
			ci.Cert.Certificates = append(ci.Cert.Certificates, base64.StdEncoding.EncodeToString(cert.Raw))
		}
	}
	leaf := c.Chain[0]
	ci.Cert.Status, ci.Cert.SubjectDN, ci.Cert.IssuerDN = "valid", leaf.Subject.String(), leaf.Issuer.String()
	ci.Cert.SerialNumber = leaf.SerialNumber.Text(16)
	ci.Cert.ValidFrom, ci.Cert.ValidTo = leaf.NotBefore.UTC().Format("20060102150405Z"), leaf.NotAfter.UTC().Format("20060102150405Z")
	ci.SCAL, ci.Multisign, ci.AuthMode, ci.Lang = "2", s.opts.Multisign, "explicit", "vi"
	ci.OTP = &struct {
		Presence string `json:"presence"`
		Type     string `json:"type"`
		Format   string `json:"format,omitempty"`
		ID       string `json:"ID,omitempty"`
		Provider string `json:"provider,omitempty"`
	}{Presence: "true", Type: "online", Format: "N", ID: "SMS", Provider: "Sohoa"}
	writeJSON(w, http.StatusOK, ci)
}

func (s *Server) sendOTP(w http.ResponseWriter, r *http.Request) {
	var req csc.CredentialRequest
	if !decode(w, r, &req) {
		return
	}
	if s.credential(w, req.CredentialID) == nil {
		return
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		fail(w, http.StatusInternalServerError, "server_error", "cannot draw an OTP")
		return
	}
	code := fmt.Sprintf("%06d", n.Int64())
	s.mu.Lock()
	s.otps[req.CredentialID] = &pendingOTP{sum: sha256.Sum256([]byte(code)), expires: s.opts.Now().Add(s.opts.OTPTTL)}
	s.mu.Unlock()
	if err := s.opts.SendOTP(r.Context(), s.owner[req.CredentialID], req.CredentialID, code); err != nil {
		s.mu.Lock()
		delete(s.otps, req.CredentialID)
		s.mu.Unlock()
		fail(w, http.StatusServiceUnavailable, "server_error", "the OTP could not be delivered")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	var req csc.AuthorizeRequest
	if !decode(w, r, &req) {
		return
	}
	if s.credential(w, req.CredentialID) == nil {
		return
	}
	hashes := req.Hashes
	if len(hashes) == 0 {
		hashes = req.Hash
	}
	if req.HashAlgorithmOID != "" && req.HashAlgorithmOID != csc.OIDSHA256 {
		fail(w, http.StatusBadRequest, "invalid_request", "Invalid parameter hashAlgorithmOID")
		return
	}
	if req.NumSignatures < 1 || req.NumSignatures > s.opts.Multisign || len(hashes) != req.NumSignatures {
		fail(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("numSignatures must equal the number of hashes and be at most %d (SCAL2)", s.opts.Multisign))
		return
	}
	set := map[string]int{}
	for _, h := range hashes {
		if b, err := base64.StdEncoding.DecodeString(h); err != nil || len(b) != crypto.SHA256.Size() {
			fail(w, http.StatusBadRequest, "invalid_request", "Invalid parameter hashes")
			return
		}
		set[h]++
	}
	otp := req.OTP
	for _, a := range req.AuthData {
		if strings.EqualFold(a.ID, "OTP") {
			otp = a.Value
		}
	}
	now := s.opts.Now()
	sum := sha256.Sum256([]byte(otp))
	s.mu.Lock()
	p := s.otps[req.CredentialID]
	ok := p != nil && now.Before(p.expires) && subtle.ConstantTimeCompare(p.sum[:], sum[:]) == 1
	if p != nil && !ok {
		if p.attempts++; p.attempts >= s.opts.MaxOTPAttempts || !now.Before(p.expires) {
			delete(s.otps, req.CredentialID)
		}
	}
	var token string
	if ok {
		delete(s.otps, req.CredentialID) // single use
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		token = base64.RawURLEncoding.EncodeToString(b)
		s.sads[token] = &sad{credentialID: req.CredentialID, hashes: set, remaining: req.NumSignatures, expires: now.Add(s.opts.SADTTL)}
		for k, v := range s.sads {
			if !now.Before(v.expires) {
				delete(s.sads, k)
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		fail(w, http.StatusBadRequest, "invalid_otp", "The OTP is invalid, expired or already used")
		return
	}
	writeJSON(w, http.StatusOK, csc.AuthorizeResponse{SAD: token, ExpiresIn: int(s.opts.SADTTL.Seconds())})
}

func (s *Server) signHash(w http.ResponseWriter, r *http.Request) {
	var req csc.SignHashRequest
	if !decode(w, r, &req) {
		return
	}
	c := s.credential(w, req.CredentialID)
	if c == nil {
		return
	}
	hashes, algo := req.Hashes, req.HashAlgorithmOID
	if len(hashes) == 0 {
		hashes, algo = req.Hash, req.HashAlgo
	}
	if req.SignAlgo != csc.OIDECDSASHA256 && req.SignAlgo != csc.OIDECPublicKey {
		fail(w, http.StatusBadRequest, "invalid_request", "Invalid parameter signAlgo")
		return
	}
	if algo != "" && algo != csc.OIDSHA256 {
		fail(w, http.StatusBadRequest, "invalid_request", "Invalid parameter hashAlgorithmOID")
		return
	}
	if len(hashes) == 0 || len(hashes) > csc.MaxHashesPerSAD {
		fail(w, http.StatusBadRequest, "invalid_request", "Missing parameter hashes")
		return
	}
	digests := make([][]byte, len(hashes))
	for i, h := range hashes {
		b, err := base64.StdEncoding.DecodeString(h)
		if err != nil || len(b) != crypto.SHA256.Size() {
			fail(w, http.StatusBadRequest, "invalid_request", "Invalid parameter hashes")
			return
		}
		digests[i] = b
	}
	// Check and consume the SAD atomically: every hash must be authorized
	// and unused, within the count; otherwise nothing is signed.
	now := s.opts.Now()
	s.mu.Lock()
	st := s.sads[req.SAD]
	problem := ""
	switch {
	case st == nil || !now.Before(st.expires):
		problem = "The SAD is invalid, expired or already used"
	case st.credentialID != req.CredentialID:
		problem = "The SAD was issued for another credential"
	case len(hashes) > st.remaining:
		problem = "More signatures than the SAD allows"
	default:
		want := map[string]int{}
		for _, h := range hashes {
			if want[h]++; want[h] > st.hashes[h] {
				problem = "Hash is not authorized by the SAD"
			}
		}
	}
	if problem == "" {
		for _, h := range hashes {
			st.hashes[h]--
		}
		if st.remaining -= len(hashes); st.remaining == 0 {
			delete(s.sads, req.SAD)
		}
	}
	s.mu.Unlock()
	if problem != "" {
		fail(w, http.StatusBadRequest, "invalid_request", problem)
		return
	}
	key := c.Signer.(*ecdsa.PrivateKey)
	out := csc.SignHashResponse{Signatures: make([]string, len(digests))}
	for i, d := range digests {
		sig, err := ecdsa.SignASN1(rand.Reader, key, d)
		if err != nil {
			fail(w, http.StatusInternalServerError, "server_error", "signing failed")
			return
		}
		out.Signatures[i] = base64.StdEncoding.EncodeToString(sig)
	}
	writeJSON(w, http.StatusOK, out)
}
