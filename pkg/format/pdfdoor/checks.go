package pdfdoor

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pades"
)

// isPDF reports whether data starts like a PDF (within the first 1024
// bytes, as readers accept).
func isPDF(data []byte) bool {
	return bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-"))
}

// trialSign signs pdf with a throwaway key, without a time stamp, through
// the same code the officer's signature goes through, including the visible
// appearance and the verification of the output. The throwaway chain has the
// shape of a real one: a root, and a leaf with the signing key usages and the
// documentSigning extended key usage (RFC 9336).
func trialSign(ctx context.Context, pdf []byte, lim Limits) error {
	now := time.Now()
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("trial key: %w", err)
	}
	rootTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Sohoa kiểm tra thử (gốc)"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTpl, rootTpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		return fmt.Errorf("trial certificate: %w", err)
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return fmt.Errorf("trial certificate: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("trial key: %w", err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Sohoa kiểm tra thử"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 36}}} // id-kp-documentSigning
	der, err := x509.CreateCertificate(rand.Reader, tpl, root, &key.PublicKey, rootKey)
	if err != nil {
		return fmt.Errorf("trial certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("trial certificate: %w", err)
	}
	_, err = pades.Sign(ctx, pdf, pades.Options{Signer: key, Chain: []*x509.Certificate{cert, root}, Level: pades.LevelB,
		Name: "Sohoa", Reason: "Kiểm tra thử", Visible: &pades.Appearance{}, MaxSize: lim.MaxBytes, Time: now})
	if err != nil {
		if k := errs.KindOf(err); k == errs.Internal || k == errs.Unavailable {
			// Our signer cannot sign this file: the file's doing, say so as such.
			var e *errs.Error
			msg := err.Error()
			if errors.As(err, &e) {
				msg = e.Message
			}
			return errs.Wrap(errs.Unprocessable, err, "this PDF cannot be signed: %s", msg)
		}
		return err
	}
	return nil
}

// structureProblem finds damage that pdfcpu reads through but other readers
// (and an incremental update appended to the file) do not: a cross-reference
// chain (startxref, then each /Prev) that does not point at cross-reference
// sections or loops, and streams whose /Length does not end at endstream.
func structureProblem(pdf []byte) error {
	tail := pdf[max(0, len(pdf)-2048):]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return errs.E(errs.Unprocessable, "the PDF has no startxref")
	}
	var off int64
	if _, err := fmt.Sscan(string(tail[i+len("startxref"):]), &off); err != nil {
		return errs.E(errs.Unprocessable, "the PDF's startxref is unreadable")
	}
	seen := map[int64]bool{}
	for hops := 0; ; hops++ {
		if off <= 0 || off >= int64(len(pdf)) || hops > 1000 {
			return errs.E(errs.Unprocessable, "the PDF's cross-reference chain points outside the file")
		}
		if seen[off] {
			return errs.E(errs.Unprocessable, "the PDF's cross-reference chain loops (/Prev)")
		}
		seen[off] = true
		at := bytes.TrimLeft(pdf[off:min(int64(len(pdf)), off+64)], " \t\r\n\f\x00")
		var end int64 // where this section's trailer dictionary may start
		if bytes.HasPrefix(at, []byte("xref")) {
			j := bytes.Index(pdf[off:], []byte("trailer"))
			if j < 0 {
				return errs.E(errs.Unprocessable, "the PDF's cross-reference table has no trailer")
			}
			end = off + int64(j)
			// A trailer is a dictionary of names: << /Size … >>.
			tr := bytes.TrimLeft(pdf[end+int64(len("trailer")):min(int64(len(pdf)), end+512)], " \t\r\n\f\x00")
			tr, ok := bytes.CutPrefix(tr, []byte("<<"))
			if tr = bytes.TrimLeft(tr, " \t\r\n\f\x00"); !ok || !(bytes.HasPrefix(tr, []byte("/")) || bytes.HasPrefix(tr, []byte(">>"))) {
				return errs.E(errs.Unprocessable, "the PDF's trailer dictionary is damaged")
			}
		} else {
			var n, g int
			var kw string
			if _, err := fmt.Sscan(string(at), &n, &g, &kw); err != nil || kw != "obj" {
				return errs.E(errs.Unprocessable, "the PDF's startxref does not point at its cross-reference table (the offsets are wrong)")
			}
			end = off
		}
		// The /Prev of this section, read from its trailer (or stream dictionary).
		win := pdf[end:min(int64(len(pdf)), end+4096)]
		if k := bytes.Index(win, []byte(">>")); k >= 0 {
			win = win[:k]
		}
		p := bytes.Index(win, []byte("/Prev"))
		if p < 0 {
			return nil
		}
		if _, err := fmt.Sscan(string(win[p+len("/Prev"):]), &off); err != nil {
			return errs.E(errs.Unprocessable, "the PDF's /Prev is unreadable")
		}
	}
}

// contentProblem finds damage no rewrite repairs: a page tree that loops, a
// JPEG image whose data is not a JPEG, a stream whose /Length does not end
// at its endstream.
func contentProblem(ctx context.Context, pdf []byte, lim Limits) (repairable, fatal error) {
	conf := readConfig(lim)
	c, err := pdfcpu.ReadWithContext(ctx, bytes.NewReader(pdf), conf)
	if err != nil {
		return nil, errs.Wrap(errs.Unprocessable, err, "the PDF cannot be read: %v", err)
	}
	x := c.XRefTable
	// The page tree, node by node, each node once.
	if root, err := x.Pages(); err == nil && root != nil {
		seen := map[int]bool{}
		var walk func(r types.IndirectRef, depth int) error
		walk = func(r types.IndirectRef, depth int) error {
			if seen[r.ObjectNumber.Value()] {
				return errs.E(errs.Unprocessable, "the PDF's page tree loops (object %d appears twice)", r.ObjectNumber.Value())
			}
			if depth > lim.MaxDepth {
				return errs.E(errs.Unprocessable, "the PDF's page tree is more than %d levels deep", lim.MaxDepth)
			}
			seen[r.ObjectNumber.Value()] = true
			d, err := x.DereferenceDict(r)
			if err != nil || d == nil {
				return nil
			}
			kids, _ := x.DereferenceArray(d["Kids"])
			for _, k := range kids {
				if kr, ok := k.(types.IndirectRef); ok {
					if err := walk(kr, depth+1); err != nil {
						return err
					}
				}
			}
			return nil
		}
		if err := walk(*root, 0); err != nil {
			return nil, err
		}
	}
	for n, e := range x.Table {
		if e == nil || e.Free || e.Compressed || e.Offset == nil {
			continue
		}
		sd, ok := e.Object.(types.StreamDict)
		if !ok {
			continue
		}
		if sd.StreamLength != nil && sd.StreamOffset > 0 {
			endAt := sd.StreamOffset + *sd.StreamLength
			if endAt < 0 || endAt > int64(len(pdf)) || !bytes.HasPrefix(bytes.TrimLeft(pdf[endAt:min(int64(len(pdf)), endAt+32)], " \t\r\n\f\x00"), []byte("endstream")) {
				repairable = errs.E(errs.Unprocessable, "the /Length of stream object %d does not end at its endstream", n)
			}
		}
		if f, _ := sd.Dict["Filter"].(types.Name); f == "DCTDecode" && sd.StreamLength != nil && sd.StreamOffset > 0 {
			start := sd.StreamOffset
			if start+2 <= int64(len(pdf)) && !bytes.HasPrefix(pdf[start:], []byte("\xFF\xD8")) {
				return nil, errs.E(errs.Unprocessable, "the JPEG image in object %d is damaged (its data is not a JPEG)", n)
			}
		}
	}
	return repairable, nil
}

// hasSignatureBytes says whether pdf may carry a signature: then it is never
// rewritten (a rewrite would break it).
func hasSignatureBytes(pdf []byte) bool {
	return bytes.Contains(pdf, []byte("/ByteRange")) || bytes.Contains(pdf, []byte("/ObjStm"))
}

// rewrite reads pdf with pdfcpu and writes it anew: a clean cross-reference
// table, offsets and /Size. Only for PDFs without signatures.
func rewrite(pdf []byte) ([]byte, error) {
	conf := readConfig(Limits{MaxBytes: int64(len(pdf)) + 1, MaxObjects: 10_000_000, MaxDepth: 100})
	c, err := api.ReadContext(bytes.NewReader(pdf), conf)
	if err != nil {
		return nil, err
	}
	if err := c.EnsurePageCount(); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := api.WriteContext(c, &out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
