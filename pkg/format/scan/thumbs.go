package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/image/draw"

	"github.com/sohoa/sohoa/pkg/format/jpegscale"
	"github.com/sohoa/sohoa/pkg/format/separator"
)

// Thumb is one page of a component rendered for people to look at: Small
// for a list of pages, Large (800–1000 pixels wide) to read the page on a
// screen. Both are grey
// JPEG (the luma of the page), as the scan stores the page: OCR may later
// find it needs turning, which the dossier records.
type Thumb struct {
	Page         int    // scan page number
	Small, Large []byte // JPEG, ThumbWidth and ViewWidth pixels wide at most
}

// Sizes of the rendered pages. A 200-dpi A4 page is 1654 pixels wide.
const (
	ThumbWidth = 200  // the small image of a page, for a grid of pages
	ViewWidth  = 1000 // the large image, to read a page on a screen
	// maxThumbSide bounds the other side of both images (a very long strip
	// is cut to this height rather than rendered at its length).
	maxThumbSide = 2000
	// minView is the narrowest a large image is made from a reduced
	// decode: a 200-dpi A4 page (1654 pixels) halves to 827.
	minView = 800
	// maxLargeBytes is the most a large image may take; a page over it is
	// encoded again at a lower quality, then left without images.
	maxLargeBytes = 600 << 10
)

// renderThumbs adds Thumbs to res's components, reading the pages again from
// data: at most lim.ThumbBytes in all, in page order, until deadline. It
// runs in SplitIsolated's child after the split succeeded; a page it cannot
// render is left without images, never an error (the split stands). Pages
// are read in order by one goroutine and rendered by Workers, as in analyze.
func renderThumbs(deadline time.Time, data []byte, res *Result, lim Limits) {
	if lim.ThumbBytes <= 0 || res == nil {
		return
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	src, err := openSourceSafe(data, lim)
	if err != nil {
		return
	}
	type job struct {
		comp, idx int
		pi        pageImage
	}
	out := make([][]Thumb, len(res.Components))
	for i, c := range res.Components {
		out[i] = make([]Thumb, len(c.Pages))
	}
	var (
		mu   sync.Mutex
		left = lim.ThumbBytes
	)
	jobs := make(chan job, Workers)
	var wg sync.WaitGroup
	for range Workers {
		wg.Go(func() {
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				t, err := renderPage(j.pi, lim)
				if err != nil {
					continue
				}
				mu.Lock()
				if left -= int64(len(t.Small) + len(t.Large)); left >= 0 {
					out[j.comp][j.idx] = t
				}
				mu.Unlock()
			}
		})
	}
read:
	for i, c := range res.Components {
		for k, n := range c.Pages {
			mu.Lock()
			spent := left <= 0
			mu.Unlock()
			if ctx.Err() != nil || spent {
				break read
			}
			pi, err := readPageSafe(src, n)
			if err != nil || pi.noImage {
				continue
			}
			select {
			case jobs <- job{comp: i, idx: k, pi: pi}:
			case <-ctx.Done():
				break read
			}
		}
	}
	close(jobs)
	wg.Wait()
	// In page order; a page the budget, the deadline or a failure left out
	// has none.
	for i := range res.Components {
		for _, t := range out[i] {
			if t.Page != 0 {
				res.Components[i].Thumbs = append(res.Components[i].Thumbs, t)
			}
		}
	}
}

// readPageSafe is src.page with a panic of a reader turned into an error.
func readPageSafe(src source, n int) (pi pageImage, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("page %d: panic: %v", n, r)
		}
	}()
	return src.page(n)
}

// openSourceSafe opens data as Split does, a panic of a reader turned into an error.
func openSourceSafe(data []byte, lim Limits) (src source, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	switch Sniff(data) {
	case FormatPDF:
		return openPDF(data, lim)
	case FormatTIFF:
		return openTIFF(data, lim)
	case FormatJPEG, FormatPNG:
		return openImage(Sniff(data), data, lim)
	}
	return nil, errors.New("unsupported format")
}

// renderPage renders a page image read from the source; a panic of a
// decoder is an error.
func renderPage(pi pageImage, lim Limits) (t Thumb, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("page %d: panic: %v\n%s", pi.number, r, debug.Stack())
		}
	}()
	img, err := viewImage(pi, lim)
	if err != nil {
		return t, err
	}
	large := scaleTo(img, ViewWidth)
	if t.Large, err = encodeJPEG(large, 60); err == nil && len(t.Large) > maxLargeBytes {
		t.Large, err = encodeJPEG(large, 40)
	}
	if err != nil {
		return t, err
	}
	if len(t.Large) > maxLargeBytes {
		return t, fmt.Errorf("page %d: large image of %d bytes", pi.number, len(t.Large))
	}
	if t.Small, err = encodeJPEG(scaleTo(large, ThumbWidth), 75); err != nil {
		return t, err
	}
	t.Page = pi.number
	return t, nil
}

// viewImage decodes a page image at the least resolution that still gives
// a view of minView pixels wide: a baseline JPEG is reduced in its DCT
// domain (package jpegscale, four to ten times cheaper than a full decode);
// anything else is decoded whole.
func viewImage(pi pageImage, lim Limits) (image.Image, error) {
	if pi.decode != nil {
		return pi.decode()
	}
	if pi.kind == "jpg" || pi.kind == "jpeg" {
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(pi.data)); err == nil && int64(cfg.Width)*int64(cfg.Height) <= lim.MaxPixels {
			for _, f := range []int{8, 4, 2} {
				if cfg.Width/f < minView {
					continue
				}
				if g, info, err := jpegscale.DecodeGray(pi.data, f, lim.MaxPixels); err == nil && info.Width == cfg.Width {
					return g, nil
				}
				break // not for jpegscale: decoded whole below
			}
		}
	}
	return decodeImage(pi.kind, pi.data, lim, pi.number)
}

// scaleTo returns the luma of img at most width pixels wide (and
// maxThumbSide high), keeping its proportions: a box filter by the whole
// factor, then a bilinear step for the rest (less than 2×, where it does
// not alias the way it would over a larger step).
func scaleTo(img image.Image, width int) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return image.NewGray(image.Rect(0, 0, 0, 0))
	}
	k := max(1, min(w/width, h/maxThumbSide+1))
	if k > 1 && (w/k < width || h/k > maxThumbSide) && w/width > 0 {
		k = w / width
	}
	g := separator.Reduce(img, k)
	b = g.Bounds()
	w, h = b.Dx(), b.Dy()
	nw := min(w, width)
	nh := max(1, h*nw/max(w, 1))
	if nh > maxThumbSide {
		nh = maxThumbSide
		nw = max(1, w*nh/h)
	}
	if nw == w && nh == h {
		return g
	}
	// x/image/draw is fast only into RGBA: scale there, keep one channel.
	r := image.Rect(0, 0, nw, nh)
	dst := image.NewRGBA(r)
	draw.ApproxBiLinear.Scale(dst, r, g, b, draw.Src, nil)
	out := image.NewGray(r)
	for i := range out.Pix {
		out.Pix[i] = dst.Pix[4*i]
	}
	return out
}

func encodeJPEG(img image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode page image: %w", err)
	}
	return buf.Bytes(), nil
}
