package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"runtime/debug"
	"sync"

	"golang.org/x/image/tiff"

	"github.com/sohoa/sohoa/pkg/format/jpegscale"
	"github.com/sohoa/sohoa/pkg/format/separator"
)

// Workers is the number of goroutines that decode and measure page images.
// Decoding is the work (reading the file is cheap beside it); two workers
// plus the reading goroutine keep the two cores of the reader's host (the
// ingest function, the local stack) busy without holding more than a few
// decoded pages in memory.
const Workers = 2

// source is one readable scan format.
type source interface {
	pageCount() int
	// page returns page n's image (1-based). It is called from one goroutine.
	page(n int) (pageImage, error)
	// build writes the given pages as a new PDF.
	build(pages []int) ([]byte, error)
	activeContent() bool
}

// pageImage is one page's image before decoding.
type pageImage struct {
	number       int
	kind         string                      // "jpg", "png", "tif" (encoded in data) or "" with img set
	data         []byte                      // encoded image
	decode       func() (image.Image, error) // decodes the page when data is not set (TIFF pages)
	dpi          float64
	noImage      bool   // page without a raster image
	emptyContent bool   // with noImage: the page draws nothing
	digital      bool   // text or vector graphics, not a scanned image
	marks        int    // text and path operators drawn
	color        string // ColorColor, ColorGray or ColorBilevel ("" unknown)
	rotate       int    // the page's /Rotate (0, 90, 180, 270): how it is displayed
}

// analyze reads every page sequentially and decodes and measures them in
// Workers goroutines. With render, it also renders each page that is
// neither blank nor a separator sheet as a Thumb from the same decode
// (thumbs[n-1] for page n, Page 0 for none), until lim.ThumbBytes are spent.
func analyze(ctx context.Context, src source, lim Limits, render bool) (pages []Page, thumbs []Thumb, err error) {
	n := src.pageCount()
	pages = make([]Page, n)
	var budget *thumbBudget
	if render && lim.ThumbBytes > 0 {
		thumbs = make([]Thumb, n)
		budget = &thumbBudget{left: lim.ThumbBytes}
	}
	jobs := make(chan pageImage, Workers)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	// The finding names the first page that fails, whichever worker got
	// there first.
	pageOf := func(err error) int {
		var se *Error
		if errors.As(err, &se) && se.Page > 0 {
			return se.Page
		}
		return n + 1
	}
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil || pageOf(err) < pageOf(firstErr) {
			firstErr = err
		}
		mu.Unlock()
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	for range Workers {
		wg.Go(func() {
			for pi := range jobs {
				if failed() {
					continue
				}
				p, t, err := measureSafe(pi, lim, budget)
				if err != nil {
					fail(err)
					continue
				}
				pages[pi.number-1] = p
				if t.Page != 0 {
					thumbs[pi.number-1] = t
				}
			}
		})
	}
	for i := 1; i <= n; i++ {
		if err := ctx.Err(); err != nil {
			fail(err)
			break
		}
		if failed() {
			break
		}
		pi, err := src.page(i)
		if err != nil {
			fail(err)
			break
		}
		select {
		case jobs <- pi:
		case <-ctx.Done():
			fail(ctx.Err())
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return nil, nil, firstErr
	}
	return pages, thumbs, nil
}

// measureSafe is measure with any panic of a decoder turned into an error.
func measureSafe(pi pageImage, lim Limits, budget *thumbBudget) (p Page, t Thumb, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = newError(CodeUnreadable, pi.number, fmt.Errorf("panic: %v\n%s", r, debug.Stack()), msgPageBroken, pi.number)
		}
	}()
	return measure(pi, lim, budget)
}

// measure decodes one page image, looks for a separator and measures its
// ink. With a budget left it renders the page's Thumb from the same decode,
// unless the page is blank or a separator sheet (which no component shows);
// a page it cannot render has none.
func measure(pi pageImage, lim Limits, budget *thumbBudget) (Page, Thumb, error) {
	p := Page{Number: pi.number, DPI: pi.dpi, Digital: pi.digital, Color: pi.color}
	if pi.noImage {
		p.Blank = pi.emptyContent
		if !p.Blank {
			p.InkMap = allInk()
		}
		return p, Thumb{}, nil
	}
	var (
		view  image.Image
		small *image.Gray
		err   error
	)
	asScanned := false // the page's own JPEG serves as its large image
	switch {
	case budget != nil && !budget.spent() && servableJPEG(pi):
		asScanned = true
		small, err = reducedPage(pi, lim)
	case budget != nil && !budget.spent():
		view, small, err = viewPage(pi, lim)
	default:
		small, err = reducedPage(pi, lim)
	}
	if err != nil {
		return p, Thumb{}, err
	}
	p.Ink = Ink(small)
	// A born-digital page's text is not in its images: only a page that
	// draws nothing else can be blank.
	p.Blank = p.Ink < BlankInk && pi.marks == 0
	if pi.digital {
		p.InkMap = allInk()
	} else {
		p.InkMap = rotated(inkMapOf(small), pi.rotate)
	}
	if code, ok := separator.Decode(small); ok {
		p.Separator = code
		p.Blank = false
	}
	var t Thumb
	if !p.Blank && p.Separator == "" {
		var r Thumb
		var err error
		switch {
		case asScanned:
			r, err = scannedThumb(pi, small)
		case view != nil:
			r, err = renderSafe(view, pi.number)
		default:
			return p, t, nil
		}
		if err == nil && budget.take(len(r.Small)+len(r.Large)) {
			t = r
		}
	}
	return p, t, nil
}

// reducedPage decodes a page image reduced by separator.ReduceFactor, the
// size at which separators are looked for and ink is measured.
func reducedPage(pi pageImage, lim Limits) (*image.Gray, error) {
	if pi.decode == nil && (pi.kind == "jpg" || pi.kind == "jpeg") {
		small, err := reducedJPEG(pi.data, lim, pi.number)
		if small != nil || err != nil {
			return small, err
		}
	}
	var (
		img image.Image
		err error
	)
	if pi.decode != nil {
		img, err = pi.decode()
	} else {
		img, err = decodeImage(pi.kind, pi.data, lim, pi.number)
	}
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	return separator.Reduce(flatGray(img), separator.ReduceFactor(b.Dx(), b.Dy())), nil
}

// reducedJPEG decodes a baseline JPEG straight to its luma reduced by
// separator.ReduceFactor, without the inverse DCT (package jpegscale), when
// that factor is a multiple of 2, 4 or 8: about three times faster than a full
// decode and a box filter, with the same result up to rounding. It returns
// (nil, nil) when the caller must decode the image fully: another factor, a
// JPEG that jpegscale does not read (progressive, CMYK, …) or one it finds
// broken (image/jpeg then gives the verdict, as for any other JPEG).
func reducedJPEG(data []byte, lim Limits, page int) (*image.Gray, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, nil
	}
	if int64(cfg.Width)*int64(cfg.Height) > lim.MaxPixels {
		return nil, imageTooLarge(page, cfg.Width, cfg.Height)
	}
	r := separator.ReduceFactor(cfg.Width, cfg.Height)
	f := 0
	for _, g := range []int{8, 4, 2} {
		if r%g == 0 {
			f = g
			break
		}
	}
	if f == 0 {
		return nil, nil
	}
	small, info, err := jpegscale.DecodeGray(data, f, lim.MaxPixels)
	if errors.Is(err, jpegscale.ErrTooLarge) {
		return nil, imageTooLarge(page, info.Width, info.Height)
	}
	if err != nil || info.Width != cfg.Width || info.Height != cfg.Height {
		return nil, nil
	}
	if r > f {
		small = separator.Reduce(small, r/f)
	}
	return small, nil
}

// decodeImage decodes an encoded page image after checking its declared size.
func decodeImage(kind string, data []byte, lim Limits, page int) (image.Image, error) {
	var (
		cfg    image.Config
		err    error
		decode func([]byte) (image.Image, error)
	)
	switch kind {
	case "jpg", "jpeg":
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
	case "png":
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
	case "tif", "tiff":
		cfg, err = tiff.DecodeConfig(bytes.NewReader(data))
		decode = func(b []byte) (image.Image, error) { return tiff.Decode(bytes.NewReader(b)) }
	default:
		return nil, newError(CodeUnsupported, page, fmt.Errorf("image type %q", kind),
			"Trang %d được nén theo kiểu mà hệ thống chưa đọc được. Hãy đặt máy quét lưu ảnh dạng JPEG rồi quét lại.", page)
	}
	if err != nil {
		return nil, undecodable(page, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, newError(CodeUnreadable, page, errors.New("empty image"), msgPageBroken, page)
	}
	if int64(cfg.Width)*int64(cfg.Height) > lim.MaxPixels {
		return nil, imageTooLarge(page, cfg.Width, cfg.Height)
	}
	img, err := decode(data)
	if err != nil {
		return nil, undecodable(page, err)
	}
	return img, nil
}

// undecodable is the finding for an image the decoder refused: a variant
// it does not implement (a 12-bit, lossless or arithmetic-coded JPEG, a
// TIFF colour model) is said as such, not as a broken page.
func undecodable(page int, err error) *Error {
	var (
		je jpeg.UnsupportedError
		pe png.UnsupportedError
		te tiff.UnsupportedError
	)
	if errors.As(err, &je) || errors.As(err, &pe) || errors.As(err, &te) {
		return newError(CodeUnsupported, page, err,
			"Trang %d lưu ảnh theo một kiểu nén đặc biệt mà hệ thống chưa đọc được (%s). Hãy chỉnh máy quét lưu ảnh JPEG thông thường (tệp PDF, JPEG hoặc TIFF), quét lại và tải lên.", page, err)
	}
	return newError(CodeUnreadable, page, err, msgPageBroken, page)
}

func imageTooLarge(page, w, h int) *Error {
	return newError(CodeImageTooLarge, page, fmt.Errorf("%dx%d pixels", w, h),
		"Trang %d có ảnh quá lớn (%d×%d điểm ảnh). Hãy quét lại ở 200–300 dpi rồi tải lên lại.", page, w, h)
}

// Ink returns the fraction of pixels darker than BlankDarkLevel in g, leaving
// out a BlankMargin border on each side (scanner edges and shadows).
func Ink(g *image.Gray) float64 {
	b := g.Bounds()
	mx, my := int(float64(b.Dx())*BlankMargin), int(float64(b.Dy())*BlankMargin)
	x0, x1, y0, y1 := b.Min.X+mx, b.Max.X-mx, b.Min.Y+my, b.Max.Y-my
	if x1 <= x0 || y1 <= y0 {
		return 0
	}
	dark := 0
	for y := y0; y < y1; y++ {
		row := g.Pix[g.PixOffset(x0, y):g.PixOffset(x1, y)]
		for _, v := range row {
			if v < BlankDarkLevel {
				dark++
			}
		}
	}
	return float64(dark) / float64((x1-x0)*(y1-y0))
}
