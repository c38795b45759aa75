// Package scan is the one door for scanned dossiers: it reads the untrusted
// bytes a postal clerk uploads (PDF, TIFF, JPEG or PNG, recognised by content),
// enforces limits on bytes, pages, pixels and time, finds Sohoa separator
// sheets on the page images, measures each page (resolution, ink, blank) and
// splits the scan into one new PDF per component, without the separator
// pages and without any active content of the source.
//
// It does not know procedures, dossiers or storage: the caller maps
// components to a procedure's list and turns Result and *Error into findings.
// Use SplitIsolated for uploads: it runs Split in a child process with memory
// and time limits, so a hostile file cannot take the server down.
package scan

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Result is a split scan.
type Result struct {
	Format     string      // "pdf", "tiff", "jpeg" or "png" (see Sniff)
	Pages      []Page      // every page of the scan, in order
	Leading    []int       // non-blank pages before the first separator sheet (none when there is no separator at all)
	Components []Component // one per separator sheet, in order; or one with Code "" when the scan has no separator
	// Sanitized is true when the source had active content (JavaScript, actions,
	// embedded files, forms, annotations) and the component PDFs were rebuilt
	// from the page images.
	Sanitized bool
	// PeakRSS is the peak resident memory of SplitIsolated's child process in
	// bytes (0 from Split), for capacity planning.
	PeakRSS int64
}

// Page describes one page of the scan.
type Page struct {
	Number    int     // 1-based page number in the scan
	Separator string  // component code if this page is a Sohoa separator sheet
	Ink       float64 // fraction of dark pixels (see BlankInk)
	Blank     bool    // Ink below BlankInk
	DPI       float64 // effective resolution of the images covering the page; 0 for a page without a scanned image
	// Digital is true for a page of text or vector graphics (images cover
	// less than half of it): not a scan, so not judged by DPI.
	Digital bool
	Color   string // ColorColor, ColorGray or ColorBilevel, as the file stores the page; "" unknown
	// InkMap says where the page has ink (nil for a page without an image
	// that draws nothing; every cell for a born-digital page).
	InkMap *InkMap
}

// Component is the pages between one separator sheet and the next.
type Component struct {
	Code          string // the separator's component code; "" when the scan has no separator sheet
	SeparatorPage int    // page number of the separator sheet; 0 when Code is ""
	Pages         []int  // scan page numbers of the component, separator and blank pages excluded; may be empty
	// Blank are the blank pages between this separator and the next, left
	// out of Pages and of the PDF: the backs of sheets scanned duplex (and
	// the separator's own back). The original scan keeps them.
	Blank []int
	PDF   []byte // the component's pages as a new PDF; nil when Pages is empty
	// Thumbs are the component's pages rendered small and large, in page
	// order, by SplitIsolated's child when Limits.ThumbBytes allows (pages
	// it could not render, or past the budget, have none). Split renders none.
	Thumbs []Thumb
	// File is where SplitIsolatedStream wrote the component's PDF (PDF is
	// then nil); "" from Split and SplitIsolated, or when Pages is empty.
	File string
}

// AllBlank reports whether the component had pages and all were blank.
func (c Component) AllBlank() bool { return len(c.Pages) == 0 && len(c.Blank) > 0 }

// Split reads a scan, finds its separator sheets and splits it into
// components. Failures the clerk must act on are *Error; a cancelled ctx is
// returned as ctx.Err() (wrapped), so the caller can retry the job.
func Split(ctx context.Context, data []byte, lim Limits) (*Result, error) {
	return split(ctx, data, lim, nil, false)
}

// checkSize refuses an empty scan and one over Limits.MaxBytes, before any
// reading: Split and SplitIsolatedStream give the same findings.
func checkSize(n int64, lim Limits) error {
	if n == 0 {
		return newError(CodeUnreadable, 0, nil, "Tệp quét rỗng (0 byte). Hãy quét lại hồ sơ và tải lên lại.")
	}
	if n > lim.MaxBytes {
		return newError(CodeTooLarge, 0, nil,
			"Tệp quét quá lớn (%s, tối đa %s). Hãy quét ở 200–300 dpi với nén JPEG rồi tải lên lại.",
			humanBytes(n), humanBytes(lim.MaxBytes))
	}
	return nil
}

// split is Split; when emit is not nil it is handed each component PDF as
// soon as it is written, and the PDF is not kept in the Result (the child
// process streams components out instead of holding them all). With
// thumbs, component pages are rendered for people (Component.Thumbs) from
// the decode the analysis does anyway, within lim.ThumbBytes.
func split(ctx context.Context, data []byte, lim Limits, emit func(i int, pdf []byte) error, thumbs bool) (res *Result, err error) {
	if !lim.valid() {
		return nil, newError(CodeInvalidLimits, 0, nil, "Cấu hình giới hạn xử lý tệp quét không hợp lệ.")
	}
	defer func() {
		if r := recover(); r != nil {
			res = nil
			err = newError(CodeUnreadable, 0, fmt.Errorf("panic: %v\n%s", r, debug.Stack()), msgCrashed)
		}
	}()
	if err := checkSize(int64(len(data)), lim); err != nil {
		return nil, err
	}
	// The time budget grows by PageTime a page once the pages are counted;
	// opening the file counts against it.
	start := time.Now()

	format := Sniff(data)
	var src source
	switch format {
	case FormatPDF:
		src, err = openPDF(data, lim)
	case FormatTIFF:
		src, err = openTIFF(data, lim)
	case FormatJPEG, FormatPNG:
		src, err = openImage(format, data, lim)
	default:
		return nil, newError(CodeUnsupported, 0, nil, msgUnsupported)
	}
	if err != nil {
		return nil, err
	}
	n := src.pageCount()
	if n == 0 {
		return nil, newError(CodeNoPages, 0, nil, msgNoPages)
	}
	if n > lim.MaxPages {
		return nil, newError(CodeTooManyPages, 0, nil,
			"Tệp quét có %d trang, vượt quá giới hạn %d trang của một lần tải lên. Hãy chia hồ sơ thành nhiều lần quét.", n, lim.MaxPages)
	}
	budget := lim.Budget(n)
	tctx, cancelPages := context.WithDeadlineCause(ctx, start.Add(budget), errTimeout)
	defer cancelPages()
	lim.Timeout, lim.PageTime = budget, 0 // what ctxError reports
	pages, views, err := analyze(tctx, src, lim, thumbs)
	if err != nil {
		return nil, ctxError(ctx, tctx, lim, err)
	}
	res = &Result{Format: format, Pages: pages, Sanitized: src.activeContent()}
	res.Leading, res.Components = plan(pages)
	attachThumbs(res.Components, views, lim)
	for i := range res.Components {
		c := &res.Components[i]
		if len(c.Pages) == 0 {
			continue
		}
		if err := tctx.Err(); err != nil {
			return nil, ctxError(ctx, tctx, lim, err)
		}
		c.PDF, err = src.build(c.Pages)
		if err != nil {
			return nil, err
		}
		if emit != nil {
			if err := emit(i, c.PDF); err != nil {
				return nil, err
			}
			c.PDF = nil
		}
	}
	return res, nil
}

var errTimeout = errors.New("scan: time limit exceeded")

// ctxError turns a context error into a timeout finding when our own time
// limit fired, and keeps the caller's cancellation as is.
func ctxError(parent, tctx context.Context, lim Limits, err error) error {
	if parent.Err() != nil {
		return fmt.Errorf("scan: %w", parent.Err())
	}
	if errors.Is(context.Cause(tctx), errTimeout) && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, errTimeout)) {
		return newError(CodeTimeout, 0, err, msgTimeout, seconds(lim.Timeout))
	}
	return err
}

// plan groups pages into components by their separator sheets.
func plan(pages []Page) (leading []int, comps []Component) {
	first := slices.IndexFunc(pages, func(p Page) bool { return p.Separator != "" })
	if first < 0 {
		c := Component{}
		for _, p := range pages {
			c.add(p)
		}
		return nil, []Component{c}
	}
	for _, p := range pages[:first] {
		if !p.Blank {
			leading = append(leading, p.Number)
		}
	}
	for _, p := range pages[first:] {
		if p.Separator != "" {
			comps = append(comps, Component{Code: p.Separator, SeparatorPage: p.Number})
			continue
		}
		comps[len(comps)-1].add(p)
	}
	return leading, comps
}

// add puts a page in the component, or among its blank pages: a blank page
// is the back of a sheet scanned duplex (or a separator's back), never
// content, so it never starts nor joins a component's PDF.
func (c *Component) add(p Page) {
	if p.Blank {
		c.Blank = append(c.Blank, p.Number)
		return
	}
	c.Pages = append(c.Pages, p.Number)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d byte", n)
}

// seconds formats a duration for the clerk: "120 giây", "0,5 giây".
func seconds(d time.Duration) string {
	s := strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	return strings.Replace(s, ".", ",", 1) + " giây"
}
