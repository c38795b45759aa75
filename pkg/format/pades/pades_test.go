package pades_test

import (
	"bytes"
	"context"
	"crypto"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/dev/pki"
	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
)

// env is a dev PKI served on loopback.
type env struct {
	pki *pki.PKI
	srv *httptest.Server
}

func newEnv(t testing.TB) *env {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p, err := pki.LoadOrCreate(t.TempDir(), pki.Options{
		BaseURL:  srv.URL + "/pki",
		Agency:   "Ủy ban nhân dân phường Bến Nghé",
		Officers: []pki.Officer{{ID: "linh", Name: "Nguyễn Thị Lĩnh"}, {ID: "inh", Name: "Trần Văn Ĩnh"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/pki/", p.Handler())
	return &env{pki: p, srv: srv}
}

// countingSigner counts calls to the key.
type countingSigner struct {
	crypto.Signer
	calls atomic.Int32
}

func (c *countingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	c.calls.Add(1)
	return c.Signer.Sign(r, d, o)
}

func (e *env) officer(t testing.TB, id string) pades.Options {
	t.Helper()
	c, err := e.pki.Officer(id)
	if err != nil {
		t.Fatal(err)
	}
	return pades.Options{
		Signer: c.Signer, Chain: c.Chain, Name: c.Name,
		Reason: "Phê duyệt kết quả giải quyết thủ tục hành chính", Location: "Thành phố Hồ Chí Minh",
		ContactInfo: "Phòng Tư pháp (điện thoại 028 3829 ...)",
		TSAURL:      e.pki.TSAURL(), Roots: e.pki.Roots(),
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
	}
}

func (e *env) seal(opts pades.Options) pades.Options {
	s := e.pki.Seal()
	opts.Signer, opts.Chain, opts.Name = s.Signer, s.Chain, s.Name
	opts.Reason = "Đóng dấu cơ quan"
	return opts
}

func (e *env) verify(t testing.TB, pdf []byte) *pades.Report {
	t.Helper()
	rep, err := pades.Verify(context.Background(), pdf, pades.VerifyOptions{Roots: e.pki.Roots()})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestSignVerify(t *testing.T) {
	e := newEnv(t)
	xs, err := padestest.XRefStreamPDF(2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		pdf     []byte
		level   pades.Level
		visible bool
		want    string
	}{
		{"classic xref, default level", padestest.PDF(1, false), pades.LevelDefault, false, "B-LT"},
		{"classic xref, visible", padestest.PDF(3, false), pades.LevelDefault, true, "B-LT"},
		{"xref stream, visible", xs, pades.LevelDefault, true, "B-LT"},
		{"B-B", padestest.PDF(1, false), pades.LevelB, false, "B-B"},
		{"B-T", padestest.PDF(1, false), pades.LevelT, true, "B-T"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := e.officer(t, "linh")
			cs := &countingSigner{Signer: o.Signer}
			o.Signer, o.Level = cs, tt.level
			if tt.visible {
				o.Visible = &pades.Appearance{}
			}
			out, err := pades.Sign(context.Background(), tt.pdf, o)
			if err != nil {
				t.Fatal(err)
			}
			if n := cs.calls.Load(); n != 1 {
				t.Errorf("the signer was called %d times, want 1", n)
			}
			if !bytes.HasPrefix(out, tt.pdf) {
				t.Fatal("the original bytes were rewritten: not an incremental update")
			}
			rep := e.verify(t, out)
			if !rep.Valid || len(rep.Signatures) != 1 {
				t.Fatalf("report %+v", rep)
			}
			s := rep.Signatures[0]
			if s.Signer != "Nguyễn Thị Lĩnh" || s.SubFilter != "ETSI.CAdES.detached" || s.Level != tt.want || s.WholeDocument != (tt.want != "B-LT") || len(s.ModifiedAfter) != 0 {
				t.Errorf("signature %+v", s)
			}
			if s.Reason != o.Reason || s.Location != o.Location {
				t.Errorf("reason/location %q %q", s.Reason, s.Location)
			}
			if (tt.level != pades.LevelB) != s.Timestamped {
				t.Errorf("timestamped = %v", s.Timestamped)
			}
		})
	}
}

// TestSignGiven: a document given up (Options.InPlace) with room is signed in
// its own bytes, which stay as they were in front; without room, or not
// given, it is copied; the result verifies either way.
func TestSignGiven(t *testing.T) {
	e := newEnv(t)
	doc := padestest.PDF(2, false)
	for _, tt := range []struct {
		name    string
		room    int
		give    bool
		inPlace bool
	}{
		{"given with room", pades.UpdateSpare, true, true},
		{"given without room", 0, true, false},
		{"not given", pades.UpdateSpare, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := append(make([]byte, 0, len(doc)+tt.room), doc...)
			o := e.officer(t, "linh")
			o.InPlace = tt.give
			out, err := pades.Sign(context.Background(), in, o)
			if err != nil {
				t.Fatal(err)
			}
			if got := &out[0] == &in[0]; got != tt.inPlace {
				t.Errorf("signed in place: %v, want %v", got, tt.inPlace)
			}
			if !bytes.Equal(out[:len(doc)], doc) || !bytes.Equal(in, doc) {
				t.Error("the document's own bytes changed")
			}
			if rep := e.verify(t, out); len(rep.Signatures) != 1 || !rep.Signatures[0].Intact {
				t.Errorf("the signature does not verify: %+v", rep.Signatures)
			}
		})
	}
}
