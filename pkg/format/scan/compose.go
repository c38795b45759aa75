package scan

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"slices"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/format/ccitt"
	"github.com/sohoa/sohoa/pkg/format/jpegscale"
	"github.com/sohoa/sohoa/pkg/format/separator"
)

// Page composition. A scanner's PDF page is not always one image: strips
// (2, 4 or hundreds of horizontal bands), tiles, mixed-raster pages (a
// low-resolution background and a high-resolution foreground mask), stencil
// masks painted in a colour, soft masks. The page image that separator and
// blank detection see is composed from all of them, each placed by its
// transformation matrix, at about the resolution detection works at.

// composeShortSide is the short side, in pixels, of a composed page: about
// what separator.Reduce makes of a 200–300 dpi A4 scan (413 px).
const composeShortSide = 420

// scanCoverage: a page whose images cover less than this fraction of its
// area is born-digital (text, vector graphics, a logo), not a scan.
const scanCoverage = 0.5

// Color modes of a page image, from what the file says of it.
const (
	ColorColor   = "colour"
	ColorGray    = "grey"
	ColorBilevel = "bilevel"
)

// pageBox is a page's visible area in default user space.
type pageBox struct{ llx, lly, urx, ury float64 }

func (b pageBox) w() float64 { return b.urx - b.llx }
func (b pageBox) h() float64 { return b.ury - b.lly }

// layout is what measuring a page's images found, before decoding them.
type layout struct {
	dpi      float64 // effective resolution of the images covering the page; 0 if none do
	coverage float64 // fraction of the page the images cover (sum, capped at 1)
	color    string  // colour mode of the image covering most of the page
}

// measureLayout computes a page's effective resolution from its image
// placements: the highest resolution r such that images of at least r dpi
// cover half the page. Strips of one scan all have its resolution; the
// high-resolution mask of a mixed-raster page decides over its background.
func measureLayout(imgs []placement, box pageBox) layout {
	type cov struct{ dpi, area float64 }
	var covs []cov
	var total, best float64
	var l layout
	pageArea := box.w() * box.h()
	if pageArea <= 0 {
		return l
	}
	for _, p := range imgs {
		w, h := intEntry(p.sd, "Width"), intEntry(p.sd, "Height")
		if w <= 0 || h <= 0 {
			continue
		}
		a, b, c, d := p.ctm[0], p.ctm[1], p.ctm[2], p.ctm[3]
		lx, ly := math.Hypot(a, b), math.Hypot(c, d)
		if lx <= 0 || ly <= 0 {
			continue
		}
		area := clippedArea(p.ctm, box) / pageArea
		if area <= 0 {
			continue
		}
		dpi := min(float64(w)/lx, float64(h)/ly) * 72
		covs = append(covs, cov{dpi, area})
		total += area
		if area > best {
			best, l.color = area, imageColor(p.sd, p.x)
		}
	}
	l.coverage = min(total, 1)
	if l.coverage < scanCoverage {
		return l
	}
	slices.SortFunc(covs, func(x, y cov) int {
		switch {
		case x.dpi > y.dpi:
			return -1
		case x.dpi < y.dpi:
			return 1
		}
		return 0
	})
	sum := 0.0
	for _, c := range covs {
		sum += c.area
		if sum >= scanCoverage {
			l.dpi = c.dpi
			break
		}
	}
	return l
}

// clippedArea is the area of the unit square under m inside box,
// approximated by its bounding box clipped to the page, scaled by how much
// of that bounding box the parallelogram fills.
func clippedArea(m matrix, box pageBox) float64 {
	x0, y0, x1, y1 := bbox(m)
	bw, bh := x1-x0, y1-y0
	if bw <= 0 || bh <= 0 {
		return 0
	}
	fill := math.Abs(m[0]*m[3]-m[1]*m[2]) / (bw * bh)
	cw := min(x1, box.urx) - max(x0, box.llx)
	ch := min(y1, box.ury) - max(y0, box.lly)
	if cw <= 0 || ch <= 0 {
		return 0
	}
	return cw * ch * fill
}

func bbox(m matrix) (x0, y0, x1, y1 float64) {
	x0, y0 = math.Inf(1), math.Inf(1)
	x1, y1 = math.Inf(-1), math.Inf(-1)
	for _, c := range [4][2]float64{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
		x, y := m.apply(c[0], c[1])
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
	}
	return
}

func intEntry(sd *types.StreamDict, key string) int {
	if v := sd.IntEntry(key); v != nil {
		return *v
	}
	return 0
}

func boolEntry(d types.Dict, key string) bool {
	if v := d.BooleanEntry(key); v != nil {
		return *v
	}
	return false
}

// imageColor says what an image XObject is: bilevel, grey or colour.
func imageColor(sd *types.StreamDict, x *xobject) string {
	if boolEntry(sd.Dict, "ImageMask") || intEntry(sd, "BitsPerComponent") == 1 || lastFilter(sd) == "CCITTFaxDecode" || lastFilter(sd) == "JBIG2Decode" {
		return ColorBilevel
	}
	if cs := sd.NameEntry("ColorSpace"); cs != nil {
		switch *cs {
		case "DeviceGray", "CalGray":
			return ColorGray
		}
		return ColorColor
	}
	if x != nil && x.spaceColor != "" {
		return x.spaceColor // an ICC profile, CalGray, Lab, an Indexed palette
	}
	if lastFilter(sd) == "DCTDecode" {
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(sd.Raw)); err == nil && cfg.ColorModel == color.GrayModel {
			return ColorGray
		}
	}
	return ColorColor
}

func lastFilter(sd *types.StreamDict) string {
	if len(sd.FilterPipeline) == 0 {
		return ""
	}
	return sd.FilterPipeline[len(sd.FilterPipeline)-1].Name
}

// composer decodes and draws a page's images. It runs in the worker
// goroutines and touches no pdfcpu object table: everything it needs was
// resolved by prepare in the reading goroutine (pdfcpu caches as it
// dereferences, which is not safe for concurrent use).
type composer struct {
	lim Limits
	nr  int // page number, for errors
}

// xobject is an image XObject with what decoding it needs, resolved.
type xobject struct {
	sd     *types.StreamDict
	nr     int
	comps  int
	lut    []uint8   // /Indexed: grey of each index
	decode []float64 // /Decode
	mask   *xobject  // /SMask or /Mask stream
	// stencilMask: mask is a /Mask stencil (paints where 0), not a soft mask.
	stencilMask bool
	// lab: the samples are CIE L*a*b*; the page's grey is L* alone.
	lab bool
	// spaceColor is what a colour-space array says of the image (grey
	// for a one-channel ICC profile or a palette of greys), "" otherwise.
	spaceColor string
}

// prepare resolves what compose needs of a placement's image.
func prepare(xt *model.XRefTable, sd *types.StreamDict, nr int, withMask bool) *xobject {
	x := &xobject{sd: sd, nr: nr, decode: arrayEntry(xt, sd.Dict, "Decode")}
	x.comps, x.lut = colorSpace(xt, sd)
	x.lab = isLab(xt, sd)
	if o, ok := sd.Find("ColorSpace"); ok {
		o, _ = xt.Dereference(o)
		x.spaceColor = spaceColor(xt, o, 0)
	}
	if !withMask || boolEntry(sd.Dict, "ImageMask") {
		return x
	}
	for _, key := range []string{"SMask", "Mask"} {
		o, ok := sd.Find(key)
		if !ok {
			continue
		}
		ref, ok := o.(types.IndirectRef)
		if !ok {
			continue // a colour-key /Mask array: drawn opaque
		}
		msd, _, err := xt.DereferenceStreamDict(ref)
		if err != nil || msd == nil {
			continue
		}
		x.mask = prepare(xt, msd, ref.ObjectNumber.Value(), false)
		x.stencilMask = key == "Mask"
		break
	}
	return x
}

// compose draws imgs onto a white grey canvas of box at composeShortSide.
func (c *composer) compose(imgs []placement, box pageBox) (*image.Gray, error) {
	s := composeShortSide / min(box.w(), box.h())
	cw, ch := int(box.w()*s+0.5), int(box.h()*s+0.5)
	if cw <= 0 || ch <= 0 || cw > 4*composeShortSide*4 || ch > 4*composeShortSide*4 {
		return nil, newError(CodeUnreadable, c.nr, fmt.Errorf("page box %v", box), msgPageBroken, c.nr)
	}
	canvas := image.NewGray(image.Rect(0, 0, cw, ch))
	for i := range canvas.Pix {
		canvas.Pix[i] = 255
	}
	toCanvas := matrix{s, 0, 0, -s, -box.llx * s, box.ury * s}
	for _, p := range imgs {
		m := p.ctm.mul(toCanvas)
		inv, ok := m.invert()
		if !ok {
			continue
		}
		w, h := intEntry(p.sd, "Width"), intEntry(p.sd, "Height")
		if w <= 0 || h <= 0 {
			return nil, newError(CodeUnreadable, c.nr, fmt.Errorf("image obj#%d without dimensions", p.nr), msgPageBroken, c.nr)
		}
		// Reduce each image to about the canvas resolution before drawing.
		lx, ly := math.Hypot(m[0], m[1]), math.Hypot(m[2], m[3])
		f := max(1, int(min(float64(w)/max(lx, 1e-9), float64(h)/max(ly, 1e-9))))
		stencil := boolEntry(p.sd.Dict, "ImageMask")
		src, err := c.decode(p.x, f, stencil)
		if err != nil {
			return nil, err
		}
		var alpha *image.Gray
		if mx := p.x.mask; mx != nil && !stencil {
			mf := max(1, f*intEntry(mx.sd, "Width")/w)
			alpha, err = c.decode(mx, mf, p.x.stencilMask)
			if err != nil {
				return nil, err
			}
		}
		fill := uint8(p.fill*255 + 0.5)
		paint(canvas, m, inv, src, alpha, stencil, fill)
	}
	return canvas, nil
}

// paint draws src (placed by m, inverted by inv) onto canvas: grey values,
// or for a stencil the fill colour where src says paint; alpha, when set,
// is the image's own coverage.
func paint(canvas *image.Gray, m, inv matrix, src, alpha *image.Gray, stencil bool, fill uint8) {
	x0, y0, x1, y1 := bbox(m)
	cb := canvas.Bounds()
	ix0, iy0 := max(int(math.Floor(x0)), 0), max(int(math.Floor(y0)), 0)
	ix1, iy1 := min(int(math.Ceil(x1)), cb.Dx()), min(int(math.Ceil(y1)), cb.Dy())
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if sw == 0 || sh == 0 {
		return
	}
	var aw, ah int
	if alpha != nil {
		aw, ah = alpha.Rect.Dx(), alpha.Rect.Dy()
	}
	for y := iy0; y < iy1; y++ {
		row := canvas.Pix[y*canvas.Stride:]
		for x := ix0; x < ix1; x++ {
			u, v := inv.apply(float64(x)+0.5, float64(y)+0.5)
			if u < 0 || u >= 1 || v < 0 || v >= 1 {
				continue
			}
			// Image space: row 0 at the top (v = 1).
			sx, sy := int(u*float64(sw)), int((1-v)*float64(sh))
			sy = min(sy, sh-1)
			val := src.Pix[sy*src.Stride+sx]
			var a uint32 = 255
			if stencil {
				a, val = uint32(val), fill
			}
			if alpha != nil {
				ax, ay := min(int(u*float64(aw)), aw-1), min(int((1-v)*float64(ah)), ah-1)
				a = a * uint32(alpha.Pix[ay*alpha.Stride+ax]) / 255
			}
			old := uint32(row[x])
			row[x] = uint8((old*(255-a) + uint32(val)*a) / 255)
		}
	}
}

// decode returns an image XObject reduced by about f: its grey values
// (255 white), or with asMask the coverage it paints as a stencil mask
// (255 painted). Every decoder checks the declared size first.
func (c *composer) decode(x *xobject, f int, asMask bool) (*image.Gray, error) {
	n, sd, nr := c.nr, x.sd, x.nr
	w, h := intEntry(sd, "Width"), intEntry(sd, "Height")
	if w <= 0 || h <= 0 {
		return nil, newError(CodeUnreadable, n, fmt.Errorf("image obj#%d without dimensions", nr), msgPageBroken, n)
	}
	if int64(w)*int64(h) > c.lim.MaxPixels {
		return nil, imageTooLarge(n, w, h)
	}
	f = max(1, min(f, w, h))
	bpc := intEntry(sd, "BitsPerComponent")
	if asMask || boolEntry(sd.Dict, "ImageMask") {
		bpc = 1
	}
	dec := x.decode
	invert := len(dec) >= 2 && dec[0] > dec[1]
	var g *image.Gray
	switch lastFilter(sd) {
	case "JPXDecode", "JBIG2Decode":
		return nil, unreadableCodec(n, lastFilter(sd), fmt.Errorf("obj#%d %s", nr, lastFilter(sd)))
	case "DCTDecode":
		raw, err := c.encoded(sd)
		if err != nil {
			return nil, err
		}
		g, err = c.jpeg(raw, f)
		if err != nil {
			return nil, err
		}
		if cmykJPEG(raw) {
			// image/jpeg undoes the inversion four-component (Adobe) JPEGs
			// store; in a PDF the DCT filter does not, and /Decode [1 0 …]
			// does it: read the samples as viewers do.
			invert = !invert
		}
	case "CCITTFaxDecode":
		raw, err := c.encoded(sd)
		if err != nil {
			return nil, err
		}
		parms := c.faxParms(sd.FilterPipeline[len(sd.FilterPipeline)-1].DecodeParms)
		p := ccitt.Params{Width: w, Height: h, K: parms.k, EncodedByteAlign: parms.align}
		if parms.columns > 0 {
			p.Width = parms.columns
		}
		if parms.rows > 0 {
			p.Height = parms.rows
		}
		red, _, err := ccitt.Reduced(raw, p, f, ccitt.Limits{MaxPixels: c.lim.MaxPixels})
		if err != nil {
			return nil, newError(CodeUnreadable, n, fmt.Errorf("obj#%d: %w", nr, err), msgPageBroken, n)
		}
		g = red
		// red is dark where the code has black runs; the samples are 0
		// there unless /BlackIs1.
		if parms.blackIs1 {
			invert = !invert
		}
	default:
		dsd := *sd // decode into a copy: sd is shared with the reading goroutine
		if err := dsd.DecodeWithLimit(max(4*c.lim.MaxPixels, 64<<20)); err != nil {
			return nil, newError(CodeUnreadable, n, fmt.Errorf("obj#%d: %w", nr, err), msgPageBroken, n)
		}
		comps, lut := x.comps, x.lut
		if asMask || boolEntry(sd.Dict, "ImageMask") {
			comps, lut = 1, nil
		}
		full, err := samples(dsd.Content, w, h, bpc, comps, lut, x.lab && !asMask)
		if err != nil {
			return nil, newError(CodeUnreadable, n, fmt.Errorf("obj#%d: %w", nr, err), msgPageBroken, n)
		}
		g = separator.Reduce(full, f)
	}
	if invert {
		for i, v := range g.Pix {
			g.Pix[i] = 255 - v
		}
	}
	if asMask || boolEntry(sd.Dict, "ImageMask") {
		// A stencil paints where its (decoded) sample is 0.
		for i, v := range g.Pix {
			g.Pix[i] = 255 - v
		}
	}
	return g, nil
}

// encoded returns an image's data under its last filter (DCT, CCITT): the
// stream with the filters before it (Flate, ASCII85, …) undone.
func (c *composer) encoded(sd *types.StreamDict) ([]byte, error) {
	if len(sd.FilterPipeline) == 1 {
		return sd.Raw, nil
	}
	dsd := *sd
	dsd.FilterPipeline = sd.FilterPipeline[:len(sd.FilterPipeline)-1]
	if err := dsd.DecodeWithLimit(max(4*c.lim.MaxPixels, 64<<20)); err != nil {
		return nil, newError(CodeUnreadable, c.nr, err, msgPageBroken, c.nr)
	}
	return dsd.Content, nil
}

// jpeg decodes a JPEG reduced by about f: by jpegscale (without the inverse
// DCT) when it can, by image/jpeg otherwise.
func (c *composer) jpeg(data []byte, f int) (*image.Gray, error) {
	n := c.nr
	f8 := 1
	for _, g := range []int{8, 4, 2} {
		if f >= g {
			f8 = g
			break
		}
	}
	if small, info, err := jpegscale.DecodeGray(data, f8, c.lim.MaxPixels); err == nil {
		return separator.Reduce(small, max(1, f/f8)), nil
	} else if errors.Is(err, jpegscale.ErrTooLarge) {
		return nil, imageTooLarge(n, info.Width, info.Height)
	}
	img, err := decodeImage("jpg", data, c.lim, n)
	if err != nil {
		return nil, err
	}
	return separator.Reduce(img, f), nil
}

type faxParms struct {
	k, columns, rows int
	align, blackIs1  bool
}

func (c *composer) faxParms(d types.Dict) faxParms {
	p := faxParms{columns: 1728}
	if d == nil {
		return p
	}
	if v := d.IntEntry("K"); v != nil {
		p.k = *v
	}
	if v := d.IntEntry("Columns"); v != nil {
		p.columns = *v
	}
	if v := d.IntEntry("Rows"); v != nil {
		p.rows = *v
	}
	p.align = boolEntry(d, "EncodedByteAlign")
	p.blackIs1 = boolEntry(d, "BlackIs1")
	return p
}

// samples converts decoded image samples to grey (255 white; for masks the
// raw sample, 255 for 1).
func samples(data []byte, w, h, bpc, comps int, lut []uint8, lab bool) (*image.Gray, error) {
	if bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16 {
		if bpc == 0 {
			bpc = 8
		} else {
			return nil, fmt.Errorf("%d bits per component", bpc)
		}
	}
	rowBytes := (w*comps*bpc + 7) / 8
	if len(data) < rowBytes*h {
		// Short data: the rows present are drawn, the rest stays white.
		h = len(data) / rowBytes
		if h == 0 {
			return nil, fmt.Errorf("image data %d bytes, want %d", len(data), rowBytes*h)
		}
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	maxv := float64(int(1)<<bpc - 1)
	sample := func(row []byte, i int) float64 {
		switch bpc {
		case 8:
			return float64(row[i]) / 255
		case 16:
			return float64(row[2*i]) / 255
		}
		bit := i * bpc
		v := int(row[bit/8]>>(8-bpc-bit%8)) & (1<<bpc - 1)
		return float64(v) / maxv
	}
	for y := range h {
		row := data[y*rowBytes : (y+1)*rowBytes]
		out := g.Pix[y*g.Stride:]
		for x := range w {
			var v float64
			switch {
			case lab:
				v = sample(row, comps*x) // L*: 0 black … 1 (100) white
			case lut != nil:
				idx := int(sample(row, x)*maxv + 0.5)
				if idx < len(lut) {
					v = float64(lut[idx]) / 255
				}
			case comps == 1:
				v = sample(row, x)
			case comps == 3:
				v = 0.299*sample(row, 3*x) + 0.587*sample(row, 3*x+1) + 0.114*sample(row, 3*x+2)
			case comps == 4:
				v = 1 - min(1, 0.299*sample(row, 4*x)+0.587*sample(row, 4*x+1)+0.114*sample(row, 4*x+2)+sample(row, 4*x+3))
			default:
				v = sample(row, comps*x)
			}
			out[x] = uint8(v*255 + 0.5)
		}
	}
	return g, nil
}

// colorSpace returns the number of components of an image's colour space
// and, for /Indexed, the grey of each index.
func colorSpace(xt *model.XRefTable, sd *types.StreamDict) (int, []uint8) {
	o, ok := sd.Find("ColorSpace")
	if !ok || boolEntry(sd.Dict, "ImageMask") {
		return 1, nil
	}
	o, _ = xt.Dereference(o)
	return components(xt, o, 0)
}

func components(xt *model.XRefTable, o types.Object, depth int) (int, []uint8) {
	if depth > 3 {
		return 1, nil
	}
	switch cs := o.(type) {
	case types.Name:
		switch cs {
		case "DeviceRGB", "CalRGB", "Lab":
			return 3, nil
		case "DeviceCMYK":
			return 4, nil
		}
		return 1, nil
	case types.Array:
		if len(cs) == 0 {
			return 1, nil
		}
		name, _ := cs[0].(types.Name)
		switch name {
		case "ICCBased":
			if len(cs) > 1 {
				if sd, _, err := xt.DereferenceStreamDict(cs[1]); err == nil && sd != nil {
					if n := sd.IntEntry("N"); n != nil && *n >= 1 && *n <= 4 {
						return *n, nil
					}
				}
			}
			return 3, nil
		case "Indexed", "I":
			if len(cs) < 4 {
				return 1, nil
			}
			base, _ := xt.Dereference(cs[1])
			bn, _ := components(xt, base, depth+1)
			var table []byte
			switch t := func() types.Object { o, _ := xt.Dereference(cs[3]); return o }().(type) {
			case types.StringLiteral:
				table, _ = types.Unescape(t.Value())
			case types.HexLiteral:
				table, _ = t.Bytes()
			case types.StreamDict:
				if err := t.Decode(); err == nil {
					table = t.Content
				}
			}
			lut := make([]uint8, 256)
			for i := range lut {
				if (i+1)*bn > len(table) {
					lut[i] = 255
					continue
				}
				e := table[i*bn : (i+1)*bn]
				switch bn {
				case 1:
					lut[i] = e[0]
				case 3:
					lut[i] = uint8(0.299*float64(e[0]) + 0.587*float64(e[1]) + 0.114*float64(e[2]))
				case 4:
					k := 0.299*float64(e[0]) + 0.587*float64(e[1]) + 0.114*float64(e[2]) + float64(e[3])
					lut[i] = uint8(255 - min(255, k))
				}
			}
			return 1, lut
		case "Separation":
			return 1, invertedLUT()
		case "DeviceN":
			if len(cs) > 1 {
				if a, err := xt.DereferenceArray(cs[1]); err == nil && len(a) > 0 {
					return len(a), nil
				}
			}
			return 1, nil
		case "CalRGB", "Lab":
			return 3, nil
		case "CalGray":
			return 1, nil
		}
	}
	return 1, nil
}

// invertedLUT maps a tint (1 = full ink) to grey.
func invertedLUT() []uint8 {
	lut := make([]uint8, 256)
	for i := range lut {
		lut[i] = uint8(255 - i)
	}
	return lut
}

// isLab reports whether an image's colour space is CIE L*a*b*.
func isLab(xt *model.XRefTable, sd *types.StreamDict) bool {
	o, ok := sd.Find("ColorSpace")
	if !ok {
		return false
	}
	o, _ = xt.Dereference(o)
	switch cs := o.(type) {
	case types.Name:
		return cs == "Lab"
	case types.Array:
		if len(cs) > 0 {
			n, _ := cs[0].(types.Name)
			return n == "Lab"
		}
	}
	return false
}

// spaceColor says whether a colour-space array shows greys or colours
// ("" for a name: imageColor reads those itself).
func spaceColor(xt *model.XRefTable, o types.Object, depth int) string {
	cs, ok := o.(types.Array)
	if !ok || len(cs) == 0 || depth > 3 {
		if n, ok := o.(types.Name); ok && depth > 0 {
			switch n {
			case "DeviceGray", "CalGray", "G":
				return ColorGray
			}
			return ColorColor
		}
		return ""
	}
	name, _ := cs[0].(types.Name)
	switch name {
	case "CalGray", "Separation":
		return ColorGray
	case "ICCBased":
		if n, _ := components(xt, cs, depth+1); n == 1 {
			return ColorGray
		}
	case "Indexed", "I":
		if len(cs) < 4 {
			return ""
		}
		base, _ := xt.Dereference(cs[1])
		bn, _ := components(xt, base, depth+1)
		if bn == 1 {
			return ColorGray
		}
		if bn != 3 {
			return ColorColor
		}
		var table []byte
		switch t := func() types.Object { o, _ := xt.Dereference(cs[3]); return o }().(type) {
		case types.StringLiteral:
			table, _ = types.Unescape(t.Value())
		case types.HexLiteral:
			table, _ = t.Bytes()
		}
		for i := 0; i+2 < len(table); i += 3 {
			if table[i] != table[i+1] || table[i+1] != table[i+2] {
				return ColorColor
			}
		}
		if len(table) > 0 {
			return ColorGray
		}
	}
	return ColorColor
}

// cmykJPEG reports whether a JPEG has four components (CMYK or YCCK).
func cmykJPEG(data []byte) bool {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	return err == nil && cfg.ColorModel == color.CMYKModel
}
