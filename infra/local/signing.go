package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/dev/cscserver"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/domain/signing"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/csc"
	"github.com/sohoa/sohoa/pkg/format/pdfdoor"
)

// signers is the signing side of the local stack: a CSC API v2 provider on
// loopback holding the officers' keys (OTP by SMS through the outbox), the
// client that reaches it over HTTP exactly as it would a real provider, and
// the agency seal from the dev PKI.
type signers struct {
	svc        *signing.Service
	results    dossier.ResultSigner
	sealer     dossier.Sealer
	api        sohoaapi.Signing
	verifier   sohoaapi.Verifier
	uploads    sohoaapi.ResultChecker
	csc        http.Handler
	background []func(ctx context.Context)
}

func newSigning(st *Stack, outbox *notify.Outbox, staff notify.StaffFile, o Options) (*signers, error) {
	phone := map[string]string{}
	for _, of := range staff.Officers {
		phone[of.ID] = of.Phone
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	server, err := cscserver.New(st.PKI, cscserver.Options{
		Multisign: dossier.MaxJobBatch, // one code signs a whole batch job
		Clients:   map[string]string{"sohoa-local": hex.EncodeToString(secret)},
		SendOTP: func(ctx context.Context, userID, credentialID, code string) error {
			to, ok := phone[userID]
			if !ok {
				return errs.E(errs.NotFound, "no phone number for %s", userID)
			}
			return outbox.Send(ctx, notify.Message{Channel: notify.SMS, To: to, Subject: "OTP",
				Body: fmt.Sprintf("Sohoa: ma OTP ky so cua ban la %s, hieu luc 5 phut. Khong chia se ma nay. / Your signing code is %s (5 min).", code, code),
				At:   o.Now().UTC()})
		},
		Now: o.Now,
	})
	if err != nil {
		return nil, err
	}
	client, err := csc.New(csc.Config{BaseURL: st.URL + "/csc/v2", ClientID: "sohoa-local", ClientSecret: hex.EncodeToString(secret),
		HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		return nil, err
	}
	seal := st.PKI.Seal()
	svc, err := signing.New(signing.Config{Remote: client, Seal: seal.Signer, SealChain: seal.Chain,
		Roots: st.PKI.Roots(), TSAURL: st.PKI.TSAURL(), Location: "Việt Nam",
		OTPLimits: &signing.OTPLimits{Records: st.DB.Table(), Now: o.Now, MaxSends: o.OTPSends}})
	if err != nil {
		return nil, err
	}
	// Uploaded results and PDFs posted for verification are read in child
	// processes, two at a time (one a core of a small machine), each under
	// the limits.
	door := pdfdoor.New(pdfdoor.DefaultLimits(), 2)
	certifier, err := signing.Certifier(svc)
	if err != nil {
		return nil, err
	}
	return &signers{svc: svc, results: signing.ForDossiers(svc), sealer: certifier, api: sohoaapi.SigningService(svc),
		verifier: sohoaapi.IsolatedVerifier{Roots: []*x509.Certificate{st.PKI.Root()}, Door: door},
		uploads:  sohoaapi.IsolatedResults{Door: door}, csc: server}, nil
}
