package csc

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/sohoa/sohoa/pkg/errs"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the API root, e.g. "https://rssp.example.vn/csc/v2".
	BaseURL string
	// HTTPClient is used for every call; nil means a client with a 15 s timeout.
	HTTPClient *http.Client
	// Username and Password authenticate with auth/login (HTTP Basic).
	Username, Password string
	// ClientID and ClientSecret authenticate with the OAuth2 client
	// credentials grant at TokenURL (default BaseURL + "/oauth2/token").
	ClientID, ClientSecret, TokenURL string
	// Dialect is "2" (default) or "1.0.4.0" (field names hash/hashAlgo/OTP/PIN).
	Dialect string
	// Retries is how many times a call that failed without being processed
	// (network error before an answer, 429, 502, 503, 504) is retried for
	// idempotent methods; authorize and signHash are retried only on 429/503.
	// Default 2.
	Retries int
	// Backoff is the first retry delay, doubled each time (default 200 ms).
	Backoff time.Duration
}

// Client is a CSC API client. It is safe for concurrent use.
type Client struct {
	cfg Config
	hc  *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errs.FieldError("BaseURL", "the CSC base URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	if cfg.TokenURL == "" {
		cfg.TokenURL = cfg.BaseURL + "/oauth2/token"
	}
	if cfg.Dialect == "" {
		cfg.Dialect = "2"
	}
	if cfg.Dialect != "2" && cfg.Dialect != SpecV1 {
		return nil, errs.FieldError("Dialect", "unknown CSC dialect %q", cfg.Dialect)
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	} else if cfg.Retries == 0 {
		cfg.Retries = 2
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	return &Client{cfg: cfg, hc: hc}, nil
}

func (c *Client) v1() bool { return c.cfg.Dialect == SpecV1 }

// errorFor maps a CSC error answer to an errs kind: a wrong, expired or used
// OTP/PIN/SAD is Forbidden; an unknown credential is NotFound; a bad request
// is Invalid; authentication failures and everything the provider cannot do
// right now are Unavailable (the officer can only retry later).
func errorFor(status int, body []byte, method string) error {
	var e APIError
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return errs.E(errs.Unavailable, "the signing service answered HTTP %d to %s without a CSC error", status, method)
	}
	msg := e.Error
	if e.Description != "" {
		msg += ": " + e.Description
	}
	low := strings.ToLower(e.Error + " " + e.Description)
	switch {
	case status >= 500 || status == http.StatusTooManyRequests:
		return errs.E(errs.Unavailable, "the signing service failed (%s)", msg)
	case strings.Contains(low, "otp") || strings.Contains(low, "pin") || strings.Contains(low, "sad") || e.Error == "access_denied" || strings.Contains(low, "not authorized"):
		return errs.E(errs.Forbidden, "the signing service refused the authorization (%s)", msg)
	case strings.Contains(low, "credentialid"):
		return errs.E(errs.NotFound, "the signing service does not know this credential (%s)", msg)
	case status == http.StatusUnauthorized || e.Error == "invalid_token" || e.Error == "invalid_client":
		return errs.E(errs.Unavailable, "the signing service rejected our service credentials (%s)", msg)
	}
	return errs.E(errs.Invalid, "the signing service refused the request (%s)", msg)
}

// call POSTs in as JSON to method and decodes the answer into out.
// idempotent says whether a network failure may be retried.
func (c *Client) call(ctx context.Context, method string, in, out any, idempotent bool) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("csc: encode %s: %w", method, err)
	}
	reauthed := false
	delay := c.cfg.Backoff
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		status, resp, err := c.post(ctx, c.cfg.BaseURL+"/"+method, "application/json", body, tok, nil)
		retry := false
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return errs.Wrap(errs.Unavailable, err, "the signing service did not answer %s in time", method)
			}
			retry = idempotent
			err = errs.Wrap(errs.Unavailable, err, "the signing service is unreachable (%s)", method)
		case status == http.StatusUnauthorized && !reauthed && tok != "":
			c.dropToken()
			reauthed = true
			attempt--
			continue
		case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
			retry = true
			err = errorFor(status, resp, method)
		case status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
			retry = idempotent
			err = errorFor(status, resp, method)
		case status == http.StatusNoContent:
			return nil
		case status != http.StatusOK:
			return errorFor(status, resp, method)
		default:
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(resp, out); err != nil {
				return errs.Wrap(errs.Unavailable, err, "the signing service answered %s with garbage", method)
			}
			return nil
		}
		if !retry || attempt >= c.cfg.Retries {
			return err
		}
		select {
		case <-ctx.Done():
			return errs.Wrap(errs.Unavailable, ctx.Err(), "gave up retrying %s", method)
		case <-time.After(delay):
		}
		delay *= 2
	}
}

func (c *Client) post(ctx context.Context, u, ctype string, body []byte, bearer string, basic *[2]string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if basic != nil {
		req.SetBasicAuth(basic[0], basic[1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return 0, nil, err
	}
	if len(b) > MaxBody {
		return 0, nil, errors.New("answer too large")
	}
	return resp.StatusCode, b, nil
}

func (c *Client) dropToken() {
	c.mu.Lock()
	c.token = ""
	c.mu.Unlock()
}

// accessToken returns a valid service token, logging in when needed.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Now().Before(c.expires) {
		return c.token, nil
	}
	if c.cfg.ClientID != "" {
		// OAuth 2.0 client credentials (RFC 6749 §4.4), the CSC API's
		// oauth2client service authentication.
		cc := clientcredentials.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret,
			TokenURL: c.cfg.TokenURL, AuthStyle: oauth2.AuthStyleInHeader}
		t, err := cc.Token(context.WithValue(ctx, oauth2.HTTPClient, c.hc))
		var re *oauth2.RetrieveError
		switch {
		case errors.As(err, &re) && re.Response != nil:
			return "", errorFor(re.Response.StatusCode, re.Body, "login")
		case err != nil:
			return "", errs.Wrap(errs.Unavailable, err, "the signing service is unreachable (login)")
		}
		c.token, c.expires = t.AccessToken, time.Now().Add(time.Hour*9/10)
		if !t.Expiry.IsZero() {
			c.expires = time.Now().Add(time.Until(t.Expiry) * 9 / 10)
		}
		return c.token, nil
	}
	if c.cfg.Username == "" {
		return "", nil // no service authentication configured
	}
	// The CSC API's own "basic" service authentication (auth/login).
	status, body, err := c.post(ctx, c.cfg.BaseURL+"/auth/login", "application/json", []byte(`{"rememberMe":false}`), "", &[2]string{c.cfg.Username, c.cfg.Password})
	if err != nil {
		return "", errs.Wrap(errs.Unavailable, err, "the signing service is unreachable (login)")
	}
	if status != http.StatusOK {
		return "", errorFor(status, body, "login")
	}
	var t TokenResponse
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return "", errs.E(errs.Unavailable, "the signing service answered the login with garbage")
	}
	ttl := time.Duration(t.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = time.Hour
	}
	c.token, c.expires = t.AccessToken, time.Now().Add(ttl*9/10)
	return c.token, nil
}

// Login authenticates now (it otherwise happens on the first call).
func (c *Client) Login(ctx context.Context) error {
	c.dropToken()
	_, err := c.accessToken(ctx)
	return err
}

// Info returns the provider's info (no authentication).
func (c *Client) Info(ctx context.Context) (*Info, error) {
	status, body, err := c.post(ctx, c.cfg.BaseURL+"/info", "application/json", []byte(`{"lang":"vi"}`), "", nil)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, err, "the signing service is unreachable (info)")
	}
	if status != http.StatusOK {
		return nil, errorFor(status, body, "info")
	}
	var i Info
	if err := json.Unmarshal(body, &i); err != nil || i.Specs == "" {
		return nil, errs.E(errs.Unavailable, "the signing service answered info with garbage")
	}
	return &i, nil
}

// ListCredentials returns the credential IDs of userID.
func (c *Client) ListCredentials(ctx context.Context, userID string) ([]string, error) {
	var out ListResponse
	if err := c.call(ctx, "credentials/list", ListRequest{UserID: userID}, &out, true); err != nil {
		return nil, err
	}
	return out.CredentialIDs, nil
}

// Credential is a parsed credentials/info answer.
type Credential struct {
	ID string
	// Chain is the certificate chain, end entity first.
	Chain []*x509.Certificate
	// KeyAlgos are the key's algorithm OIDs.
	KeyAlgos []string
	// SCAL is "1" or "2".
	SCAL string
	// Multisign is the most hashes one authorization can cover (≥ 1).
	Multisign int
	Raw       CredentialInfo
}

// CredentialInfo returns the credential's chain, key algorithms, SCAL and multisign.
func (c *Client) CredentialInfo(ctx context.Context, credentialID string) (*Credential, error) {
	var ci CredentialInfo
	if err := c.call(ctx, "credentials/info", CredentialRequest{CredentialID: credentialID, Certificates: "chain", CertInfo: true, AuthInfo: true}, &ci, true); err != nil {
		return nil, err
	}
	out := &Credential{ID: credentialID, KeyAlgos: ci.Key.Algo, SCAL: ci.SCAL, Multisign: ci.Multisign, Raw: ci}
	if out.SCAL == "" {
		out.SCAL = "1"
	}
	if out.Multisign < 1 {
		out.Multisign = 1
	}
	for _, b64 := range ci.Cert.Certificates {
		der, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, err, "the signing service sent an unreadable certificate")
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, err, "the signing service sent an unreadable certificate")
		}
		out.Chain = append(out.Chain, cert)
	}
	if len(out.Chain) == 0 {
		return nil, errs.E(errs.Unavailable, "the signing service sent no certificate for %s", credentialID)
	}
	return out, nil
}

// SendOTP asks the provider to send the credential's owner a one-time password.
func (c *Client) SendOTP(ctx context.Context, credentialID string) error {
	return c.call(ctx, "credentials/sendOTP", CredentialRequest{CredentialID: credentialID}, nil, false)
}

// Authorize exchanges an OTP and/or PIN for a SAD covering exactly hashes
// (SHA-256 digests; SCAL2 binds the SAD to them). A wrong or used OTP is
// errs.Forbidden.
func (c *Client) Authorize(ctx context.Context, credentialID string, hashes [][]byte, otp, pin string) (string, error) {
	req := AuthorizeRequest{CredentialID: credentialID, NumSignatures: len(hashes)}
	enc := b64All(hashes)
	if c.v1() {
		req.Hash, req.OTP, req.PIN = enc, otp, pin
	} else {
		req.Hashes, req.HashAlgorithmOID = enc, OIDSHA256
		if otp != "" {
			req.AuthData = append(req.AuthData, AuthData{ID: "OTP", Value: otp})
		}
		if pin != "" {
			req.AuthData = append(req.AuthData, AuthData{ID: "PIN", Value: pin})
		}
	}
	var out AuthorizeResponse
	if err := c.call(ctx, "credentials/authorize", req, &out, false); err != nil {
		return "", err
	}
	if out.SAD == "" {
		return "", errs.E(errs.Unavailable, "the signing service answered authorize without a SAD")
	}
	return out.SAD, nil
}

// SignHash signs several SHA-256 digests in one call and returns the
// signatures in the same order. signAlgo is an OID such as OIDECDSASHA256.
func (c *Client) SignHash(ctx context.Context, credentialID, sad string, hashes [][]byte, signAlgo string) ([][]byte, error) {
	req := SignHashRequest{CredentialID: credentialID, SAD: sad, SignAlgo: signAlgo}
	if c.v1() {
		req.Hash, req.HashAlgo = b64All(hashes), OIDSHA256
	} else {
		req.Hashes, req.HashAlgorithmOID = b64All(hashes), OIDSHA256
	}
	var out SignHashResponse
	if err := c.call(ctx, "signatures/signHash", req, &out, false); err != nil {
		return nil, err
	}
	if len(out.Signatures) != len(hashes) {
		return nil, errs.E(errs.Unavailable, "the signing service returned %d signatures for %d hashes", len(out.Signatures), len(hashes))
	}
	sigs := make([][]byte, len(hashes))
	for i, s := range out.Signatures {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) == 0 {
			return nil, errs.E(errs.Unavailable, "the signing service returned an unreadable signature")
		}
		sigs[i] = b
	}
	return sigs, nil
}

func b64All(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}
