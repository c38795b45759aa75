package dossier_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
)

// turnReader is an Extractor that finds the first page of the CCCD turned
// a quarter (it reads upright once turned 90° clockwise).
type turnReader struct{}

func (turnReader) Extract(_ context.Context, in dossier.ExtractInput) (*dossier.Extraction, error) {
	ext := &dossier.Extraction{PDF: in.PDF, Pages: 1, PagesRead: 1, Turns: []int{0}}
	if in.Component == "CCCD" {
		ext.Turns = []int{90, 0, 0}
	}
	return ext, nil
}

// portrait is a w×h grey JPEG, dark on its top row so a turn shows.
func portrait(t *testing.T, w, h int) []byte {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = 255
	}
	for x := range w {
		g.Pix[x] = 0
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, g, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Page images from the scan reader are stored beside the component and
// served, turned upright, to those who may see the dossier's papers.
func TestPageImages(t *testing.T) {
	heavy(t)
	e := newEnv(t)
	c := e.cfg
	small, large := portrait(t, 20, 30), portrait(t, 100, 150)
	lim := scan.DefaultLimits()
	// The scan reader's child renders the images; Split in this process
	// does not, so they are added here as the child would.
	c.Scans = dossier.ScanBytes(func(ctx context.Context, data []byte) (*scan.Result, error) {
		res, err := scan.Split(ctx, data, lim)
		if err != nil {
			return nil, err
		}
		for i := range res.Components {
			for _, p := range res.Components[i].Pages {
				res.Components[i].Thumbs = append(res.Components[i].Thumbs, scan.Thumb{Page: p, Small: small, Large: large})
			}
		}
		return res, nil
	})
	c.Extractor, c.OCRSyncPages = turnReader{}, 100
	var err error
	if e.svc, err = dossier.NewService(c); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d := e.create(t)
	if _, err := e.svc.UploadScan(ctx, clerk, d.ID, "application/pdf", bytes.NewReader(complete(t))); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	cccd := component(t, e, d.ID, "CCCD")
	if len(cccd.Views) != 3 || cccd.Views[0].Turn != 90 || cccd.Views[1].Turn != 0 {
		t.Fatalf("CCCD views %+v, want 3 with the first turned 90°", cccd.Views)
	}
	logged := func() int {
		es, _, err := e.v.Audit(ctx, owner)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, en := range es {
			if strings.Contains(en.Document, "page") {
				n++
			}
		}
		return n
	}
	auditor := identity.Actor{Subject: "kt-01", Role: identity.Auditor}
	tests := []struct {
		name   string
		who    identity.Actor
		code   string
		page   int
		size   string
		want   errs.Kind // Internal: no error
		w, h   int
		logged int
	}{
		{"officer, small", officer, "TKKS", 1, dossier.ImageSmall, errs.Internal, 20, 30, 0},
		{"officer, large, logged", officer, "TKKS", 2, dossier.ImageLarge, errs.Internal, 100, 150, 1},
		{"turned upright", officer, "CCCD", 1, dossier.ImageLarge, errs.Internal, 150, 100, 1},
		{"clerk of the post office", clerk, "CCCD", 2, dossier.ImageSmall, errs.Internal, 20, 30, 0},
		{"the citizen, own dossier, not logged", owner, "CCCD", 1, dossier.ImageLarge, errs.Internal, 150, 100, 0},
		{"another agency", stranger, "TKKS", 1, dossier.ImageSmall, errs.NotFound, 0, 0, 0},
		{"auditor", auditor, "TKKS", 1, dossier.ImageSmall, errs.Forbidden, 0, 0, 0},
		{"no such page", officer, "TKKS", 3, dossier.ImageSmall, errs.NotFound, 0, 0, 0},
		{"no such component", officer, "XX", 1, dossier.ImageSmall, errs.NotFound, 0, 0, 0},
		{"no such size", officer, "TKKS", 1, "huge", errs.Invalid, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := logged()
			b, err := e.svc.PageImage(ctx, tt.who, d.ID, tt.code, tt.page, tt.size)
			if tt.want != errs.Internal {
				if !errs.Is(err, tt.want) {
					t.Fatalf("err = %v, want %s", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
			if err != nil || cfg.Width != tt.w || cfg.Height != tt.h {
				t.Fatalf("image %dx%d (%v), want %dx%d", cfg.Width, cfg.Height, err, tt.w, tt.h)
			}
			if got := logged() - before; got != tt.logged {
				t.Errorf("%d new access-log entries, want %d", got, tt.logged)
			}
		})
	}
	// Turned 90° clockwise, the dark top row is the right-hand column.
	b, _ := e.svc.PageImage(ctx, officer, d.ID, "CCCD", 1, dossier.ImageLarge)
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _, _ := img.At(149, 50).RGBA(); r > 0x4000 {
		t.Errorf("the right-hand column is light (%#x): not turned clockwise", r)
	}
	if r, _, _, _ := img.At(0, 50).RGBA(); r < 0xc000 {
		t.Errorf("the left-hand column is dark (%#x)", r)
	}
}
