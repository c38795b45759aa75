package pades_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

// Each test here covers one shortcoming of pdfsign at the pinned version
// (why we write our own PAdES) or one limit on untrusted input.

func TestVietnameseNamesAreHexUTF16(t *testing.T) {
	e := newEnv(t)
	o := e.officer(t, "inh") // "Trần Văn Ĩnh": Ĩ is U+0128, whose low byte is '('
	o.Name, o.Reason, o.Location = "Trần Văn Ĩnh (ĩ)", "Lĩnh vực: hộ tịch ((", "Phường Bến Nghé))"
	out, err := pades.Sign(context.Background(), padestest.PDF(1, false), o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("/Name<FEFF")) || !bytes.Contains(out, []byte("/Reason<FEFF")) {
		t.Error("names are not written as hex UTF-16BE strings")
	}
	rep := e.verify(t, out)
	if s := rep.Signatures[0]; !rep.Valid || s.Reason != o.Reason || s.Location != o.Location {
		t.Errorf("round trip: %+v", s)
	}
	pdftool.QpdfCheck(t, out)
}

func TestSecondSignatureAfterLargerPadding(t *testing.T) {
	e := newEnv(t)
	first := e.officer(t, "linh") // with time stamp and DSS: a large zero-padded /Contents
	out, err := pades.Sign(context.Background(), padestest.PDF(1, false), first)
	if err != nil {
		t.Fatal(err)
	}
	second := e.seal(first)
	second.Level = pades.LevelB // a much smaller placeholder than the first one's padding
	out, err = pades.Sign(context.Background(), out, second)
	if err != nil {
		t.Fatal(err)
	}
	rep := e.verify(t, out)
	if !rep.Valid || len(rep.Signatures) != 2 {
		t.Fatalf("%+v", rep)
	}
	if rep.Signatures[0].Signer != "Nguyễn Thị Lĩnh" || rep.Signatures[1].Signer != e.pki.Seal().Name || !rep.Signatures[1].WholeDocument {
		t.Errorf("order or coverage: %+v", rep.Signatures)
	}
	pdftool.QpdfCheck(t, out)
}

func TestTimeouts(t *testing.T) {
	e := newEnv(t)
	stop := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer hang.Close()
	defer close(stop)
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html>maintenance</html>")
	}))
	defer garbage.Close()
	tests := []struct {
		name string
		url  string
	}{
		{"TSA hangs", hang.URL},
		{"TSA answers garbage", garbage.URL},
		{"TSA down", "http://127.0.0.1:1/tsa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := e.officer(t, "linh")
			o.TSAURL = tt.url
			o.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond}
			start := time.Now()
			_, err := pades.Sign(context.Background(), padestest.PDF(1, false), o)
			if errs.KindOf(err) != errs.Unavailable {
				t.Errorf("error %v, want Unavailable", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// p1363 turns an ECDSA signer into one that answers r||s, as some remote
// signing services do.
type p1363 struct{ crypto.Signer }

func (p p1363) Sign(r interface{ Read([]byte) (int, error) }, d []byte, o crypto.SignerOpts) ([]byte, error) {
	der, err := p.Signer.Sign(rand.Reader, d, o)
	if err != nil {
		return nil, err
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		return nil, err
	}
	out := make([]byte, 64)
	rs.R.FillBytes(out[:32])
	rs.S.FillBytes(out[32:])
	return out, nil
}

func TestPrepareSignEmbedBatch(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := e.officer(t, "linh")
	key := o.Signer
	o.Signer = nil // a remote key: only the chain is known locally
	var prepared []*pades.Prepared
	for i := 1; i <= 3; i++ {
		p, err := pades.Prepare(ctx, padestest.PDF(i, false), o)
		if err != nil {
			t.Fatal(err)
		}
		prepared = append(prepared, p)
	}
	// All digests are known before any signature: what a SCAL2 authorization needs.
	seen := map[string]bool{}
	for _, p := range prepared {
		if len(p.Digest()) != 32 || seen[string(p.Digest())] {
			t.Fatal("digests must be distinct SHA-256 values")
		}
		seen[string(p.Digest())] = true
	}
	for i, p := range prepared {
		sig, err := p1363{key}.Sign(nil, p.Digest(), crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Embed(ctx, sig)
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		if rep := e.verify(t, out); !rep.Valid {
			t.Errorf("doc %d: %+v", i, rep)
		}
		if _, err := p.Embed(ctx, sig); errs.KindOf(err) != errs.Conflict {
			t.Errorf("second Embed: %v", err)
		}
	}
	// A signature over another digest is refused before anything is written.
	p, err := pades.Prepare(ctx, padestest.PDF(1, false), o)
	if err != nil {
		t.Fatal(err)
	}
	wrong, _ := key.Sign(rand.Reader, make([]byte, 32), crypto.SHA256)
	if _, err := p.Embed(ctx, wrong); err == nil {
		t.Error("a signature over another digest was embedded")
	}
}

func TestRSASigner(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Con dấu RSA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageCertSign,
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	out, err := pades.Sign(context.Background(), padestest.PDF(1, false), pades.Options{Signer: key, Chain: []*x509.Certificate{cert}, Level: pades.LevelB})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	rep, err := pades.Verify(context.Background(), out, pades.VerifyOptions{Roots: pool})
	if err != nil || !rep.Valid {
		t.Fatalf("%v %+v", err, rep)
	}
}

func TestModifiedAfterSigning(t *testing.T) {
	e := newEnv(t)
	signed, err := pades.Sign(context.Background(), padestest.PDF(1, false), e.officer(t, "linh"))
	if err != nil {
		t.Fatal(err)
	}
	// An incremental update that replaces the page's content stream (object 5).
	i := bytes.LastIndex(signed, []byte("startxref"))
	prev := strings.Fields(string(signed[i+len("startxref"):]))[0]
	content := "BT /F1 18 Tf 72 760 Td (Quyet dinh GIA MAO) Tj ET"
	var b bytes.Buffer
	b.Write(signed)
	off := b.Len()
	fmt.Fprintf(&b, "5 0 obj\n<</Length %d>>\nstream\n%s\nendstream\nendobj\n", len(content), content)
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n5 1\n%010d 00000 n\r\ntrailer\n<</Size 40/Root 1 0 R/Prev %s>>\nstartxref\n%d\n%%%%EOF\n", off, prev, xref)
	// The Size must cover the signed file's objects; take it generously.
	rep := e.verify(t, b.Bytes())
	s := rep.Signatures[0]
	if rep.Valid || s.Valid || len(s.ModifiedAfter) == 0 || !s.Intact {
		t.Errorf("a changed page content after signing is not reported: %+v", s)
	}
}

func TestUntrustedInput(t *testing.T) {
	e := newEnv(t)
	signed, err := pades.Sign(context.Background(), padestest.PDF(1, false), e.officer(t, "linh"))
	if err != nil {
		t.Fatal(err)
	}
	big := append(bytes.Repeat([]byte("%PDF-1.7\n"), 1), make([]byte, 2<<20)...)
	big = append(big, "\nstartxref\n9\n%%EOF\n"...)
	tests := []struct {
		name string
		pdf  []byte
		max  int64
		want errs.Kind
	}{
		{"empty", nil, 0, errs.Unsupported},
		{"not a PDF", []byte(strings.Repeat("hello ", 50)), 0, errs.Unsupported},
		{"truncated", signed[:len(signed)/2], 0, errs.Unprocessable},
		{"last bytes cut", signed[:len(signed)-200], 0, errs.Unprocessable},
		{"too large", big, 1 << 20, errs.TooLarge},
		{"garbage body with trailer", big, 0, errs.Unprocessable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			rep, err := pades.Verify(context.Background(), tt.pdf, pades.VerifyOptions{Roots: e.pki.Roots(), MaxSize: tt.max, Timeout: 5 * time.Second})
			// A file cut inside a later revision still holds the signed
			// revision: the cut bytes are then a problem of the report.
			cut := err == nil && !rep.Valid && len(rep.Problems) > 0 && tt.want == errs.Unprocessable
			if errs.KindOf(err) != tt.want && !cut {
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	rep := e.verify(t, padestest.PDF(1, false))
	if rep.Valid || len(rep.Signatures) != 0 {
		t.Errorf("an unsigned PDF: %+v", rep)
	}
	// Untrusted root: intact but not trusted, not valid.
	rep, err = pades.Verify(context.Background(), signed, pades.VerifyOptions{Roots: x509.NewCertPool()})
	if err != nil || rep.Valid || !rep.Signatures[0].Intact || rep.Signatures[0].Trusted {
		t.Errorf("untrusted root: %v %+v", err, rep)
	}
}
