// Package remotesign builds the officers' signing service over the remote
// signing provider (CSC API v2) a function's configuration names. The api
// and signer functions use it; the ingest function, which only seals, does
// not link the CSC client.
package remotesign

import (
	"context"
	"crypto/x509"
	"net/http"
	"time"

	"github.com/sohoa/sohoa/functions/internal/assemble"
	"github.com/sohoa/sohoa/pkg/domain/signing"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/csc"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// New returns the signing service over the CSC provider at cfg.CSCURL; with
// no provider configured it is an errs.NotFound error the caller may accept
// (the API then answers that signing is not configured).
// The one-time codes are limited per officer and credential with counters in
// table (signing.OTPLimits), shared by every instance.
func New(ctx context.Context, cfg assemble.Config, roots *x509.CertPool, table records.Table) (*signing.Service, error) {
	if cfg.CSCURL == "" {
		return nil, errs.E(errs.NotFound, "remotesign: no remote signing provider configured (%s)", assemble.EnvCSCURL)
	}
	secret, err := assemble.CSCSecret(ctx, cfg)
	if err != nil {
		return nil, err
	}
	remote, err := csc.New(csc.Config{BaseURL: cfg.CSCURL, HTTPClient: &http.Client{Timeout: 15 * time.Second},
		ClientID: cfg.CSCClientID, ClientSecret: secret})
	if err != nil {
		return nil, err
	}
	return signing.New(signing.Config{Remote: remote, Roots: roots, TSAURL: cfg.TSAURL,
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, OTPLimits: &signing.OTPLimits{Records: table}})
}
