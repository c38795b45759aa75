package main

import (
	"bytes"
	"context"
	"image"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/format/ocr"
	"github.com/sohoa/sohoa/pkg/format/ocr/ocrtest"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
	"github.com/sohoa/sohoa/pkg/format/separator"
)

// BenchmarkOCRDossierToValidated: a 100-page dossier (a 94-page declaration,
// a birth certificate, a CCCD front and back, three separator sheets) from
// upload to VALIDATED with OCR on: the CCCD check does not wait for the
// declaration's 94 pages, which are read afterwards. make bench reports it.
func BenchmarkOCRDossierToValidated(b *testing.B) {
	if err := ocr.Available(); err != nil {
		b.Skip(err)
	}
	fonts, err := ocrtest.LoadFonts()
	if err != nil {
		b.Fatal(err)
	}
	card := ocrtest.Specimen(8)
	front, _ := fonts.CardSheet(card, false)
	back, _ := fonts.CardSheet(card, true)
	s := ocrtest.Scan{DPI: 200, Skew: 0.3}
	sep := func(code string) *image.Gray {
		img, err := scantest.SeparatorImage(code, code)
		if err != nil {
			b.Fatal(err)
		}
		return scantest.Transform(img, separator.DPI, 200, 0.4)
	}
	form := ocrtest.Print(fonts.TextPage(ocrtest.BirthDeclarationTitle, ocrtest.BirthDeclaration), s)
	pages := []*image.Gray{sep("TKKS")}
	for range 94 {
		pages = append(pages, form)
	}
	pages = append(pages, sep("GCS"), form, sep("CCCD"), ocrtest.Print(front, s), ocrtest.Print(back, s))
	pdf, err := ocrtest.PDF(pages, s)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := Start(context.Background(), Options{Addr: "127.0.0.1:0", DataDir: b.TempDir(), OCR: true, Dev: true,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		clerk := identity.Actor{Subject: "clerk-01", Role: identity.Clerk, Name: "Trần Thị Mai", PostOffice: "Bưu cục Hoàn Kiếm"}
		d, err := st.Dossiers.Create(ctx, clerk, dossier.CreateInput{Procedure: birthReg,
			Citizen: dossier.Citizen{ID: card.ID, Name: card.Name, Phone: "0912345678"}, PostOffice: clerk.PostOffice})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := st.Dossiers.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(pdf)); err != nil {
			b.Fatal(err)
		}
		for d.Status == dossier.Scanned || d.Status == dossier.Received {
			if time.Since(start) > 10*time.Minute {
				b.Fatal("not ingested after 10 minutes")
			}
			time.Sleep(50 * time.Millisecond)
			if d, err = st.Dossiers.Get(ctx, clerk, d.ID); err != nil {
				b.Fatal(err)
			}
		}
		took := time.Since(start)
		b.StopTimer()
		if d.Status != dossier.Validated {
			b.Fatalf("status %s %+v", d.Status, d.Findings)
		}
		total += took
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_ = st.Shutdown(sctx) // interrupts the declaration's OCR job
		cancel()
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s-to-VALIDATED")
}
