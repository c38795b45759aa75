package ocr

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sohoa/sohoa/pkg/format/isolate"
	"github.com/sohoa/sohoa/pkg/format/mrz"
	"github.com/sohoa/sohoa/pkg/format/scan"
)

// childEnv is "1" in the OCR child.
const childEnv = "SOHOA_OCR_CHILD"

// childGrace is how long past PageTimeout the parent waits before killing the child.
const childGrace = isolate.Grace

// maxAnswer bounds the child's answer (words of one page as JSON).
const maxAnswer = 16 << 20

// childRequest is the first line the child reads (JSON), followed by Size bytes of PDF.
type childRequest struct {
	Page      int
	Opt       Options
	Lim       Limits
	Size      int
	CountOnly bool
}

// childAnswer is the child's JSON answer on stdout.
type childAnswer struct {
	Page  *Page
	Pages int
	Err   string
}

func (e *Engine) run(ctx context.Context, req childRequest, pdf []byte) (*childAnswer, error) {
	lim := e.Limits
	if lim.PageTimeout <= 0 || lim.MaxMemory <= 0 {
		lim = DefaultLimits()
	}
	req.Lim, req.Size = lim, len(pdf)
	if int64(len(pdf)) > lim.Scan.MaxBytes {
		return &childAnswer{Err: fmt.Sprintf("PDF of %d bytes over the limit", len(pdf))}, nil
	}
	hdr, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("ocr: encode request: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, lim.PageTimeout+childGrace)
	defer cancel()
	// Tesseract is a grandchild: it is killed with the child's process group.
	var cmd *exec.Cmd
	var stderr *isolate.LimitedBuffer
	if e.Exe != "" {
		cmd, stderr = isolate.CommandOf(cctx, e.Exe, childEnv+"=1")
	} else if cmd, stderr, err = isolate.Command(cctx, childEnv+"=1"); err != nil {
		return nil, fmt.Errorf("ocr: %w", err)
	}
	cmd.Stdin = io.MultiReader(bytes.NewReader(append(hdr, '\n')), bytes.NewReader(pdf))
	var out bytes.Buffer
	cmd.Stdout = &out
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("ocr: %w", ctx.Err())
	}
	if cctx.Err() != nil {
		return &childAnswer{Err: fmt.Sprintf("quá thời gian đọc một trang (%s)", lim.PageTimeout)}, nil
	}
	if runErr != nil {
		return &childAnswer{Err: fmt.Sprintf("OCR child failed: %v: %s", runErr, clipText(stderr.String(), 500))}, nil
	}
	if out.Len() > maxAnswer {
		return &childAnswer{Err: "OCR answer too large"}, nil
	}
	var ans childAnswer
	if err := json.Unmarshal(out.Bytes(), &ans); err != nil {
		return &childAnswer{Err: fmt.Sprintf("OCR answer unreadable: %v", err)}, nil
	}
	if ans.Page == nil && ans.Err == "" && !req.CountOnly {
		return &childAnswer{Err: "OCR child answered nothing"}, nil
	}
	return &ans, nil
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// RunChildIfRequested turns the process into an OCR child when it was
// started as one: it reads the request from stdin, reads the page, writes
// the answer to stdout and exits. Otherwise it returns at once.
func RunChildIfRequested() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	os.Exit(runChild(os.Stdin, os.Stdout))
}

func runChild(stdin io.Reader, stdout io.Writer) int {
	in := bufio.NewReader(stdin)
	line, err := in.ReadBytes('\n')
	var req childRequest
	if err == nil {
		err = json.Unmarshal(line, &req)
	}
	if err != nil || req.Size < 0 || int64(req.Size) > req.Lim.Scan.MaxBytes || req.Lim.MaxMemory <= 0 {
		fmt.Fprintln(os.Stderr, "ocr child: read request:", err)
		return 2
	}
	// The address-space limit is inherited by Tesseract: its allocations
	// fail instead of swapping the host.
	isolate.Confine(req.Lim.MaxMemory/2, uint64(req.Lim.MaxMemory), 0)
	data := make([]byte, req.Size)
	if _, err := io.ReadFull(in, data); err != nil {
		fmt.Fprintln(os.Stderr, "ocr child: read PDF:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), req.Lim.PageTimeout)
	defer cancel()
	ans := childAnswer{}
	func() {
		defer func() {
			if r := recover(); r != nil {
				ans = childAnswer{Err: fmt.Sprintf("panic: %v", r)}
			}
		}()
		pi, err := scan.ReadPageImage(data, req.Page, req.Lim.Scan)
		if err != nil {
			ans.Err = err.Error()
			var se *scan.Error
			if errors.As(err, &se) {
				ans.Err = se.Message
			}
			return
		}
		ans.Pages = pi.Pages
		if req.CountOnly {
			return
		}
		p, err := readPage(ctx, pi, req.Opt)
		if err != nil {
			ans.Err = err.Error()
			return
		}
		ans.Page = p
	}()
	if err := json.NewEncoder(stdout).Encode(ans); err != nil {
		fmt.Fprintln(os.Stderr, "ocr child: write answer:", err)
		return 3
	}
	return 0
}

// Thresholds of the upright check: a page read with a mean confidence below
// lowConf (or fewer than minWords words) is checked for orientation (OSD);
// the orientation is trusted above osdMinConf. Our own values, measured on
// generated scans (an upside-down page reads at a mean confidence near 30,
// an upright one above 85).
const (
	lowConf    = 60
	minWords   = 5
	osdMinConf = 1.5
)

// readPage reads one page image: once as it is; when that reads badly, it
// asks Tesseract's orientation detection, turns the image and reads again.
func readPage(ctx context.Context, pi *scan.PageImage, opt Options) (*Page, error) {
	start := time.Now()
	p := &Page{Number: pi.Page}
	if pi.Data == nil {
		return p, nil // a page without an image has no words to read
	}
	dir, err := os.MkdirTemp("", "sohoa-ocr-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	dpi := int(math.Round(pi.DPI))
	if dpi < 50 || dpi > 1200 {
		dpi = 200
	}
	orig := filepath.Join(dir, "page."+pi.Kind)
	if err := os.WriteFile(orig, pi.Data, 0o600); err != nil {
		return nil, err
	}
	lang := opt.Lang
	if lang == "" {
		lang = "vie"
	}
	if !regexp.MustCompile(`^[a-z_]{3,12}(\+[a-z_]{3,12})*$`).MatchString(lang) {
		return nil, fmt.Errorf("language %q", lang)
	}
	words, err := tesseractTSV(ctx, orig, lang, dpi)
	if err != nil {
		return nil, err
	}
	rotation := 0
	var img *image.Gray
	upright := orig
	if len(words) < minWords || meanConf(words) < lowConf || sideways(words) {
		if rot := osd(ctx, orig, dpi); rot != 0 {
			img, err = decodeGray(pi)
			if err != nil {
				return nil, err
			}
			turned := rotateCW(img, rot)
			path := filepath.Join(dir, "upright.png")
			if err := writePNG(path, turned); err != nil {
				return nil, err
			}
			w2, err := tesseractTSV(ctx, path, lang, dpi)
			if err != nil {
				return nil, err
			}
			if sideways(words) || meanConf(w2)*float64(len(w2)) > meanConf(words)*float64(len(words)) {
				words, rotation, upright, img = w2, rot, path, turned
			}
		}
	}
	p.Rotation = rotation
	p.Words = place(words, pi, rotation)
	p.Conf = meanConf(words)
	if opt.MRZ {
		p.MRZ = mrzPass(ctx, dir, upright, img, pi, words, dpi)
		// A card laid upside down or sideways on the glass has too little
		// text for the checks above: without a valid zone, turn it and retry.
		if !validZone(p.MRZ) && rotation == 0 {
			if img == nil {
				if img, err = decodeGray(pi); err != nil {
					return nil, err
				}
			}
			// Orientation detection first; a page that read as noise and
			// whose orientation it cannot tell is most likely upside down
			// (a sideways page reads as words boxed taller than wide).
			var tries []int
			if rot := osd(ctx, orig, dpi); rot != 0 {
				tries = []int{rot}
			} else if len(words) < minWords || meanConf(words) < lowConf {
				tries = []int{180}
			}
			for _, rot := range tries {
				turned := rotateCW(img, rot)
				path := filepath.Join(dir, fmt.Sprintf("turned%d.png", rot))
				if err := writePNG(path, turned); err != nil {
					return nil, err
				}
				w2, err := tesseractTSV(ctx, path, lang, dpi)
				if err != nil {
					return nil, err
				}
				if z := mrzPass(ctx, dir, path, turned, pi, w2, dpi); validZone(z) {
					p.Rotation, p.Words, p.Conf, p.MRZ = rot, place(w2, pi, rot), meanConf(w2), z
					break
				}
			}
		}
	}
	p.Took = time.Since(start)
	return p, nil
}

// sideways reports whether most longer words are taller than wide: a page
// fed sideways, whose lines Tesseract reads but boxes upright.
func sideways(ws []tsvWord) bool {
	long, tall := 0, 0
	for _, w := range ws {
		if utf8.RuneCountInString(w.Text) >= 4 {
			long++
			if w.Box.Height > w.Box.Width {
				tall++
			}
		}
	}
	return long > 0 && tall*2 > long
}

func meanConf(ws []tsvWord) float64 {
	if len(ws) == 0 {
		return 0
	}
	s := 0.0
	for _, w := range ws {
		s += max(w.Conf, 0)
	}
	return s / float64(len(ws))
}

// tesseractCmd runs tesseract with one thread and returns its stdout.
func tesseractCmd(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "tesseract", args...)
	cmd.Env = isolate.Env("OMP_THREAD_LIMIT=1")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("tesseract: time limit: %w", ctx.Err())
		}
		return nil, fmt.Errorf("tesseract: %w: %s", err, clipText(stderr.String(), 300))
	}
	return out.Bytes(), nil
}

func tesseractTSV(ctx context.Context, path, lang string, dpi int) ([]tsvWord, error) {
	out, err := tesseractCmd(ctx, path, "stdout", "-l", lang, "--psm", "3", "--dpi", strconv.Itoa(dpi), "tsv")
	if err != nil {
		return nil, err
	}
	return parseTSV(bytes.NewReader(out))
}

// osd returns the clockwise rotation that makes the page upright (0, 90,
// 180, 270), or 0 when Tesseract cannot tell (too little text).
func osd(ctx context.Context, path string, dpi int) int {
	out, err := tesseractCmd(ctx, path, "stdout", "--psm", "0", "--dpi", strconv.Itoa(dpi))
	if err != nil {
		return 0
	}
	rot, conf := -1, 0.0
	for l := range strings.Lines(string(out)) {
		if v, ok := strings.CutPrefix(l, "Rotate:"); ok {
			rot, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if v, ok := strings.CutPrefix(l, "Orientation confidence:"); ok {
			conf, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	if conf < osdMinConf || (rot != 90 && rot != 180 && rot != 270) {
		return 0
	}
	return rot
}

// decodeGray decodes the page image (its pixels were checked against the
// limits before) into grey.
func decodeGray(pi *scan.PageImage) (*image.Gray, error) {
	var (
		src image.Image
		err error
	)
	if pi.Kind == "jpg" {
		src, err = jpeg.Decode(bytes.NewReader(pi.Data))
	} else {
		src, err = png.Decode(bytes.NewReader(pi.Data))
	}
	if err != nil {
		return nil, fmt.Errorf("decode page image: %w", err)
	}
	if g, ok := src.(*image.Gray); ok {
		return g, nil
	}
	g := image.NewGray(src.Bounds())
	draw.Draw(g, g.Bounds(), src, src.Bounds().Min, draw.Src)
	return g, nil
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rotateCW turns an image clockwise by 90, 180 or 270 degrees.
func rotateCW(src *image.Gray, deg int) *image.Gray {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	var dst *image.Gray
	switch deg {
	case 180:
		dst = image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			row := src.Pix[y*src.Stride : y*src.Stride+w]
			drow := dst.Pix[(h-1-y)*dst.Stride:]
			for x, v := range row {
				drow[w-1-x] = v
			}
		}
	case 90, 270:
		dst = image.NewGray(image.Rect(0, 0, h, w))
		for y := range h {
			for x := range w {
				v := src.Pix[y*src.Stride+x]
				if deg == 90 {
					dst.Pix[x*dst.Stride+(h-1-y)] = v
				} else {
					dst.Pix[(w-1-x)*dst.Stride+y] = v
				}
			}
		}
	default:
		return src
	}
	return dst
}

// place turns word boxes of the upright image into Words on the page as
// displayed: the upright image was the page image turned rot clockwise; the
// page image fills the page (centred, aspect kept, as scanners write pages).
func place(ws []tsvWord, pi *scan.PageImage, rot int) []Word {
	iw, ih := float64(pi.Width), float64(pi.Height)
	s := min(pi.PageWidth/iw, pi.PageHeight/ih)
	ox, oy := (pi.PageWidth-iw*s)/2, (pi.PageHeight-ih*s)/2
	// toOrig maps a point of the upright image back to the page image.
	toOrig := func(u, v float64) (float64, float64) {
		switch rot {
		case 90:
			return v, ih - u
		case 180:
			return iw - u, ih - v
		case 270:
			return iw - v, u
		}
		return u, v
	}
	toPage := func(x, y float64) (float64, float64) { return ox + x*s, pi.PageHeight - (oy + y*s) }
	// Words of a line share its top and bottom, so that a reader sees one
	// baseline and one font size and keeps the line together.
	type extent struct{ top, bottom int }
	lines := map[[3]int]extent{}
	for _, w := range ws {
		k := [3]int{w.Block, w.Par, w.Line}
		e, ok := lines[k]
		if !ok {
			e = extent{w.Box.Top, w.Box.Top + w.Box.Height}
		}
		lines[k] = extent{min(e.top, w.Box.Top), max(e.bottom, w.Box.Top+w.Box.Height)}
	}
	out := make([]Word, 0, len(ws))
	line, last := -1, [3]int{-1, -1, -1}
	for _, w := range ws {
		k := [3]int{w.Block, w.Par, w.Line}
		if k != last {
			line++
			last = k
		}
		b := w.Box
		b.Top, b.Height = lines[k].top, lines[k].bottom-lines[k].top
		x, y := toPage(toOrig(float64(b.Left), float64(b.Top+b.Height)))
		out = append(out, Word{Text: w.Text, Conf: w.Conf, X: round2(x), Y: round2(y),
			W: round2(float64(b.Width) * s), H: round2(float64(b.Height) * s), Angle: rot, Line: line})
	}
	return out
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// validZone reports whether text holds a TD1 zone whose check digits all match.
func validZone(text string) bool {
	td, err := mrz.Find(text, time.Now())
	return err == nil && td.Valid()
}

// mrzAlphabet is what a machine-readable zone is printed with.
const mrzAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

// mrzPass reads the machine-readable zone again with the zone's alphabet
// only (English data, one block of text): first the lines the main pass
// took for zone lines, cropped, then the whole upright page. It returns the
// text of both reads plus the main pass's own, for mrz.Find to choose from.
func mrzPass(ctx context.Context, dir, upright string, img *image.Gray, pi *scan.PageImage, ws []tsvWord, dpi int) string {
	var texts []string
	args := func(path string) []string {
		return []string{path, "stdout", "-l", "eng", "--psm", "6", "--dpi", strconv.Itoa(dpi), "-c", "tessedit_char_whitelist=" + mrzAlphabet}
	}
	// Zone lines in the main pass: long runs of capitals, digits and fillers.
	var zone image.Rectangle
	for _, w := range ws {
		t := strings.ToUpper(w.Text)
		n := 0
		for _, r := range t {
			if strings.ContainsRune(mrzAlphabet, r) {
				n++
			}
		}
		if n >= 12 && n*10 >= len([]rune(t))*8 {
			r := image.Rect(w.Box.Left, w.Box.Top, w.Box.Left+w.Box.Width, w.Box.Top+w.Box.Height)
			zone = zone.Union(r)
		}
	}
	if !zone.Empty() {
		if img == nil {
			g, err := decodeGray(pi)
			if err == nil {
				img = g
			}
		}
		if img != nil {
			m := zone.Dy()/2 + 10
			crop := zone.Inset(-m).Intersect(img.Bounds())
			sub := image.NewGray(image.Rect(0, 0, crop.Dx(), crop.Dy()))
			draw.Draw(sub, sub.Bounds(), img, crop.Min, draw.Src)
			path := filepath.Join(dir, "zone.png")
			if writePNG(path, sub) == nil {
				if out, err := tesseractCmd(ctx, args(path)...); err == nil {
					texts = append(texts, string(out))
				}
			}
			// And twice the size (bilinear): OCR-B at 200 dpi is about 20
			// pixels high, under what Tesseract reads best. One more read for
			// mrz.Find to pair lines from; it never replaces the others.
			big := upscale2(sub)
			path2 := filepath.Join(dir, "zone2.png")
			if writePNG(path2, big) == nil {
				a := args(path2)
				a[6] = strconv.Itoa(2 * dpi)
				if out, err := tesseractCmd(ctx, a...); err == nil {
					texts = append(texts, string(out))
				}
			}
		}
	}
	if out, err := tesseractCmd(ctx, args(upright)...); err == nil {
		texts = append(texts, string(out))
	}
	// The main pass, a line a line.
	var b strings.Builder
	last := [3]int{-1, -1, -1}
	for _, w := range ws {
		if k := [3]int{w.Block, w.Par, w.Line}; k != last {
			b.WriteByte('\n')
			last = k
		}
		b.WriteString(w.Text)
	}
	texts = append(texts, b.String())
	return strings.Join(texts, "\n\n")
}

// upscale2 doubles an image's size with bilinear interpolation.
func upscale2(src *image.Gray) *image.Gray {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewGray(image.Rect(0, 0, 2*w, 2*h))
	at := func(x, y int) float64 {
		x, y = min(max(x, 0), w-1), min(max(y, 0), h-1)
		return float64(src.Pix[y*src.Stride+x])
	}
	for y := range 2 * h {
		sy := (float64(y)+0.5)/2 - 0.5
		y0 := int(math.Floor(sy))
		fy := sy - float64(y0)
		for x := range 2 * w {
			sx := (float64(x)+0.5)/2 - 0.5
			x0 := int(math.Floor(sx))
			fx := sx - float64(x0)
			v := (at(x0, y0)*(1-fx)+at(x0+1, y0)*fx)*(1-fy) + (at(x0, y0+1)*(1-fx)+at(x0+1, y0+1)*fx)*fy
			dst.Pix[y*dst.Stride+x] = uint8(v + 0.5)
		}
	}
	return dst
}
