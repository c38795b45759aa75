package pades

// The attack suite: files attacked the ways the literature and practice
// know (incremental saving attacks, shadow attacks, universal signature
// forgery, signature wrapping, decoy time stamps, replayed signatures),
// generated here from files our own signer produced. Every attacked file
// must be reported not valid with a reason naming the change; the benign
// changes must stay valid.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/dev/pki"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
)

type attackEnv struct {
	pki *pki.PKI
}

func newAttackEnv(t testing.TB) *attackEnv {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p, err := pki.LoadOrCreate(t.TempDir(), pki.Options{
		BaseURL: srv.URL + "/pki", Agency: "Ủy ban nhân dân phường Bến Nghé",
		Officers: []pki.Officer{{ID: "linh", Name: "Nguyễn Thị Lĩnh"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/pki/", p.Handler())
	return &attackEnv{pki: p}
}

func (e *attackEnv) opts(t testing.TB, level Level) Options {
	t.Helper()
	c, err := e.pki.Officer("linh")
	if err != nil {
		t.Fatal(err)
	}
	return Options{Signer: c.Signer, Chain: c.Chain, Name: c.Name, Reason: "Phê duyệt", Level: level,
		TSAURL: e.pki.TSAURL(), Roots: e.pki.Roots(), HTTPClient: &http.Client{Timeout: 5 * time.Second}}
}

func (e *attackEnv) sign(t testing.TB, pdf []byte, level Level, visible bool) []byte {
	t.Helper()
	o := e.opts(t, level)
	if visible {
		o.Visible = &Appearance{}
	}
	out, err := Sign(context.Background(), pdf, o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *attackEnv) seal(t testing.TB, pdf []byte) []byte {
	t.Helper()
	o := e.opts(t, LevelDefault)
	s := e.pki.Seal()
	o.Signer, o.Chain, o.Name, o.Reason = s.Signer, s.Chain, s.Name, "Đóng dấu"
	out, err := Sign(context.Background(), pdf, o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *attackEnv) verify(t testing.TB, pdf []byte) *Report {
	t.Helper()
	rep, err := Verify(context.Background(), pdf, VerifyOptions{Roots: e.pki.Roots()})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

// uobj is an object of an appended update: a body, a free entry, or an
// xref entry pointing at an offset that already exists (at > 0).
type uobj struct {
	num, gen int
	body     string
	free     bool
	at       int
}

var startxrefRE = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
var sizeRE = regexp.MustCompile(`/Size (\d+)`)

// appendUpdate writes objs as an incremental update with a classic xref
// table (or an xref stream) and a trailer naming root.
func appendUpdate(t testing.TB, base []byte, root string, xrefStream bool, objs ...uobj) []byte {
	t.Helper()
	m := startxrefRE.FindSubmatch(base)
	if m == nil {
		t.Fatal("no startxref")
	}
	size := 0
	for _, s := range sizeRE.FindAllSubmatch(base, -1) {
		n, _ := strconv.Atoi(string(s[1]))
		size = max(size, n)
	}
	for _, o := range objs {
		size = max(size, o.num+1)
	}
	var b bytes.Buffer
	b.Write(base)
	offs := map[int]int{}
	for _, o := range objs {
		switch {
		case o.at > 0:
			offs[o.num] = o.at
		case !o.free:
			offs[o.num] = b.Len()
			fmt.Fprintf(&b, "%d %d obj\n%s\nendobj\n", o.num, o.gen, o.body)
		}
	}
	start := b.Len()
	if !xrefStream {
		b.WriteString("xref\n")
		for _, o := range objs {
			if o.free {
				fmt.Fprintf(&b, "%d 1\n0000000000 %05d f\r\n", o.num, o.gen)
			} else {
				fmt.Fprintf(&b, "%d 1\n%010d %05d n\r\n", o.num, offs[o.num], o.gen)
			}
		}
		fmt.Fprintf(&b, "trailer\n<</Size %d/Root %s/Prev %s>>\nstartxref\n%d\n%%%%EOF\n", size, root, m[1], start)
		return b.Bytes()
	}
	self := size
	var index []string
	var data []byte
	all := append(append([]uobj{}, objs...), uobj{num: self})
	offs[self] = start
	for _, o := range all {
		index = append(index, fmt.Sprintf("%d 1", o.num))
		off := offs[o.num]
		typ := byte(1)
		if o.free {
			typ, off = 0, 0
		}
		data = append(data, typ, byte(off>>24), byte(off>>16), byte(off>>8), byte(off), byte(o.gen>>8), byte(o.gen))
	}
	fmt.Fprintf(&b, "%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Index[%s]/Root %s/Prev %s/Length %d>>\nstream\n", self, self+1, strings.Join(index, " "), root, m[1], len(data))
	b.Write(data)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", start)
	return b.Bytes()
}

// signedInfo is what the attacks need to know about a signed file.
type signedInfo struct {
	pdf      []byte
	page     types.Dict // object 4, as in the last revision
	catalog  types.Dict
	acroForm int
	fields   types.Array
	sigDict  int
	widget   int
	size     int
	hole     [2]int
}

func inspect(t testing.TB, pdf []byte) signedInfo {
	t.Helper()
	x, err := parse(context.Background(), pdf)
	if err != nil {
		t.Fatal(err)
	}
	g := &graph{x: x, raw: pdf}
	si := signedInfo{pdf: pdf, size: x.MaxObjNr + 1}
	si.catalog = g.dict(*x.Root)
	si.page = g.dict(*types.NewIndirectRef(4, 0))
	af, _ := refNum(si.catalog["AcroForm"])
	si.acroForm = af
	si.fields = g.arr(g.dict(si.catalog["AcroForm"])["Fields"])
	si.widget, _ = refNum(si.fields[0])
	si.sigDict, _ = refNum(g.dict(si.fields[0])["V"])
	br := g.dict(si.fields[0])["V"]
	arr := g.arr(g.dict(br)["ByteRange"])
	a, _ := arr[1].(types.Integer)
	b, _ := arr[2].(types.Integer)
	si.hole = [2]int{int(a), int(b)}
	return si
}

func stream(content string, extra string) string {
	return fmt.Sprintf("<<%s/Length %d>>\nstream\n%s\nendstream", extra, len(content), content)
}

const fake = "BT /F1 18 Tf 72 760 Td (Quyet dinh GIA MAO - so tien 1000000000000) Tj ET"

func withKey(d types.Dict, key string, v types.Object) string {
	c := d.Clone().(types.Dict)
	c[key] = v
	return c.PDFString()
}

// attackCase is one attacked file and a word its verdict must name.
type attackCase struct {
	name string
	pdf  []byte
	want string // in a problem
}

// attackCases builds the attacked files from a file our signer produced;
// the fuzz targets start from them too.
func attackCases(t testing.TB, e *attackEnv) []attackCase {
	signed := e.sign(t, padestest.PDF(1, false), LevelDefault, true)
	si := inspect(t, signed)
	n := si.size + 10 // free object numbers for the attacker
	ref := func(k int) string { return fmt.Sprintf("%d 0 R", k) }
	annot := func(sub string) []byte {
		annots := append(types.Array{}, si.page["Annots"].(types.Array)...)
		annots = append(annots, *types.NewIndirectRef(n, 0))
		return appendUpdate(t, signed, "1 0 R", false,
			uobj{num: n, body: fmt.Sprintf("<</Type/Annot/Subtype/%s/Rect[0 0 595 842]/C[1 1 1]/IC[1 1 1]/Contents(GIA MAO)/F 4>>", sub)},
			uobj{num: 4, body: withKey(si.page, "Annots", annots)})
	}
	shadow := shadowBase(t, e)

	return []attackCase{
		{"root swap reusing the AcroForm", appendUpdate(t, signed, ref(n), false,
			uobj{num: n, body: fmt.Sprintf("<</Type/Catalog/Pages %d 0 R/AcroForm %s>>", n+1, si.catalog["AcroForm"].PDFString())},
			uobj{num: n + 1, body: fmt.Sprintf("<</Type/Pages/Count 1/Kids[%d 0 R]>>", n+2)},
			uobj{num: n + 2, body: fmt.Sprintf("<</Type/Page/Parent %d 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents %d 0 R/Annots[%d 0 R]>>", n+1, n+3, si.widget)},
			uobj{num: n + 3, body: stream(fake, "")}), "catalog was replaced"},
		{"content redefined", appendUpdate(t, signed, "1 0 R", false, uobj{num: 5, body: stream(fake, "")}), "object 5"},
		{"content redefined disguised as /Type/ObjStm", appendUpdate(t, signed, "1 0 R", false, uobj{num: 5, body: stream(fake, "/Type/ObjStm/N 0/First 0")}), "object 5"},
		{"content redefined disguised as /Type/XRef", appendUpdate(t, signed, "1 0 R", false, uobj{num: 5, body: stream(fake, "/Type/XRef/W[1 1 1]/Size 1")}), "object 5"},
		{"content redefined with another generation", appendUpdate(t, signed, "1 0 R", false, uobj{num: 5, gen: 1, body: stream(fake, "")}), "generation"},
		{"content redefined through an xref stream", appendUpdate(t, signed, "1 0 R", true, uobj{num: 5, body: stream(fake, "")}), "object 5"},
		{"content redefined through a hybrid file's /XRefStm", hybrid(signed, 5, stream(fake, "")), "object 5"},
		{"content freed", appendUpdate(t, signed, "1 0 R", false, uobj{num: 5, gen: 1, free: true}), "deleted"},
		{"content freed then reused", appendUpdate(t, appendUpdate(t, signed, "1 0 R", false, uobj{num: 5, gen: 1, free: true}), "1 0 R", false, uobj{num: 5, gen: 1, body: stream(fake, "")}), "generation"},
		{"square annotation over the page", annot("Square"), "/Square"},
		{"free text annotation", annot("FreeText"), "/FreeText"},
		{"stamp annotation", annot("Stamp"), "/Stamp"},
		{"font changed", appendUpdate(t, signed, "1 0 R", false, uobj{num: 3, body: "<</Type/Font/Subtype/Type1/BaseFont/Courier/Encoding/WinAnsiEncoding>>"}), "object 3"},
		{"page resources changed (XObject added)", appendUpdate(t, signed, "1 0 R", false,
			uobj{num: n, body: stream("0 0 0 rg 0 0 595 842 re f", "/Type/XObject/Subtype/Form/BBox[0 0 595 842]")},
			uobj{num: 4, body: withKey(si.page, "Resources", types.Dict{"Font": types.Dict{"F1": *types.NewIndirectRef(3, 0)}, "XObject": types.Dict{"X1": *types.NewIndirectRef(n, 0)}})}), "page 1's /Resources"},
		{"optional content added to the catalog", appendUpdate(t, signed, "1 0 R", false,
			uobj{num: 1, body: withKey(si.catalog, "OCProperties", types.Dict{"OCGs": types.Array{}, "D": types.Dict{}})}), "/OCProperties"},
		{"shadow hide-and-replace: optional content switched on", shadow.ocOn, "object"},
		{"shadow hide: an empty content stream of the signed page filled", shadow.hide, "object"},
		{"shadow replace: xref points object 5 at a prepared definition", shadow.replace, "object 5"},
		{"shadow replace: font object swapped for a prepared one", shadow.font, "page 1's /Resources"},
		{"USF: signature dictionary without /ByteRange", usf(t, signed, si, "/Contents<00>"), "no /ByteRange"},
		{"USF: /ByteRange with 6 numbers", usf(t, signed, si, fmt.Sprintf("/ByteRange[0 %d %d %d 0 0]/Contents<00>", si.hole[0], si.hole[1], len(signed)-si.hole[1])), "6 numbers"},
		{"USF: /Contents null", usf(t, signed, si, fmt.Sprintf("/ByteRange[0 %d %d %d]/Contents null", si.hole[0], si.hole[1], len(signed)-si.hole[1])), "/Contents"},
		{"USF: no /Contents", usf(t, signed, si, fmt.Sprintf("/ByteRange[0 %d %d %d]", si.hole[0], si.hole[1], len(signed)-si.hole[1])), "/Contents"},
		{"ISA: bytes inserted inside the signed range", insertAt(signed, si.hole[1]+1, "\n% inserted\n"), "signature dictionary"},
		{"ISA: a text changed in place", bytes.Replace(signed, []byte("Quyet dinh so 100"), []byte("Quyet dinh so 999"), 1), "do not match"},
		{"SWA: second signature whose CMS lies in the first /Contents", wrap(t, signed, si, n, si.hole, false), "not this signature's /Contents"},
		{"SWA: second signature with overlapping hole", wrap(t, signed, si, n, [2]int{si.hole[0] + 2, si.hole[1]}, false), "/ByteRange"},
		{"SWA: the signed tail moved", append(append(append([]byte{}, signed[:si.hole[1]]...), "\n1 0 obj\n<</Type/Catalog>>\nendobj\n"...), signed[si.hole[1]:]...), "/ByteRange hole"},
		{"decoy TSA chain", decoyTSA(t, e), "time stamp"},
		{"time stamp signed by a trusted certificate that is no TSA", officerTSA(t, e), "timeStamping"},
		{"replayed signature from another document", replay(t, e), "do not match"},
	}
}

func TestAttacks(t *testing.T) {
	e := newAttackEnv(t)
	for _, tt := range attackCases(t, e) {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Verify(context.Background(), tt.pdf, VerifyOptions{Roots: e.pki.Roots()})
			if err != nil {
				t.Fatalf("error instead of a verdict: %v", err)
			}
			if rep.Valid {
				t.Fatalf("attacked file reported valid: %+v", rep)
			}
			var all []string
			for _, s := range rep.Signatures {
				all = append(all, s.Problems...)
			}
			all = append(all, rep.Problems...)
			if !strings.Contains(strings.Join(all, "\n"), tt.want) {
				t.Errorf("no problem names %q: %q", tt.want, all)
			}
		})
	}
}

func insertAt(b []byte, at int, s string) []byte {
	return append(append(append([]byte{}, b[:at]...), s...), b[at:]...)
}

// usf points the signed field at a new signature dictionary with body.
func usf(t testing.TB, signed []byte, si signedInfo, body string) []byte {
	n := si.size + 20
	x, _ := parse(context.Background(), signed)
	w := (&graph{x: x}).dict(*types.NewIndirectRef(si.widget, 0))
	return appendUpdate(t, signed, "1 0 R", false,
		uobj{num: n, body: "<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached" + body + ">>"},
		uobj{num: si.widget, body: withKey(w, "V", *types.NewIndirectRef(n, 0))})
}

// wrap adds a second signature field whose byte range has the given hole
// (the first signature's /Contents) and whose own /Contents is zeros.
func wrap(t testing.TB, signed []byte, si signedInfo, n int, hole [2]int, _ bool) []byte {
	x, _ := parse(context.Background(), signed)
	g := &graph{x: x}
	af := g.dict(*types.NewIndirectRef(si.acroForm, 0))
	fields := append(append(types.Array{}, si.fields...), *types.NewIndirectRef(n+1, 0))
	annots := append(append(types.Array{}, si.page["Annots"].(types.Array)...), *types.NewIndirectRef(n+1, 0))
	return appendUpdate(t, signed, "1 0 R", false,
		uobj{num: n, body: fmt.Sprintf("<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange[0 %d %d %d]/Contents<%s>>>", hole[0], hole[1], len(signed)-hole[1], strings.Repeat("0", 64))},
		uobj{num: n + 1, body: fmt.Sprintf("<</Type/Annot/Subtype/Widget/FT/Sig/T(Sig2)/V %d 0 R/P 4 0 R/Rect[0 0 0 0]/F 132>>", n)},
		uobj{num: si.acroForm, body: withKey(af, "Fields", fields)},
		uobj{num: 4, body: withKey(si.page, "Annots", annots)})
}

type shadowFiles struct{ ocOn, hide, replace, font []byte }

// shadowBase signs files that carry, in the signed revision, content
// prepared to be shown later, and makes it visible after signing.
func shadowBase(t testing.TB, e *attackEnv) shadowFiles {
	var out shadowFiles
	// Hide-and-replace with optional content: text under an OCG that is OFF.
	{
		objs := []string{
			"<</Type/Catalog/Pages 2 0 R/OCProperties 7 0 R>>",
			"<</Type/Pages/Count 1/Kids[4 0 R]>>",
			"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
			"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>/Properties<</oc1 6 0 R>>>>/Contents 5 0 R>>",
			stream("BT /F1 18 Tf 72 760 Td (Quyet dinh so 100) Tj ET /OC /oc1 BDC 1 1 1 rg 0 700 595 142 re f BT 0 0 0 rg /F1 18 Tf 72 760 Td (Quyet dinh so 999) Tj ET EMC", ""),
			"<</Type/OCG/Name(hidden)>>",
			"<</OCGs[6 0 R]/D<</OFF[6 0 R]/ON[]>>>>",
		}
		signed := e.sign(t, rawPDF(objs, ""), LevelDefault, false)
		out.ocOn = appendUpdate(t, signed, "1 0 R", false, uobj{num: 7, body: "<</OCGs[6 0 R]/D<</ON[6 0 R]/OFF[]>>>>"})
	}
	// Hide: the page's content is an array with a prepared empty stream.
	{
		objs := []string{
			"<</Type/Catalog/Pages 2 0 R>>",
			"<</Type/Pages/Count 1/Kids[4 0 R]>>",
			"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
			"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents[5 0 R 6 0 R]>>",
			stream("BT /F1 18 Tf 72 760 Td (Quyet dinh so 100) Tj ET", ""),
			stream(" ", ""),
		}
		signed := e.sign(t, rawPDF(objs, ""), LevelDefault, false)
		out.hide = appendUpdate(t, signed, "1 0 R", false, uobj{num: 6, body: stream("1 1 1 rg 0 700 595 142 re f", "")})
	}
	// Replace: a second definition of object 5 sits unused in the signed
	// bytes; after signing, an xref section points at it.
	{
		objs := []string{
			"<</Type/Catalog/Pages 2 0 R>>",
			"<</Type/Pages/Count 1/Kids[4 0 R]>>",
			"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
			"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents 5 0 R>>",
			stream("BT /F1 18 Tf 72 760 Td (Quyet dinh so 100) Tj ET", ""),
		}
		prepared := "5 0 obj\n" + stream(fake, "") + "\nendobj\n"
		base := rawPDF(objs, prepared)
		at := bytes.Index(base, []byte(prepared))
		signed := e.sign(t, base, LevelDefault, false)
		out.replace = appendUpdate(t, signed, "1 0 R", false, uobj{num: 5, at: at})
	}
	// Replace the font: a second font is prepared; after signing the page uses it.
	{
		objs := []string{
			"<</Type/Catalog/Pages 2 0 R>>",
			"<</Type/Pages/Count 1/Kids[4 0 R]>>",
			"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
			"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents 5 0 R>>",
			stream("BT /F1 18 Tf 72 760 Td (Quyet dinh so 100) Tj ET", ""),
			"<</Type/Font/Subtype/Type1/BaseFont/Symbol>>",
		}
		signed := e.sign(t, rawPDF(objs, ""), LevelDefault, false)
		x, _ := parse(context.Background(), signed)
		page := (&graph{x: x}).dict(*types.NewIndirectRef(4, 0))
		out.font = appendUpdate(t, signed, "1 0 R", false, uobj{num: 4, body: withKey(page, "Resources", types.Dict{"Font": types.Dict{"F1": *types.NewIndirectRef(6, 0)}})})
	}
	return out
}

// rawPDF writes objs as objects 1..n with a classic xref; extra is written
// after them and before the xref, unreferenced.
func rawPDF(objs []string, extra string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := []int{}
	for i, o := range objs {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	b.WriteString(extra)
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f\r\n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n\r\n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

// decoyTSA re-signs a genuine signature's time-stamp token with a
// self-made TSA (critical timeStamping usage, self-signed), adds the real
// TSA's certificate to the token as a decoy, and puts the CMS back.
func decoyTSA(t testing.TB, e *attackEnv) []byte {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	tpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: e.pki.TSA().Chain[0].Subject.CommonName},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: oidExtKeyUsageExt, Critical: true, Value: eku}}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	fakeCert, _ := x509.ParseCertificate(der)
	return resignToken(t, e, fakeCert, key)
}

// officerTSA re-signs the time-stamp token with the officer's own key: a
// certificate that chains to the trusted root but is no TSA.
func officerTSA(t testing.TB, e *attackEnv) []byte {
	c, err := e.pki.Officer("linh")
	if err != nil {
		t.Fatal(err)
	}
	return resignToken(t, e, c.Chain[0], c.Signer)
}

func resignToken(t testing.TB, e *attackEnv, cert *x509.Certificate, key crypto.Signer) []byte {
	signed := e.sign(t, padestest.PDF(1, false), LevelT, false)
	si := inspect(t, signed)
	raw, err := hex.DecodeString(string(signed[si.hole[0]+1 : si.hole[1]-1]))
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseCMS(raw)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := pkcs7.Parse(p.tsToken)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := pkcs7.NewSignedData(tok.Content)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetContentType(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4})
	if err := sd.AddSigner(cert, key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range e.pki.TSA().Chain {
		sd.AddCertificate(c)
	}
	forged, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	cms, err := buildCMS(p.certs, p.hash, p.attrsDER, p.signature, forged)
	if err != nil {
		t.Fatal(err)
	}
	return putContents(t, signed, si.hole, cms)
}

func putContents(t testing.TB, pdf []byte, hole [2]int, cms []byte) []byte {
	room := (hole[1] - hole[0] - 2) / 2
	if len(cms) > room {
		t.Fatalf("CMS of %d bytes does not fit %d", len(cms), room)
	}
	out := bytes.Clone(pdf)
	h := hex.EncodeToString(cms) + strings.Repeat("0", 2*room-2*len(cms))
	copy(out[hole[0]+1:], h)
	return out
}

// replay puts the CMS of another signed document into this one's /Contents.
func replay(t testing.TB, e *attackEnv) []byte {
	a := e.sign(t, padestest.PDF(1, false), LevelT, false)
	b := e.sign(t, padestest.PDF(2, false), LevelT, false)
	return putContents(t, a, inspect(t, a).hole, contentsOf(t, b))
}

func TestBenign(t *testing.T) {
	e := newAttackEnv(t)
	lt := e.sign(t, padestest.PDF(1, false), LevelDefault, true)
	xs, err := padestest.XRefStreamPDF(2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pdf  []byte
		sigs int
	}{
		{"B-LT with its DSS revision", lt, 1},
		{"B-T", e.sign(t, padestest.PDF(1, false), LevelT, false), 1},
		{"B-B", e.sign(t, padestest.PDF(1, false), LevelB, true), 1},
		{"xref streams", e.sign(t, xs, LevelDefault, true), 1},
		{"officer then agency seal", e.seal(t, lt), 2},
		{"mail gateway footer after %%EOF", append(bytes.Clone(lt), "\r\n-- \r\nThis message was scanned by MailGuard. Confidential.\r\n"...), 1},
		{"NULs after %%EOF", append(bytes.Clone(lt), make([]byte, 1000)...), 1},
		{"optional content in the signed revision, untouched", e.sign(t, rawPDF([]string{
			"<</Type/Catalog/Pages 2 0 R/OCProperties<</OCGs[5 0 R]/D<</OFF[5 0 R]>>>>>>",
			"<</Type/Pages/Count 1/Kids[3 0 R]>>",
			"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>",
			stream("0 0 1 rg 10 10 100 100 re f", ""),
			"<</Type/OCG/Name(x)>>",
		}, ""), LevelDefault, true), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := e.verify(t, tt.pdf)
			if !rep.Valid || len(rep.Signatures) != tt.sigs {
				t.Fatalf("benign file not valid: %+v", rep)
			}
		})
	}
}

func TestRevocation(t *testing.T) {
	e := newAttackEnv(t)
	bt := e.sign(t, padestest.PDF(1, false), LevelT, false)
	lt := e.sign(t, padestest.PDF(1, false), LevelLT, false)
	bb := e.sign(t, padestest.PDF(1, false), LevelB, false)
	check := func(name string, pdf []byte, o VerifyOptions, want, source string, valid bool) {
		t.Run(name, func(t *testing.T) {
			o.Roots = e.pki.Roots()
			rep, err := Verify(context.Background(), pdf, o)
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Signatures[0]
			if s.Revocation != want || s.RevocationSource != source || rep.Valid != valid {
				t.Errorf("revocation %q from %q, valid %v; want %q from %q, valid %v (%q)", s.Revocation, s.RevocationSource, rep.Valid, want, source, valid, s.Problems)
			}
		})
	}
	check("B-LT: from the DSS", lt, VerifyOptions{}, "good", "dss", true)
	check("B-T: asked online", bt, VerifyOptions{}, "good", "ocsp", true)
	check("B-T offline: unknown, not valid", bt, VerifyOptions{Offline: true}, "unknown", "", false)
	dead := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, fmt.Errorf("network down") })}
	check("B-T, no responder answers: unknown, not valid", bt, VerifyOptions{HTTPClient: dead}, "unknown", "", false)
	c, _ := e.pki.Officer("linh")
	if err := e.pki.Revoke(c.Chain[0].SerialNumber); err != nil {
		t.Fatal(err)
	}
	check("B-B after revocation: revoked (no time stamp proves it signed before)", bb, VerifyOptions{}, "revoked", "ocsp", false)
	check("B-T time-stamped before the revocation: good", bt, VerifyOptions{}, "good", "ocsp", true)
	check("B-LT signed before the revocation: still good", lt, VerifyOptions{}, "good", "dss", true)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// inObjStm appends an update that redefines object num inside an object
// stream, indexed by a cross-reference stream (type 2 entry).
func inObjStm(t *testing.T, base []byte, num int, body string) []byte {
	m := startxrefRE.FindSubmatch(base)
	size := 0
	for _, s := range sizeRE.FindAllSubmatch(base, -1) {
		n, _ := strconv.Atoi(string(s[1]))
		size = max(size, n)
	}
	stm, xr := size, size+1
	head := fmt.Sprintf("%d 0 ", num)
	var b bytes.Buffer
	b.Write(base)
	stmOff := b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n<</Type/ObjStm/N 1/First %d/Length %d>>\nstream\n%s%s\nendstream\nendobj\n", stm, len(head), len(head)+len(body), head, body)
	xrOff := b.Len()
	data := []byte{2, 0, 0, byte(stm >> 8), byte(stm), 0, 0, 1, byte(stmOff >> 24), byte(stmOff >> 16), byte(stmOff >> 8), byte(stmOff), 0, 0, 1, byte(xrOff >> 24), byte(xrOff >> 16), byte(xrOff >> 8), byte(xrOff), 0, 0}
	fmt.Fprintf(&b, "%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Index[%d 1 %d 2]/Root 1 0 R/Prev %s/Length %d>>\nstream\n", xr, xr+1, num, stm, m[1], len(data))
	b.Write(data)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xrOff)
	return b.Bytes()
}

func TestAttackThroughObjectStream(t *testing.T) {
	e := newAttackEnv(t)
	signed := e.sign(t, padestest.PDF(1, false), LevelDefault, true)
	si := inspect(t, signed)
	n := si.size + 10
	page := withKey(si.page, "Contents", *types.NewIndirectRef(n, 0))
	attacked := appendUpdate(t, inObjStm(t, signed, 4, page), "1 0 R", false, uobj{num: n, body: stream(fake, "")})
	rep := e.verify(t, attacked)
	if rep.Valid || !strings.Contains(strings.Join(rep.Signatures[0].Problems, "\n"), "page 1's /Contents") {
		t.Errorf("page redefined in an object stream: %+v", rep.Signatures[0].Problems)
	}
}

// docTimestamp appends a document time stamp (ETSI.RFC3161) from our TSA,
// in a new invisible signature field, as a PAdES B-LTA archive update does.
func docTimestamp(t testing.TB, e *attackEnv, signed []byte) []byte {
	si := inspect(t, signed)
	x, _ := parse(context.Background(), signed)
	g := &graph{x: x}
	af := g.dict(*types.NewIndirectRef(si.acroForm, 0))
	n := si.size + 30
	fields := append(append(types.Array{}, si.fields...), *types.NewIndirectRef(n+1, 0))
	annots := append(append(types.Array{}, si.page["Annots"].(types.Array)...), *types.NewIndirectRef(n+1, 0))
	const room = 8192
	placeholder := "/ByteRange[0 0000000000 0000000000 0000000000]"
	out := appendUpdate(t, signed, "1 0 R", false,
		uobj{num: n, body: "<</Type/DocTimeStamp/Filter/Adobe.PPKLite/SubFilter/ETSI.RFC3161" + placeholder + "/Contents<" + strings.Repeat("0", 2*room) + ">>>"},
		uobj{num: n + 1, body: fmt.Sprintf("<</Type/Annot/Subtype/Widget/FT/Sig/T(DocTS)/V %d 0 R/P 4 0 R/Rect[0 0 0 0]/F 132>>", n)},
		uobj{num: si.acroForm, body: withKey(af, "Fields", fields)},
		uobj{num: 4, body: withKey(si.page, "Annots", annots)})
	br := bytes.LastIndex(out, []byte(placeholder))
	c0 := br + len(placeholder) + len("/Contents")
	c1 := c0 + 2 + 2*room
	nums := fmt.Sprintf("/ByteRange[0 %-10d %-10d %-10d]", c0, c1, len(out)-c1)
	copy(out[br:], nums)
	data := append(append([]byte{}, out[:c0]...), out[c1:]...)
	token, _, err := requestTimestamp(context.Background(), &http.Client{Timeout: 5 * time.Second}, e.pki.TSAURL(), data)
	if err != nil {
		t.Fatal(err)
	}
	copy(out[c0+1:], hex.EncodeToString(token))
	return out
}

func TestDocumentTimestamp(t *testing.T) {
	e := newAttackEnv(t)
	lt := e.sign(t, padestest.PDF(1, false), LevelDefault, true)
	lta := docTimestamp(t, e, lt)
	rep := e.verify(t, lta)
	if !rep.Valid || len(rep.Signatures) != 2 || rep.Signatures[1].SubFilter != "ETSI.RFC3161" || !rep.Signatures[1].Timestamped {
		t.Fatalf("a document time stamp after B-LT: %+v", rep)
	}
	// Changing the page after the document time stamp breaks both.
	attacked := appendUpdate(t, lta, "1 0 R", false, uobj{num: 5, body: stream(fake, "")})
	rep = e.verify(t, attacked)
	if rep.Valid || rep.Signatures[0].Valid || rep.Signatures[1].Valid {
		t.Errorf("content changed after the document time stamp: %+v", rep)
	}
}

// TestSignerUsage: a certificate whose extended key usage is for TLS
// servers, or that has no signing key usage, does not sign documents, even
// when it chains to a trusted root.
func TestSignerUsage(t *testing.T) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test root"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, tt := range []struct {
		name string
		ku   x509.KeyUsage
		eku  []x509.ExtKeyUsage
		ok   bool
	}{
		{"document signer", x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment, []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}, true},
		{"no extended key usage", x509.KeyUsageDigitalSignature, nil, true},
		{"TLS server", x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, false},
		{"any extended key usage", x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, false},
		{"time stamping", x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}, false},
		{"no key usage", 0, nil, false},
		{"key agreement only", x509.KeyUsageKeyAgreement, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			tpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: tt.name}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: tt.ku, ExtKeyUsage: tt.eku}
			der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &key.PublicKey, caKey)
			if err != nil {
				t.Fatal(err)
			}
			leaf, _ := x509.ParseCertificate(der)
			p, err := Prepare(context.Background(), padestest.PDF(1, false), Options{Chain: []*x509.Certificate{leaf, ca}, Level: LevelB, Roots: roots})
			if err != nil {
				t.Fatal(err)
			}
			sig, err := key.Sign(rand.Reader, p.Digest(), p.Hash())
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Embed(context.Background(), sig)
			if (err == nil) != tt.ok {
				t.Errorf("signing and verifying: %v, want ok %v", err, tt.ok)
			}
		})
	}
}

// hybrid appends an update whose classic xref section is empty and whose
// trailer's /XRefStm names a cross-reference stream redefining object num.
func hybrid(base []byte, num int, body string) []byte {
	m := startxrefRE.FindSubmatch(base)
	var b bytes.Buffer
	b.Write(base)
	off := b.Len()
	fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", num, body)
	xs := b.Len()
	data := []byte{1, byte(off >> 24), byte(off >> 16), byte(off >> 8), byte(off), 0, 0}
	fmt.Fprintf(&b, "900 0 obj\n<</Type/XRef/Size 901/W[1 4 2]/Index[%d 1]/Length %d>>\nstream\n", num, len(data))
	b.Write(data)
	b.WriteString("\nendstream\nendobj\n")
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 0\ntrailer\n<</Size 901/Root 1 0 R/Prev %s/XRefStm %d>>\nstartxref\n%d\n%%%%EOF\n", m[1], xs, x)
	return b.Bytes()
}
