package pades

// Fuzz targets for the code that decides whether a forged document is
// accepted: Verify as a whole, the CMS parser, and the locator that finds a
// signature dictionary's /Contents and /ByteRange in the file's bytes. They
// start from files our signer produced and from the attack suite's files.

import (
	"bytes"
	"context"
	"encoding/asn1"
	"encoding/hex"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
)

// fuzzMaxPDF bounds the fuzzed files: large enough for every seed, small
// enough that one run stays quick.
const fuzzMaxPDF = 256 << 10

// fuzzSeeds are signed files at each level, a document time stamp and the
// attack suite's files.
func fuzzSeeds(f *testing.F, e *attackEnv) [][]byte {
	f.Helper()
	signed := e.sign(f, padestest.PDF(1, false), LevelDefault, true)
	out := [][]byte{
		signed,
		e.sign(f, padestest.PDF(1, false), LevelB, false),
		e.sign(f, padestest.PDF(2, false), LevelT, false),
		e.seal(f, padestest.PDF(1, false)),
		docTimestamp(f, e, signed),
	}
	for _, c := range attackCases(f, e) {
		out = append(out, c.pdf)
	}
	return out
}

// signedRanges reads, independently of Verify's checks, the /ByteRange of
// every signature field named name.
func signedRanges(pdf []byte, name string) [][4]int64 {
	doc, _, _ := splitTrailing(pdf)
	x, err := parse(context.Background(), doc)
	if err != nil {
		return nil
	}
	v := &verifier{pdf: doc, x: x}
	fs, err := v.signatureFields()
	if err != nil {
		return nil
	}
	var out [][4]int64
	for _, f := range fs {
		br, ok := f.v["ByteRange"].(types.Array)
		if f.name != name || !ok || len(br) != 4 {
			continue
		}
		var r [4]int64
		for i, o := range br {
			n, _ := o.(types.Integer)
			r[i] = int64(n)
		}
		out = append(out, r)
	}
	return out
}

func FuzzVerify(f *testing.F) {
	e := newAttackEnv(f)
	for _, s := range fuzzSeeds(f, e) {
		f.Add(s)
	}
	roots := e.pki.Roots()
	f.Fuzz(func(t *testing.T, pdf []byte) {
		rep, err := Verify(context.Background(), pdf, VerifyOptions{Roots: roots, Offline: true, MaxSize: fuzzMaxPDF, Timeout: 10 * time.Second})
		if err != nil {
			if rep != nil {
				t.Fatalf("a report and an error: %v", err)
			}
			// An error is the caller's (an errs kind), never an internal fault.
			if k := errs.KindOf(err); k == errs.Internal {
				t.Fatalf("error of kind %v: %v", k, err)
			}
			if len(pdf) > fuzzMaxPDF && errs.KindOf(err) != errs.TooLarge {
				t.Fatalf("a file over the limit gave %v", err)
			}
			return
		}
		if rep == nil {
			t.Fatal("no report and no error")
		}
		if len(pdf) > fuzzMaxPDF {
			t.Fatalf("a file of %d bytes, over the limit of %d, got a report", len(pdf), fuzzMaxPDF)
		}
		all := len(rep.Signatures) > 0 && len(rep.Problems) == 0
		for _, s := range rep.Signatures {
			all = all && s.Valid
			if s.Valid && (!s.Intact || !s.Trusted || len(s.ModifiedAfter) > 0) {
				t.Fatalf("signature %q valid but intact=%v trusted=%v modified=%q", s.Field, s.Intact, s.Trusted, s.ModifiedAfter)
			}
			if s.Valid && len(s.Problems) > 0 {
				t.Fatalf("signature %q valid with problems %q", s.Field, s.Problems)
			}
			if !s.Intact {
				continue
			}
			// An intact signature covers bytes of this file only: some field
			// of its name has a /ByteRange inside the file, hole included.
			inside := false
			for _, r := range signedRanges(pdf, s.Field) {
				if r[0] == 0 && r[1] > 0 && r[2] > r[1] && r[3] >= 0 && r[2]+r[3] <= int64(len(pdf)) {
					inside = true
				}
			}
			if !inside {
				t.Fatalf("signature %q intact but no /ByteRange of its field lies inside the %d bytes", s.Field, len(pdf))
			}
		}
		if rep.Valid != all {
			t.Fatalf("report valid=%v, its signatures and problems say %v", rep.Valid, all)
		}
	})
}

// contentsOf returns the DER in the first signature's /Contents of pdf.
func contentsOf(t testing.TB, pdf []byte) []byte {
	si := inspect(t, pdf)
	padded, err := hex.DecodeString(string(pdf[si.hole[0]+1 : si.hole[1]-1]))
	if err != nil {
		t.Fatal(err)
	}
	var rv asn1.RawValue
	if _, err := asn1.Unmarshal(padded, &rv); err != nil {
		t.Fatal(err)
	}
	return rv.FullBytes
}

func FuzzParseCMS(f *testing.F) {
	e := newAttackEnv(f)
	for _, level := range []Level{LevelB, LevelT, LevelDefault} {
		der := contentsOf(f, e.sign(f, padestest.PDF(1, false), level, false))
		f.Add(der)
		if p, err := parseCMS(der); err == nil && len(p.tsToken) > 0 {
			f.Add(p.tsToken)
		}
	}
	f.Add(contentsOf(f, decoyTSA(f, e)))
	f.Fuzz(func(t *testing.T, der []byte) {
		if len(der) > 64<<10 {
			return
		}
		p, err := parseCMS(der)
		if err != nil {
			if p != nil {
				t.Fatalf("a result and an error: %v", err)
			}
			return
		}
		if p.hash == 0 || !p.hash.Available() {
			t.Fatalf("parsed with digest %v", p.hash)
		}
		if p.signer == nil {
			t.Fatal("parsed without a signer")
		}
		found := false
		for _, c := range p.certs {
			found = found || c == p.signer
		}
		if !found {
			t.Fatal("the signer is not one of the CMS's certificates")
		}
		if len(p.attrsDER) == 0 {
			t.Fatal("parsed without signed attributes")
		}
		var set asn1.RawValue
		if rest, err := asn1.Unmarshal(p.attrsDER, &set); err != nil || len(rest) > 0 || set.Tag != asn1.TagSet {
			t.Fatalf("the signed attributes are not one DER SET: %v", err)
		}
		_ = p.messageDigest() // must not panic on any attribute value
	})
}

// FuzzSigDictSpans fuzzes the locator of a signature dictionary's /Contents
// and /ByteRange: whatever the bytes, the spans it returns lie inside the
// file, after the object's offset, and do not overlap.
func FuzzSigDictSpans(f *testing.F) {
	e := newAttackEnv(f)
	for _, pdf := range [][]byte{
		e.sign(f, padestest.PDF(1, false), LevelB, true),
		e.sign(f, padestest.PDF(2, false), LevelDefault, false),
	} {
		si := inspect(f, pdf)
		x, err := parse(context.Background(), pdf)
		if err != nil {
			f.Fatal(err)
		}
		en := x.Table[si.sigDict]
		if en == nil || en.Offset == nil {
			f.Fatal("the signature dictionary has no offset")
		}
		off := *en.Offset
		// The object alone, as the locator sees it from its offset.
		end := off + int64(bytes.Index(pdf[off:], []byte("endobj"))) + 6
		f.Add(pdf[off:end], int64(0), si.sigDict)
		f.Add(pdf, off, si.sigDict)
	}
	f.Add([]byte("7 0 obj <</Contents<00>/ByteRange[0 1 2 3]/Contents<00>>> endobj"), int64(0), 7)
	f.Add([]byte("7 0 obj <</ByteRange 5 0 R/Contents[<00>]/X<</Y(()\\))>>>> endobj"), int64(0), 7)
	f.Fuzz(func(t *testing.T, pdf []byte, off int64, num int) {
		if len(pdf) > fuzzMaxPDF {
			return
		}
		contents, byteRange, err := sigDictSpans(pdf, off, num)
		if err != nil {
			return
		}
		for _, s := range [][2]int{contents, byteRange} {
			if int64(s[0]) <= off || s[0] >= s[1] || s[1] > len(pdf) {
				t.Fatalf("span %v outside the object at %d in %d bytes", s, off, len(pdf))
			}
		}
		if contents[0] < byteRange[1] && byteRange[0] < contents[1] {
			t.Fatalf("/Contents %v and /ByteRange %v overlap", contents, byteRange)
		}
	})
}
