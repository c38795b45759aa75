package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/csc"
	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/identity"
	"github.com/sohoa/sohoa/pkg/notify"
	"github.com/sohoa/sohoa/pkg/signing"
	"github.com/sohoa/sohoa/pkg/stamp"
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
	csc        http.Handler
	background []func(ctx context.Context)
}

func newSigning(st *Stack, outbox *notify.Outbox, officers []Officer, o Options) (*signers, error) {
	phone := map[string]string{}
	for _, of := range officers {
		phone[of.ID] = of.Phone
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	server, err := csc.NewServer(st.PKI, csc.ServerOptions{
		Clients: map[string]string{"sohoa-local": hex.EncodeToString(secret)},
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
		Roots: st.PKI.Roots(), TSAURL: st.PKI.TSAURL(), Location: "Việt Nam"})
	if err != nil {
		return nil, err
	}
	return &signers{svc: svc, results: resultSigner{svc}, sealer: sealer{svc}, api: signingAPI{svc},
		verifier: verifier{svc}, csc: server}, nil
}

// resultSigner adapts the signing service to the dossier service's port.
type resultSigner struct{ s *signing.Service }

func (r resultSigner) SignResults(ctx context.Context, officer identity.Actor, credentialID, otp string, docs []dossier.SignDocument) ([]dossier.SignOutcome, error) {
	in := make([]signing.Document, len(docs))
	for i, d := range docs {
		in[i] = signing.Document{ID: fmt.Sprint(i), PDF: d.PDF, Reason: d.Reason}
	}
	outs, err := r.s.SignResults(ctx, officer.Subject, credentialID, otp, in)
	if err != nil {
		return nil, err
	}
	res := make([]dossier.SignOutcome, len(outs))
	for i, o := range outs {
		res[i] = dossier.SignOutcome{PDF: o.PDF, Err: o.Err}
	}
	return res, nil
}

// sealer certifies digitized components: the conversion mark of Decree
// 137/2024 stamped on page 1, then the agency seal.
type sealer struct{ s *signing.Service }

func (s sealer) Certify(ctx context.Context, pdf []byte, m dossier.ConversionMark) ([]byte, error) {
	marked, err := stamp.ConversionMark(pdf, stamp.Mark{DossierCode: m.DossierCode, Component: m.Component,
		Converter: m.Converter, Unit: m.Unit, At: m.At})
	if err != nil {
		return nil, fmt.Errorf("conversion mark: %w", err)
	}
	return s.s.Seal(ctx, marked, signing.SealMeta{Reason: "Chứng thực bản điện tử chuyển đổi từ bản giấy, hồ sơ " + m.DossierCode})
}

// signingAPI serves the officer's credential routes.
type signingAPI struct{ s *signing.Service }

func (a signingAPI) Credentials(ctx context.Context, who identity.Actor) ([]sohoaapi.Credential, error) {
	if who.Role != identity.Officer {
		return nil, errs.E(errs.Forbidden, "only agency officers have signing credentials")
	}
	cs, err := a.s.Credentials(ctx, who.Subject)
	if err != nil {
		return nil, err
	}
	out := make([]sohoaapi.Credential, len(cs))
	for i, c := range cs {
		out[i] = sohoaapi.Credential{ID: c.ID, Subject: c.Subject, Certificate: c.CertificatePEM}
	}
	return out, nil
}

func (a signingAPI) SendOTP(ctx context.Context, who identity.Actor, credentialID string) error {
	if who.Role != identity.Officer {
		return errs.E(errs.Forbidden, "only agency officers have signing credentials")
	}
	return a.s.SendOTP(ctx, who.Subject, credentialID)
}

// verifier answers POST /v1/verify.
type verifier struct{ s *signing.Service }

func (v verifier) Verify(ctx context.Context, pdf []byte) (*sohoaapi.VerifyReport, error) {
	rep, err := v.s.Verify(ctx, pdf)
	if err != nil {
		return nil, err
	}
	out := &sohoaapi.VerifyReport{Valid: rep.Valid, Signatures: []sohoaapi.SignatureReport{}}
	for _, sg := range rep.Signatures {
		out.Signatures = append(out.Signatures, sohoaapi.SignatureReport{Signer: sg.Signer, SignedAt: sg.SignedAt,
			Intact: sg.Intact, Trusted: sg.Trusted, Timestamped: sg.Timestamped, Valid: sg.Valid,
			SubFilter: sg.SubFilter, Problems: sg.Problems})
	}
	return out, nil
}
