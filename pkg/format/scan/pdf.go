package scan

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"strings"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/format/pdfmem"
)

// eofWindow is how far from the end of a PDF "%%EOF" must be found. Scanners
// and editors append at most a few bytes (CR/LF, NUL padding) after it; a
// file cut during upload or saving has none.
const eofWindow = 2048

// disableConfigDir keeps pdfcpu from creating ~/.config/pdfcpu (read-only on
// Lambda). pdfcpu exposes it only as a process-wide switch.
var disableConfigDir = sync.OnceFunc(api.DisableConfigDir)

// readContext reads a PDF with pdfcpu, its panics (on some damaged
// cross-reference structures) returned as errors.
func readContext(data []byte, conf *model.Configuration) (ctx *model.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			ctx, err = nil, fmt.Errorf("pdfcpu panic: %v", r)
		}
	}()
	return api.ReadContext(bytes.NewReader(data), conf)
}

// pdfConfig returns the pdfcpu configuration for untrusted input.
func pdfConfig(lim Limits) *model.Configuration {
	disableConfigDir()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.Cmd = model.EXTRACTIMAGES
	conf.Limits.MaxStreamBytes = lim.MaxBytes
	conf.Limits.MaxImagePixels = lim.MaxPixels
	// A page image decodes to at most 4 bytes a pixel (CMYK); anything larger is a bomb.
	conf.Limits.MaxDecodeBytes = min(conf.Limits.MaxDecodeBytes, max(4*lim.MaxPixels, 64<<20))
	conf.ValidateLinks = false
	return conf
}

type pdfSource struct {
	ctx    *model.Context
	dims   []types.Dim
	active bool
	lim    Limits
}

// openPDF checks a PDF's structure and reads it with pdfcpu. A file whose
// cross-reference structure pdfcpu cannot follow (it fails, panics, finds
// no page, or reads streams whose /Length lies) is read again with the
// cross-reference table reconstructed by scanning it for objects, as qpdf
// and poppler do (see reconstruct.go).
func openPDF(data []byte, lim Limits) (*pdfSource, error) {
	if declaresEncryption(data) {
		return nil, newError(CodeEncrypted, 0, nil, msgEncrypted)
	}
	tail := data[max(0, len(data)-eofWindow):]
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return nil, newError(CodeUnreadable, 0, errors.New("no %%EOF near the end"), msgTruncated)
	}
	src, damaged, err := readPDF(data, lim)
	if !damaged {
		return src, err
	}
	rebuilt, rerr := reconstructXRef(data)
	if rerr != nil {
		return src, err
	}
	src2, _, err2 := readPDF(rebuilt, lim)
	if err2 != nil || (err == nil && src2.pageCount() != src.pageCount()) {
		// The first reading's verdict: the reconstruction made nothing
		// better, or lost pages a reading that worked had found.
		return src, err
	}
	return src2, nil
}

// readPDF reads a PDF with pdfcpu. damaged reports a failure that a
// reconstructed cross-reference table may cure (then src may still be
// usable when err is nil: only some streams' lengths lie).
func readPDF(data []byte, lim Limits) (src *pdfSource, damaged bool, err error) {
	conf := pdfConfig(lim)
	ctx, err := readContext(data, conf)
	if err != nil {
		return nil, true, newError(CodeUnreadable, 0, err, msgUnreadable)
	}
	if ctx.Encrypt != nil {
		return nil, false, newError(CodeEncrypted, 0, nil, msgEncrypted)
	}
	lengthsLie := pdfmem.AliasStreams(ctx.XRefTable, data)
	n, err := flattenPageTree(ctx.XRefTable, lim.MaxPages)
	if err != nil {
		return nil, true, newError(CodePageTree, 0, err, msgPageTree)
	}
	if n == 0 {
		return nil, false, newError(CodeNoPages, 0, nil, msgNoPages)
	}
	if n > lim.MaxPages {
		return nil, false, newError(CodeTooManyPages, 0, nil,
			"Tệp quét có hơn %d trang, vượt quá giới hạn %d trang của một lần tải lên. Hãy chia hồ sơ thành nhiều lần quét.", lim.MaxPages, lim.MaxPages)
	}
	active := hasActiveContent(ctx.XRefTable)
	keepOnlyPages(ctx.XRefTable)
	if err := api.ValidateContext(ctx); err != nil {
		return nil, true, newError(CodeUnreadable, 0, err, msgUnreadable)
	}
	if err := api.OptimizeContext(ctx); err != nil {
		return nil, true, newError(CodeUnreadable, 0, err, msgUnreadable)
	}
	dims, err := ctx.PageDims()
	if err != nil || len(dims) != ctx.PageCount {
		return nil, true, newError(CodeUnreadable, 0, err, msgUnreadable)
	}
	return &pdfSource{ctx: ctx, dims: dims, active: active, lim: lim}, lengthsLie, nil
}

func (s *pdfSource) pageCount() int      { return s.ctx.PageCount }
func (s *pdfSource) activeContent() bool { return s.active }

// page reads what page n draws: its image XObjects placed by their
// matrices, and how much text and vector drawing it carries. A page that is
// one JPEG covering the page (the common scanner PDF) is handed to the
// workers as that JPEG; any other page is composed from all its images by
// the workers (see compose.go).
func (s *pdfSource) page(n int) (pageImage, error) {
	pi := pageImage{number: n}
	box, res, err := s.pageBox(n)
	if err != nil {
		return pi, newError(CodeUnreadable, n, err, msgPageBroken, n)
	}
	pi.rotate = s.rotation(n)
	if e := pageTooSmall(n, box.w()/72*25.4, box.h()/72*25.4, 0, 0); e != nil {
		return pi, e
	}
	r, err := pdfcpu.ExtractPageContent(s.ctx, n)
	if err != nil {
		return pi, newError(CodeUnreadable, n, err, msgPageBroken, n)
	}
	content, err := io.ReadAll(io.LimitReader(r, maxContentSize+1))
	if err != nil || len(content) > maxContentSize {
		return pi, newError(CodeUnreadable, n, fmt.Errorf("content: %v (%d bytes)", err, len(content)), msgPageBroken, n)
	}
	pc, err := walkContent(s.ctx.XRefTable, content, res)
	if err != nil {
		return pi, newError(CodeUnreadable, n, err, msgPageBroken, n)
	}
	// A page is drawn from at most maxPlacements images holding at most
	// 4 × MaxPixels pixels together (each one decoded for every placement):
	// a 600-dpi page in 415 strips is 35 MP in all; a page drawing one image
	// a million times is an attack.
	var total int64
	if len(pc.images) > maxPlacements {
		return pi, newError(CodeImageTooLarge, n, fmt.Errorf("%d image placements", len(pc.images)),
			"Trang %d được ghép từ quá nhiều ảnh (%d). Hãy quét lại hồ sơ và tải lên lại.", n, len(pc.images))
	}
	for _, p := range pc.images {
		w, h := intEntry(p.sd, "Width"), intEntry(p.sd, "Height")
		if total += int64(max(w, 0)) * int64(max(h, 0)); total > 4*s.lim.MaxPixels {
			return pi, newError(CodeImageTooLarge, n, fmt.Errorf("images of %d pixels in all", total),
				"Trang %d có ảnh quá lớn hoặc bất thường. Hãy quét lại ở 200–300 dpi rồi tải lên lại.", n)
		}
		if w <= 0 || h <= 0 {
			return pi, newError(CodeUnreadable, n, fmt.Errorf("image obj#%d without dimensions", p.nr), msgPageBroken, n)
		}
		if int64(w)*int64(h) > s.lim.MaxPixels {
			return pi, imageTooLarge(n, w, h)
		}
		if err := checkInflatedSize(p.sd, w, h); err != nil {
			return pi, newError(CodeImageTooLarge, n, err,
				"Trang %d chứa ảnh có dữ liệu bất thường (lớn hơn nhiều so với kích thước khai báo). Hãy quét lại hồ sơ và tải lên lại.", n)
		}
	}
	l := measureLayout(pc.images, box)
	pi.dpi, pi.color = l.dpi, l.color
	pi.digital = l.coverage < scanCoverage && (pc.marks > 0 || len(pc.images) > 0)
	pi.marks = pc.marks
	if len(pc.images) == 0 {
		pi.noImage = true
		pi.emptyContent = pc.marks == 0
		return pi, nil
	}
	if p := pc.images[0]; len(pc.images) == 1 && lastFilter(p.sd) == "DCTDecode" && len(p.sd.FilterPipeline) == 1 &&
		p.x.mask == nil && !boolEntry(p.sd.Dict, "ImageMask") && len(p.x.decode) == 0 &&
		p.ctm[1] == 0 && p.ctm[2] == 0 && p.ctm[0] > 0 && p.ctm[3] > 0 && fillsBox(p.ctm, box) && !cmykJPEG(p.sd.Raw) {
		pi.kind, pi.data = "jpg", p.sd.Raw
		return pi, nil
	}
	c := &composer{lim: s.lim, nr: n}
	imgs := pc.images
	pi.decode = func() (image.Image, error) { return c.compose(imgs, box) }
	return pi, nil
}

// fillsBox reports whether an image placed by m covers box edge to edge
// (within 1 %): then the image is the page, and its ink map is the page's.
// An image with margins is composed onto the page instead, so that what is
// known of the page's ink sits where it is on the page.
func fillsBox(m matrix, box pageBox) bool {
	x0, y0, x1, y1 := bbox(m)
	tw, th := 0.01*box.w(), 0.01*box.h()
	return math.Abs(x0-box.llx) <= tw && math.Abs(x1-box.urx) <= tw && math.Abs(y0-box.lly) <= th && math.Abs(y1-box.ury) <= th
}

// pageBox returns page n's visible box (CropBox within MediaBox) and its
// resources.
func (s *pdfSource) pageBox(n int) (pageBox, types.Dict, error) {
	d, _, inh, err := s.ctx.PageDict(n, false)
	if err != nil || d == nil {
		return pageBox{}, nil, fmt.Errorf("page dict: %v", err)
	}
	var r *types.Rectangle
	if inh != nil {
		r = inh.MediaBox
		if inh.CropBox != nil && inh.CropBox.Width() > 0 && inh.CropBox.Height() > 0 {
			r = inh.CropBox
		}
	}
	var res types.Dict
	if inh != nil {
		res = inh.Resources
	}
	if res == nil {
		res = dictEntry(s.ctx.XRefTable, d, "Resources")
	}
	if r == nil || r.Width() <= 0 || r.Height() <= 0 {
		dim := s.dims[n-1]
		return pageBox{0, 0, dim.Width, dim.Height}, res, nil
	}
	return pageBox{r.LL.X, r.LL.Y, r.UR.X, r.UR.Y}, res, nil
}

// rotation returns page n's /Rotate as 0, 90, 180 or 270 (readers ignore
// a value that is not a multiple of 90).
func (s *pdfSource) rotation(n int) int {
	d, _, inh, err := s.ctx.PageDict(n, false)
	if err != nil || d == nil {
		return 0
	}
	r := 0
	if inh != nil {
		r = inh.Rotate
	}
	if v := d.IntEntry("Rotate"); v != nil {
		r = *v
	}
	r = ((r % 360) + 360) % 360
	if r%90 != 0 {
		return 0
	}
	return r
}

// largestImage returns the largest image of page n, undecoded, for
// rebuilding a page of a file with active content.
func (s *pdfSource) largestImage(n int) (pageImage, error) {
	pi := pageImage{number: n}
	declared := map[int][2]int{}
	for _, objNr := range pdfcpu.ImageObjNrs(s.ctx, n) {
		obj := s.ctx.Optimize.ImageObjects[objNr]
		if obj == nil || obj.ImageDict == nil {
			continue
		}
		w := obj.ImageDict.IntEntry("Width")
		h := obj.ImageDict.IntEntry("Height")
		if w == nil || h == nil || *w <= 0 || *h <= 0 {
			return pi, newError(CodeUnreadable, n, fmt.Errorf("image obj#%d without dimensions", objNr), msgPageBroken, n)
		}
		if int64(*w)*int64(*h) > s.lim.MaxPixels {
			return pi, imageTooLarge(n, *w, *h)
		}
		declared[objNr] = [2]int{*w, *h}
	}
	imgs, err := pdfcpu.ExtractPageImages(s.ctx, n, false)
	if len(imgs) == 0 && err != nil {
		if errors.Is(err, pdfcpu.ErrUnsupportedResource) {
			filter := "JPXDecode"
			for _, objNr := range pdfcpu.ImageObjNrs(s.ctx, n) {
				if obj := s.ctx.Optimize.ImageObjects[objNr]; obj != nil && obj.ImageDict != nil && codecNames[lastFilter(obj.ImageDict)] != "" {
					filter = lastFilter(obj.ImageDict)
				}
			}
			return pi, unreadableCodec(n, filter, err)
		}
		if strings.Contains(err.Error(), "exceeds limit") {
			return pi, newError(CodeImageTooLarge, n, err,
				"Trang %d có ảnh quá lớn hoặc bất thường. Hãy quét lại ở 200–300 dpi rồi tải lên lại.", n)
		}
		return pi, newError(CodeUnreadable, n, err, msgPageBroken, n)
	}
	var (
		best   model.Image
		bw, bh int
	)
	for objNr, im := range imgs {
		d := declared[objNr]
		if im.Thumb || im.IsImgMask || im.Reader == nil {
			continue
		}
		if best.Reader == nil || d[0]*d[1] > bw*bh {
			best, bw, bh = im, d[0], d[1]
		}
	}
	if best.Reader == nil {
		pi.noImage = true
		return pi, nil
	}
	data, err := readAllSized(best.Reader, s.lim.MaxBytes)
	if err != nil {
		return pi, newError(CodeUnreadable, n, err, msgPageBroken, n)
	}
	pi.data = data
	pi.kind = best.FileType
	return pi, nil
}

// maxPlacements is the most images one page may draw.
const maxPlacements = 5000

// build writes pages as a new PDF: copied page by page when the source has no
// active content, rebuilt from the page images otherwise.
func (s *pdfSource) build(pages []int) ([]byte, error) {
	if s.active {
		return s.rebuild(pages)
	}
	dst, err := pdfcpu.ExtractPages(s.ctx, pages, false)
	if err != nil {
		return nil, newError(CodeUnreadable, 0, err, msgUnreadable)
	}
	// Size the output up front: growing a buffer by doubling would hold up
	// to three times the component in memory.
	size := 0
	for _, n := range pages {
		size += 16 << 10
		for _, objNr := range pdfcpu.ImageObjNrs(s.ctx, n) {
			if obj := s.ctx.Optimize.ImageObjects[objNr]; obj != nil && obj.ImageDict != nil {
				size += len(obj.ImageDict.Raw)
			}
		}
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	if err := api.WriteContext(dst, buf); err != nil {
		return nil, newError(CodeUnreadable, 0, err, msgUnreadable)
	}
	return buf.Bytes(), nil
}

// readAllSized reads r whole, in one allocation when r knows its length.
func readAllSized(r io.Reader, limit int64) ([]byte, error) {
	if l, ok := r.(interface{ Len() int }); ok && int64(l.Len()) <= limit {
		b := make([]byte, l.Len())
		_, err := io.ReadFull(r, b)
		return b, err
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(b)) > limit {
		return nil, errors.New("page image larger than the scan limit")
	}
	return b, err
}

// rebuild makes a new PDF holding only the page images of pages, each page at
// the size of its source page.
func (s *pdfSource) rebuild(pages []int) ([]byte, error) {
	out := make([]outPage, 0, len(pages))
	for _, n := range pages {
		pi, err := s.largestImage(n)
		if err != nil {
			return nil, err
		}
		op := outPage{wPt: s.dims[n-1].Width, hPt: s.dims[n-1].Height}
		if !pi.noImage {
			op.img, op.kind = pi.data, pi.kind
		}
		out = append(out, op)
	}
	return buildPDF(out)
}

// keepOnlyPages drops everything from the catalog but the page tree: a scan's
// outlines, names, labels or forms are nothing we keep, and a damaged outline
// must not make the pages unreadable. Call it after hasActiveContent.
func keepOnlyPages(xt *model.XRefTable) {
	root, err := xt.Catalog()
	if err != nil || root == nil {
		return
	}
	for k := range root {
		if k != "Type" && k != "Pages" {
			delete(root, k)
		}
	}
}

// activeKeys are dictionary keys that carry scripts, actions, attachments,
// forms or annotations. A scan needs none of them.
var activeKeys = []string{"JS", "JavaScript", "AA", "OpenAction", "EmbeddedFile", "EmbeddedFiles",
	"AcroForm", "XFA", "RichMedia", "Annots", "Launch", "URI"}

// hasActiveContent reports whether any object of the PDF carries active content.
func hasActiveContent(xt *model.XRefTable) bool {
	for _, e := range xt.Table {
		if e == nil || e.Free || e.Object == nil {
			continue
		}
		var d types.Dict
		switch o := e.Object.(type) {
		case types.Dict:
			d = o
		case types.StreamDict:
			d = o.Dict
		default:
			continue
		}
		for _, k := range activeKeys {
			if _, ok := d[k]; ok {
				return true
			}
		}
		if t := d.NameEntry("Type"); t != nil && (*t == "Action" || *t == "Annot" || *t == "Filespec") {
			return true
		}
	}
	return false
}

// checkInflatedSize refuses a Flate-compressed image whose data inflates to
// more than its declared size could need: the decompression bomb. It streams
// through the data without keeping it, so the check costs time, not memory.
// Streams with other filters (DCT, CCITT, …) are not inflated here.
func checkInflatedSize(sd *types.StreamDict, w, h int) error {
	if sd == nil || len(sd.FilterPipeline) == 0 {
		return nil
	}
	for _, f := range sd.FilterPipeline {
		if f.Name != "FlateDecode" {
			return nil
		}
	}
	comps := 4
	if cs := sd.NameEntry("ColorSpace"); cs != nil {
		switch *cs {
		case "DeviceGray", "CalGray":
			comps = 1
		case "DeviceRGB", "CalRGB":
			comps = 3
		}
	}
	bpc := 8
	if b := sd.IntEntry("BitsPerComponent"); b != nil && *b > 0 && *b <= 16 {
		bpc = *b
	}
	rowBytes := (int64(w)*int64(comps)*int64(bpc) + 7) / 8
	need := int64(h) * (rowBytes + 1) // +1: PNG predictor tag byte per row
	limit := need + need/8 + 64<<10
	var r io.Reader = bytes.NewReader(sd.Raw)
	for range sd.FilterPipeline {
		zr, err := zlib.NewReader(r)
		if err != nil {
			return nil // let pdfcpu report the broken stream
		}
		r = zr
	}
	got, _ := io.Copy(io.Discard, io.LimitReader(r, limit+1))
	if got > limit {
		return fmt.Errorf("image inflates to more than %d bytes (declared %dx%d)", limit, w, h)
	}
	return nil
}
