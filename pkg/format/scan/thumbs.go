package scan

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"runtime/debug"
	"sync"

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
	Small, Large []byte // JPEG: ThumbWidth wide at most; ViewWidth at most, or the page as scanned (servableJPEG)
	// SmallFile and LargeFile are where SplitIsolatedStream wrote Small and
	// Large (which are then nil); "" from SplitIsolated.
	SmallFile, LargeFile string
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

// thumbBudget counts the bytes of page images rendered for one scan, shared
// by analyze's workers: rendering stops once lim.ThumbBytes are spent.
type thumbBudget struct {
	mu   sync.Mutex
	left int64
}

// take reserves n bytes; false once the budget is spent.
func (b *thumbBudget) take(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.left -= int64(n)
	return b.left >= 0
}

func (b *thumbBudget) spent() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.left <= 0
}

// attachThumbs gives each component the images rendered for its pages
// (thumbs[n-1] is page n's, Page 0 when it has none), in page order, at
// most lim.ThumbBytes in all: past the first page over the budget, none.
func attachThumbs(comps []Component, thumbs []Thumb, lim Limits) {
	left := lim.ThumbBytes
	for i := range comps {
		for _, n := range comps[i].Pages {
			if n < 1 || n > len(thumbs) || thumbs[n-1].Page == 0 {
				continue
			}
			t := thumbs[n-1]
			if left -= int64(len(t.Small) + len(t.Large)); left < 0 {
				return
			}
			comps[i].Thumbs = append(comps[i].Thumbs, t)
		}
	}
}

// servableJPEG reports whether a page is one baseline or progressive JPEG,
// grey or YCbCr, small enough (maxLargeBytes) to be shown as it was
// scanned: its own bytes are then the page's large image, with no decode at
// the view's resolution and no encoding (the most costly part of page
// images), and the officer sees the page at the resolution it was scanned.
// The component's PDF holds the same bytes. CMYK JPEGs are left out: a PDF
// may invert them with /Decode, a browser would not.
func servableJPEG(pi pageImage) bool {
	if pi.decode != nil || (pi.kind != "jpg" && pi.kind != "jpeg") || len(pi.data) > maxLargeBytes || pi.rotate != 0 {
		return false
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(pi.data))
	if err != nil || cfg.Width < ThumbWidth || cfg.Width > maxServedSide || cfg.Height > maxServedSide {
		return false
	}
	return cfg.ColorModel == color.GrayModel || cfg.ColorModel == color.YCbCrModel
}

// maxServedSide bounds the sides of a page shown as scanned (the dossier
// turns page images up to 4000 pixels a side when OCR found them sideways).
const maxServedSide = 4000

// scannedThumb is the Thumb of a servableJPEG page: its own bytes as the
// large image, and the small one from the reduced image measure made.
func scannedThumb(pi pageImage, reduced *image.Gray) (t Thumb, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("page %d: panic: %v\n%s", pi.number, r, debug.Stack())
		}
	}()
	if t.Small, err = encodeJPEG(scaleTo(reduced, ThumbWidth), 75); err != nil {
		return t, err
	}
	t.Large, t.Page = pi.data, pi.number // not changed after measure: no copy
	return t, nil
}

// renderSafe is renderThumb with a panic of the encoder turned into an
// error: a page that cannot be rendered is left without images, never a
// failure of the split.
func renderSafe(img image.Image, page int) (t Thumb, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("page %d: panic: %v\n%s", page, r, debug.Stack())
		}
	}()
	return renderThumb(img, page)
}

// renderThumb encodes a decoded page image (at least minView pixels wide
// when the page is) as the large and the small JPEG of a Thumb.
func renderThumb(img image.Image, page int) (t Thumb, err error) {
	large := scaleTo(img, ViewWidth)
	if t.Large, err = encodeJPEG(large, 60); err == nil && len(t.Large) > maxLargeBytes {
		t.Large, err = encodeJPEG(large, 40)
	}
	if err != nil {
		return t, err
	}
	if len(t.Large) > maxLargeBytes {
		return t, fmt.Errorf("page %d: large image of %d bytes", page, len(t.Large))
	}
	if t.Small, err = encodeJPEG(scaleTo(large, ThumbWidth), 75); err != nil {
		return t, err
	}
	t.Page = page
	return t, nil
}

// viewPage decodes a page image once for both uses: view, at the least
// resolution that still gives minView pixels wide, for the page images;
// small, reduced by separator.ReduceFactor, for measure. A baseline JPEG
// is reduced in its DCT domain (package jpegscale) by the largest of 8, 4
// or 2 that divides the reduce factor and leaves minView pixels; small is
// then view box-filtered by the rest of the factor, which is jpegscale's
// own result up to rounding (package jpegscale). Anything else is decoded
// whole, and small is the same box filter of the same image as
// reducedPage's.
func viewPage(pi pageImage, lim Limits) (view image.Image, small *image.Gray, err error) {
	if pi.decode == nil && (pi.kind == "jpg" || pi.kind == "jpeg") {
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(pi.data)); err == nil && cfg.Width > 0 && cfg.Height > 0 {
			if int64(cfg.Width)*int64(cfg.Height) > lim.MaxPixels {
				return nil, nil, imageTooLarge(pi.number, cfg.Width, cfg.Height)
			}
			r := separator.ReduceFactor(cfg.Width, cfg.Height)
			for _, f := range []int{8, 4, 2} {
				if cfg.Width/f < minView || r%f != 0 {
					continue
				}
				g, info, err := jpegscale.DecodeGray(pi.data, f, lim.MaxPixels)
				if errors.Is(err, jpegscale.ErrTooLarge) {
					return nil, nil, imageTooLarge(pi.number, info.Width, info.Height)
				}
				if err == nil && info.Width == cfg.Width && info.Height == cfg.Height {
					return g, separator.Reduce(g, r/f), nil
				}
				break // not for jpegscale: decoded whole below
			}
		}
	}
	if pi.decode != nil {
		view, err = pi.decode()
	} else {
		view, err = decodeImage(pi.kind, pi.data, lim, pi.number)
	}
	if err != nil {
		return nil, nil, err
	}
	b := view.Bounds()
	return view, separator.Reduce(flatGray(view), separator.ReduceFactor(b.Dx(), b.Dy())), nil
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
