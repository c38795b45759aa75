package dossier

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"

	"gocloud.dev/blob"
	"golang.org/x/sync/errgroup"

	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/port/blobs"
)

// PageView is one page of a scanned component as images for people: small
// for the dossier page, large to read it. The scan reader renders them in
// its isolated child (scan.Thumb); they are stored beside the component.
type PageView struct {
	Page int `json:"page"` // scan page number
	// Turn is how far (clockwise, degrees: 0, 90, 180, 270) the page must be
	// turned to stand upright, as the text reader found it; the images are
	// served turned.
	Turn int `json:"turn,omitempty"`
}

// Page image sizes (PageImage).
const (
	ImageSmall = "small"
	ImageLarge = "large"
)

// maxViewSide bounds a stored page image's sides when it is turned before
// serving (the scan reader writes at most scan.ViewWidth × 2000).
const maxViewSide = 4000

// viewKey is the blob key of a page image under a component's ViewPrefix.
func viewKey(prefix string, page int, size string) string {
	return fmt.Sprintf("%sp%d-%s.jpg", prefix, page, size)
}

// viewWriters is how many page images of a component are written at once.
const viewWriters = 8

// storeViews stores the page images the scan reader rendered for c and
// sets comp's Views and ViewPrefix.
func (s *Service) storeViews(ctx context.Context, d *Dossier, c scan.Component, comp *Component) error {
	if len(c.Thumbs) == 0 {
		return nil
	}
	last, _ := d.LastScan()
	prefix := fmt.Sprintf("components/%s/%s/%s/", d.ID, last.SHA256[:16], c.Code)
	// Many small objects: written a few at a time (on S3 each is a round trip).
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(viewWriters)
	var views []PageView
	for _, t := range c.Thumbs {
		for _, w := range []struct {
			size string
			b    []byte
			file string
		}{{ImageSmall, t.Small, t.SmallFile}, {ImageLarge, t.Large, t.LargeFile}} {
			g.Go(func() error {
				if err := s.storeView(gctx, viewKey(prefix, t.Page, w.size), w.b, w.file); err != nil {
					return fmt.Errorf("store page %d image of %s: %w", t.Page, c.Code, err)
				}
				return nil
			})
		}
		views = append(views, PageView{Page: t.Page})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	comp.Views, comp.ViewPrefix = views, prefix
	return nil
}

// storeView writes one page image to key: b, or the file the scan reader
// wrote it to when b is nil, streamed from there.
func (s *Service) storeView(ctx context.Context, key string, b []byte, file string) error {
	opts := &blob.WriterOptions{ContentType: "image/jpeg"}
	if b != nil || file == "" {
		return blobs.Put(ctx, s.c.Blobs, key, b, opts)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel() // a writer cancelled before Close discards what it wrote
	w, err := s.c.Blobs.NewWriter(wctx, key, opts)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, f); err != nil {
		cancel()
		w.Close()
		return err
	}
	return w.Close()
}

// turnViews records the turns the text reader found, per page of the
// component (turns[i] is page i+1 of the component, whose scan page is
// scanPages[i]).
func turnViews(views []PageView, scanPages, turns []int) {
	for i, t := range turns {
		if i >= len(scanPages) {
			break
		}
		for j := range views {
			if views[j].Page == scanPages[i] {
				views[j].Turn = ((t % 360) + 360) % 360
			}
		}
	}
}

// ImagedPages returns the pages of c (1-based, in the component) that have
// images.
func ImagedPages(c Component) []int {
	var out []int
	for i, p := range c.ScanPages {
		for _, v := range c.Views {
			if v.Page == p {
				out = append(out, i+1)
				break
			}
		}
	}
	return out
}

// PageImage returns page n (1-based, in the component) of a scanned
// component as a JPEG, small or large, turned upright, to someone allowed
// to see the dossier's papers. Opening a page large is written in the
// citizen's access log; the small images are part of the dossier's page,
// whose reading is logged once (Read).
func (s *Service) PageImage(ctx context.Context, a identity.Actor, id, code string, n int, size string) ([]byte, error) {
	if size != ImageSmall && size != ImageLarge {
		return nil, errs.FieldError("size", "kích thước ảnh là %q hoặc %q / the size is %q or %q", ImageSmall, ImageLarge, ImageSmall, ImageLarge)
	}
	d, c, err := s.papers(ctx, a, id, code)
	if err != nil {
		return nil, err
	}
	if n < 1 || n > len(c.ScanPages) {
		return nil, errs.E(errs.NotFound, "component %s of dossier %s has no page %d", code, d.Code, n)
	}
	var v *PageView
	for i := range c.Views {
		if c.Views[i].Page == c.ScanPages[n-1] {
			v = &c.Views[i]
		}
	}
	if v == nil {
		return nil, errs.E(errs.NotFound, "page %d of component %s of dossier %s has no image", n, code, d.Code)
	}
	if size == ImageLarge {
		if err := s.logRead(ctx, a, d, fmt.Sprintf("dossier %s component %s page %d", d.Code, c.Code, n), "component"); err != nil {
			return nil, err
		}
	}
	b, err := s.c.Blobs.ReadAll(ctx, viewKey(c.ViewPrefix, v.Page, size))
	if err != nil {
		return nil, fmt.Errorf("read page image: %w", err)
	}
	if v.Turn == 0 {
		return b, nil
	}
	return turnJPEG(b, v.Turn)
}

// turnJPEG turns one of our own page images clockwise by deg (90, 180, 270).
func turnJPEG(b []byte, deg int) ([]byte, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width > maxViewSide || cfg.Height > maxViewSide {
		return nil, fmt.Errorf("page image to turn: %dx%d: %v", cfg.Width, cfg.Height, err)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("page image to turn: %w", err)
	}
	src := image.NewGray(img.Bounds())
	if g, ok := img.(*image.Gray); ok {
		src = g
	} else {
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				src.Set(x, y, img.At(x, y))
			}
		}
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	var dst *image.Gray
	if deg == 180 {
		dst = image.NewGray(image.Rect(0, 0, w, h))
	} else {
		dst = image.NewGray(image.Rect(0, 0, h, w))
	}
	for y := range h {
		row := src.Pix[y*src.Stride : y*src.Stride+w]
		for x, v := range row {
			switch deg {
			case 90: // (x, y) → (h-1-y, x)
				dst.Pix[x*dst.Stride+h-1-y] = v
			case 180:
				dst.Pix[(h-1-y)*dst.Stride+w-1-x] = v
			case 270: // (x, y) → (y, w-1-x)
				dst.Pix[(w-1-x)*dst.Stride+y] = v
			default:
				return b, nil
			}
		}
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 75}); err != nil {
		return nil, fmt.Errorf("encode turned page image: %w", err)
	}
	return out.Bytes(), nil
}
