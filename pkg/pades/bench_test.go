package pades_test

import (
	"context"
	"testing"

	"github.com/sohoa/sohoa/pkg/pades"
	"github.com/sohoa/sohoa/pkg/pades/padestest"
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

func BenchmarkVerify1Page(b *testing.B) {
	e := newEnv(b)
	signed, err := pades.Sign(context.Background(), padestest.PDF(1, true), e.officer(b, "linh"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(signed)))
	for b.Loop() {
		if rep, err := pades.Verify(context.Background(), signed, pades.VerifyOptions{Roots: e.pki.Roots()}); err != nil || !rep.Valid {
			b.Fatal(err)
		}
	}
}
