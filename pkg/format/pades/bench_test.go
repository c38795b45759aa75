package pades_test

import (
	"context"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/pades"
	"github.com/sohoa/sohoa/pkg/format/pades/padestest"
)

func benchmarkSign(b *testing.B, pages int, level pades.Level) {
	e := newEnv(b)
	o := e.officer(b, "linh")
	o.Level, o.Visible, o.Revocation = level, &pades.Appearance{}, pades.NewRevocationCache(0)
	pdf := padestest.PDF(pages, true)
	b.SetBytes(int64(len(pdf)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := pades.Sign(context.Background(), pdf, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSign1PageBB(b *testing.B)  { benchmarkSign(b, 1, pades.LevelB) }
func BenchmarkSign1PageBLT(b *testing.B) { benchmarkSign(b, 1, pades.LevelLT) }

// benchmarkVerify verifies a B-LT result of pages scanned-looking pages
// (about 0.5 MB each): the signature, the time stamp, the DSS revocation
// data and the modification analysis of the DSS revision.
func benchmarkVerify(b *testing.B, pages int) {
	e := newEnv(b)
	signed, err := pades.Sign(context.Background(), padestest.PDF(pages, true), e.officer(b, "linh"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(signed)))
	b.ResetTimer()
	for b.Loop() {
		if rep, err := pades.Verify(context.Background(), signed, pades.VerifyOptions{Roots: e.pki.Roots()}); err != nil || !rep.Valid {
			b.Fatal(err, rep)
		}
	}
}

func BenchmarkVerify1Page(b *testing.B)  { benchmarkVerify(b, 1) }
func BenchmarkVerify20Page(b *testing.B) { benchmarkVerify(b, 20) }
