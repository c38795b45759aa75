package pki_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/ocsp"

	"github.com/sohoa/sohoa/pkg/dev/pki"
	"github.com/sohoa/sohoa/pkg/errs"
)

// start serves a fresh PKI on loopback.
func start(t *testing.T, dir string) (*pki.PKI, *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p, err := pki.LoadOrCreate(dir, pki.Options{
		BaseURL:  srv.URL + "/pki",
		Officers: []pki.Officer{{ID: "off1", Name: "Nguyễn Thị Lĩnh", Email: "linh@example.vn"}, {ID: "off2", Name: "Trần Văn Ĩnh"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/pki/", p.Handler())
	return p, srv
}

func TestLoadOrCreate(t *testing.T) {
	dir := t.TempDir()
	p, srv := start(t, dir)
	off, err := p.Officer("off1")
	if err != nil {
		t.Fatal(err)
	}
	leaf := off.Certificate()
	if leaf.Subject.CommonName != "Nguyễn Thị Lĩnh" {
		t.Errorf("CN = %q", leaf.Subject.CommonName)
	}
	if leaf.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment {
		t.Errorf("key usage = %v", leaf.KeyUsage)
	}
	if len(leaf.UnknownExtKeyUsage) != 1 || leaf.UnknownExtKeyUsage[0].String() != "1.3.6.1.5.5.7.3.36" {
		t.Errorf("documentSigning EKU missing: %v", leaf.UnknownExtKeyUsage)
	}
	if leaf.OCSPServer[0] != srv.URL+"/pki/ocsp" || leaf.CRLDistributionPoints[0] != srv.URL+"/pki/crl/intermediate.crl" {
		t.Errorf("URLs: %v %v", leaf.OCSPServer, leaf.CRLDistributionPoints)
	}
	for _, c := range append(p.Officers(), p.Seal(), p.TSA()) {
		inter := x509.NewCertPool()
		inter.AddCert(p.Intermediate())
		if _, err := c.Certificate().Verify(x509.VerifyOptions{Roots: p.Roots(), Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("%s: %v", c.ID, err)
		}
	}
	tsa := p.TSA().Certificate()
	if len(tsa.ExtKeyUsage) != 1 || tsa.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping {
		t.Errorf("TSA EKU = %v", tsa.ExtKeyUsage)
	}
	critical := false
	for _, e := range tsa.Extensions {
		if e.Id.String() == "2.5.29.37" {
			critical = e.Critical
		}
	}
	if !critical {
		t.Error("TSA EKU is not critical")
	}
	if _, err := p.Officer("nobody"); errs.KindOf(err) != errs.NotFound {
		t.Errorf("unknown officer: %v", err)
	}

	// A second start loads the same keys and root.
	again, err := pki.LoadOrCreate(dir, pki.Options{BaseURL: srv.URL + "/pki", Officers: []pki.Officer{{ID: "off1", Name: "Nguyễn Thị Lĩnh"}, {ID: "off2", Name: "Trần Văn Ĩnh"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Root().Equal(p.Root()) || !bytes.Equal(again.RootPEM(), p.RootPEM()) {
		t.Error("root changed on reload")
	}
	a, _ := again.Officer("off1")
	if !a.Certificate().Equal(leaf) {
		t.Error("officer certificate re-issued without reason")
	}
	// A new base URL keeps the root and keys, re-issues the leaves.
	moved, err := pki.LoadOrCreate(dir, pki.Options{BaseURL: "http://127.0.0.1:1/x", Officers: []pki.Officer{{ID: "off1", Name: "Nguyễn Thị Lĩnh"}}})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := moved.Officer("off1")
	if !moved.Root().Equal(p.Root()) || m.Certificate().OCSPServer[0] != "http://127.0.0.1:1/x/ocsp" || !m.Certificate().PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(leaf.PublicKey) {
		t.Error("moving the base URL must keep root and key and re-point the URLs")
	}
	if _, err := pki.LoadOrCreate(t.TempDir(), pki.Options{}); errs.KindOf(err) != errs.Invalid {
		t.Errorf("missing base URL: %v", err)
	}
	if _, err := pki.LoadOrCreate(t.TempDir(), pki.Options{BaseURL: "http://h", Officers: []pki.Officer{{ID: "../x", Name: "x"}}}); err == nil {
		t.Error("path-like officer ID accepted")
	}
}

func TestOCSP(t *testing.T) {
	p, srv := start(t, t.TempDir())
	off, _ := p.Officer("off2")
	leaf := off.Certificate()
	post := func(der []byte) []byte {
		resp, err := http.Post(srv.URL+"/pki/ocsp", "application/ocsp-request", bytes.NewReader(der))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	get := func(der []byte) []byte {
		resp, err := http.Get(srv.URL + "/pki/ocsp/" + url.PathEscape(base64.StdEncoding.EncodeToString(der)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	tests := []struct {
		name   string
		cert   *x509.Certificate
		issuer *x509.Certificate
		hash   crypto.Hash
		send   func([]byte) []byte
		revoke bool
		want   int
	}{
		{"sha1 post (NSS)", leaf, p.Intermediate(), crypto.SHA1, post, false, ocsp.Good},
		{"sha256 get", leaf, p.Intermediate(), crypto.SHA256, get, false, ocsp.Good},
		{"intermediate from root", p.Intermediate(), p.Root(), crypto.SHA1, get, false, ocsp.Good},
		{"revoked", leaf, p.Intermediate(), crypto.SHA256, post, true, ocsp.Revoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.revoke {
				if err := p.Revoke(tt.cert.SerialNumber); err != nil {
					t.Fatal(err)
				}
			}
			req, err := ocsp.CreateRequest(tt.cert, tt.issuer, &ocsp.RequestOptions{Hash: tt.hash})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := ocsp.ParseResponseForCert(tt.send(req), tt.cert, tt.issuer)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.want {
				t.Errorf("status %d, want %d", resp.Status, tt.want)
			}
			if resp.Certificate == nil || len(resp.Certificate.ExtKeyUsage) != 1 || resp.Certificate.ExtKeyUsage[0] != x509.ExtKeyUsageOCSPSigning {
				t.Error("the answer is not signed by a delegated OCSP responder")
			}
			if resp.IssuerHash != tt.hash {
				t.Errorf("CertID hash %v, want the request's %v", resp.IssuerHash, tt.hash)
			}
		})
	}
	// The CRL lists the revoked leaf, signed by the intermediate.
	resp, err := http.Get(srv.URL + "/pki/crl/intermediate.crl")
	if err != nil {
		t.Fatal(err)
	}
	der, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(p.Intermediate()); err != nil {
		t.Fatal(err)
	}
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Errorf("CRL entries %v", crl.RevokedCertificateEntries)
	}
	if bad := post([]byte("garbage")); len(bad) == 0 {
		t.Error("no answer to a malformed request")
	} else if _, err := ocsp.ParseResponse(bad, nil); err == nil {
		t.Error("malformed request got a success response")
	}
}

func TestTSA(t *testing.T) {
	p, srv := start(t, t.TempDir())
	digest := sha256.Sum256([]byte("Quyết định"))
	req, err := timestamp.CreateRequest(bytes.NewReader([]byte("Quyết định")), &timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(p.TSAURL(), "application/timestamp-query", bytes.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ts, err := timestamp.ParseResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ts.HashedMessage, digest[:]) {
		t.Error("time stamp is over another digest")
	}
	if len(ts.Certificates) == 0 || !ts.Certificates[0].Equal(p.TSA().Certificate()) && !ts.Certificates[len(ts.Certificates)-1].Equal(p.TSA().Certificate()) {
		t.Error("TSA certificate missing from the token")
	}
	if srv.URL+"/pki/tsa" != p.TSAURL() {
		t.Errorf("TSAURL %s", p.TSAURL())
	}
	// Garbage gets a rejection, not a crash.
	resp, err = http.Post(p.TSAURL(), "application/timestamp-query", bytes.NewReader([]byte{0x30, 0x01}))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, err := timestamp.ParseResponse(body); err == nil {
		t.Error("garbage request was granted")
	}
}
