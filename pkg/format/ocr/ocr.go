// Package ocr reads the words of scanned pages with Tesseract (the CLI of
// Debian's tesseract-ocr 5 with the vie and osd data), through the same
// door as every other reader of untrusted images: each page is read in a
// child process (the current binary re-executed, as scan.SplitIsolated does)
// with limits on memory, pixels and time, Tesseract runs with
// OMP_THREAD_LIMIT=1, and a page fed upside down or sideways is turned the
// right way up (orientation and script detection) before it is read.
//
// Word boxes come back in PDF points on the page as displayed, ready for an
// invisible text layer (pkg/format/stamp). The package knows nothing of dossiers.
//
// The program's main (or TestMain) must call RunChildIfRequested first.
package ocr

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/pkg/format/scan"
)

// Word is one recognised word, placed on the page as displayed: (X, Y) is
// the lower left corner of its box as read upright, in PDF points from the
// page's lower left; W and H are its box's length along the text and its
// height; Angle (0, 90, 180, 270, counter-clockwise) is the text's direction
// on the page (180 on a page scanned upside down).
type Word struct {
	Text  string  `json:"text"`
	Conf  float64 `json:"conf"` // Tesseract's confidence, 0–100
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	W     float64 `json:"w"`
	H     float64 `json:"h"`
	Angle int     `json:"angle,omitempty"`
	Line  int     `json:"line"` // index of the word's line on the page
}

// Page is the text of one page.
type Page struct {
	Number int    `json:"number"` // 1-based, in the PDF read
	Words  []Word `json:"words,omitempty"`
	// Rotation is how far (clockwise, degrees) the page image was turned to
	// be read upright: 180 for a page fed upside down.
	Rotation int `json:"rotation,omitempty"`
	// MRZ is the text read in a machine-readable zone pass (Options.MRZ):
	// the zone's lines, one a line, as best read.
	MRZ string `json:"mrz,omitempty"`
	// Conf is the mean word confidence (0–100).
	Conf float64       `json:"conf"`
	Took time.Duration `json:"took"`
	// Err says why the page could not be read (Document goes on with the others).
	Err string `json:"err,omitempty"`
}

// Text returns the page's words, a line a line.
func (p Page) Text() string {
	var b strings.Builder
	for i, w := range p.Words {
		if i > 0 {
			if w.Line != p.Words[i-1].Line {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(w.Text)
	}
	return b.String()
}

// Lines returns the page's lines of words.
func (p Page) Lines() [][]Word {
	var out [][]Word
	for i, w := range p.Words {
		if i == 0 || w.Line != p.Words[i-1].Line {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], w)
	}
	return out
}

// Options say how to read a page.
type Options struct {
	// Lang is Tesseract's language; default "vie".
	Lang string `json:"lang,omitempty"`
	// MRZ asks for a second pass over a machine-readable zone (OCR-B,
	// alphabet A–Z 0–9 <), for the back of identity cards.
	MRZ bool `json:"mrz,omitempty"`
}

// Limits bound the reading of one page.
type Limits struct {
	Scan scan.Limits // bytes, pixels and pages of the PDF the page is read from
	// PageTimeout is the wall time for one page, Tesseract passes included.
	PageTimeout time.Duration
	// MaxMemory is the child's (and Tesseract's) address-space budget in bytes.
	MaxMemory int64
}

// DefaultLimits: the scan's limits, 60 s and 2 GiB of address space a page (Tesseract on
// a 300-dpi A4 page uses about 200 MB and 1–3 s of one core).
func DefaultLimits() Limits {
	return Limits{Scan: scan.DefaultLimits(), PageTimeout: 60 * time.Second, MaxMemory: 2 << 30}
}

// Engine reads pages in child processes, Workers at a time.
type Engine struct {
	// Exe is the program started as the child; default os.Executable().
	Exe string
	// Workers is the number of pages read at once; default GOMAXPROCS (one
	// Tesseract per core: it runs single-threaded).
	Workers int
	Limits  Limits
}

// NewEngine returns an Engine with default limits, or an error when the
// tesseract program or its Vietnamese data is not installed.
func NewEngine() (*Engine, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("ocr: find own executable: %w", err)
	}
	return &Engine{Exe: exe, Workers: runtime.GOMAXPROCS(0), Limits: DefaultLimits()}, nil
}

// Available reports whether tesseract with the vie and osd data can run here.
func Available() error {
	path, err := exec.LookPath("tesseract")
	if err != nil {
		return fmt.Errorf("ocr: tesseract is not installed (Debian: tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd): %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--list-langs").CombinedOutput()
	if err != nil {
		return fmt.Errorf("ocr: tesseract --list-langs: %w", err)
	}
	langs := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		langs[l] = true
	}
	for _, need := range []string{"vie", "osd", "eng"} {
		if !langs[need] {
			return fmt.Errorf("ocr: tesseract has no %q data (Debian: tesseract-ocr-%s)", need, need)
		}
	}
	return nil
}

// Document reads the given pages (1-based; all pages when nil) of a PDF,
// Workers pages at a time, each in its own child. A page that cannot be read
// has Err set; the error return is for a cancelled ctx or an unusable engine.
// progress, when not nil, is called after each page with the count done.
func (e *Engine) Document(ctx context.Context, pdf []byte, pages []int, opt Options, progress func(done, total int)) ([]Page, error) {
	if len(pages) == 0 {
		n, err := e.PageCount(ctx, pdf)
		if err != nil {
			return nil, err
		}
		for i := 1; i <= n; i++ {
			pages = append(pages, i)
		}
	}
	out := make([]Page, len(pages))
	workers := max(1, min(e.Workers, len(pages)))
	next := make(chan int)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	for range workers {
		wg.Go(func() {
			for i := range next {
				p, err := e.Page(ctx, pdf, pages[i], opt)
				if err != nil {
					p = &Page{Number: pages[i], Err: err.Error()}
				}
				out[i] = *p
				mu.Lock()
				done++
				if progress != nil {
					progress(done, len(pages))
				}
				mu.Unlock()
			}
		})
	}
feed:
	for i := range pages {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ocr: %w", err)
	}
	return out, nil
}

// PageCount asks a child how many pages the PDF has (reading page 1).
func (e *Engine) PageCount(ctx context.Context, pdf []byte) (int, error) {
	ans, err := e.run(ctx, childRequest{Page: 1, CountOnly: true}, pdf)
	if err != nil {
		return 0, err
	}
	if ans.Err != "" {
		return 0, fmt.Errorf("ocr: %s", ans.Err)
	}
	return ans.Pages, nil
}

// Page reads page n (1-based) of a PDF in a child process.
func (e *Engine) Page(ctx context.Context, pdf []byte, n int, opt Options) (*Page, error) {
	ans, err := e.run(ctx, childRequest{Page: n, Opt: opt}, pdf)
	if err != nil {
		return nil, err
	}
	if ans.Err != "" {
		return nil, fmt.Errorf("ocr: page %d: %s", n, ans.Err)
	}
	return ans.Page, nil
}
