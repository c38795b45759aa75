// Package pdffont writes text in PDFs with DejaVu Sans (regular and bold):
// widths and line wrapping for layout, hex strings of glyph IDs for content
// streams, and a Type0 font embedding only the glyphs used (a TrueType
// subset) with a ToUnicode map, so that the text can be copied and searched.
package pdffont

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
	"unicode/utf16"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// fallback is drawn for a character the font has no glyph for.
const fallback = '?'

// glyph is one glyph of the font: its index and advance width in text space
// units (1/1000 of the font size).
type glyph struct {
	gid   uint16
	width int
}

// Font is DejaVu Sans or DejaVu Sans Bold (github.com/go-fonts/dejavu), parsed once, ready to be
// embedded in PDFs as a Type0 font (CIDFontType2, Identity-H, with a
// ToUnicode CMap) so that Vietnamese text renders in every reader and
// extracts as the same Unicode text. A Font is immutable and safe for
// concurrent use; parse it once per process with NewFont and share it.
//
// Characters are mapped one to one to glyphs, without shaping: Vietnamese is
// written with precomposed letters (NFC), which DejaVu Sans has. A character
// outside the Latin, Vietnamese, punctuation and symbol ranges the font is
// prepared for is drawn as '?'.
type Font struct {
	name   string // PostScript name
	ttf    []byte
	glyphs map[rune]glyph
	widths map[uint16]int // glyph → advance width in 1/1000 em
	// bbox, ascent, descent, capHeight are in 1/1000 em.
	bbox                       [4]int
	ascent, descent, capHeight int
	numGlyphs                  int
}

// coveredRanges are the Unicode ranges NewFont prepares: Latin (with every
// Vietnamese letter, precomposed in Latin Extended Additional), combining
// diacritics, general punctuation, currency, letterlike symbols and arrows.
var coveredRanges = [][2]rune{
	{0x0020, 0x007e}, {0x00a0, 0x024f}, {0x0300, 0x036f},
	{0x1e00, 0x1eff}, {0x2000, 0x206f}, {0x20a0, 0x20bf},
	{0x2100, 0x214f}, {0x2190, 0x21ff}, {0x25a0, 0x25ff},
}

// NewFont parses the embedded DejaVu Sans and returns it ready for use.
func NewFont() (*Font, error) {
	return parseFont(dejavusans.TTF, "DejaVuSans")
}

// NewBoldFont parses the embedded DejaVu Sans Bold, for headings.
func NewBoldFont() (*Font, error) {
	return parseFont(dejavusansbold.TTF, "DejaVuSans-Bold")
}

func parseFont(ttf []byte, name string) (*Font, error) {
	sf, err := sfnt.Parse(ttf)
	if err != nil {
		return nil, fmt.Errorf("stamp: parse font: %w", err)
	}
	upem := int(sf.UnitsPerEm())
	if upem <= 0 {
		return nil, fmt.Errorf("stamp: font has %d units per em", upem)
	}
	var buf sfnt.Buffer
	ppem := fixed.I(upem)
	toMille := func(v fixed.Int26_6) int { return int((int64(v)*1000/64 + int64(upem)/2) / int64(upem)) }
	f := &Font{name: name, ttf: ttf, glyphs: make(map[rune]glyph, 1200), widths: make(map[uint16]int, 1200), numGlyphs: sf.NumGlyphs()}
	for _, rg := range coveredRanges {
		for r := rg[0]; r <= rg[1]; r++ {
			gi, err := sf.GlyphIndex(&buf, r)
			if err != nil || gi == 0 {
				continue
			}
			adv, err := sf.GlyphAdvance(&buf, gi, ppem, font.HintingNone)
			if err != nil {
				return nil, fmt.Errorf("stamp: advance of %U: %w", r, err)
			}
			f.glyphs[r] = glyph{gid: uint16(gi), width: toMille(adv)}
			f.widths[uint16(gi)] = toMille(adv)
		}
	}
	if _, ok := f.glyphs[fallback]; !ok {
		return nil, fmt.Errorf("stamp: font has no %q glyph", fallback)
	}
	b, err := sf.Bounds(&buf, ppem, font.HintingNone)
	if err != nil {
		return nil, fmt.Errorf("stamp: font bounds: %w", err)
	}
	// sfnt's rectangles have y growing downwards.
	f.bbox = [4]int{toMille(b.Min.X), -toMille(b.Max.Y), toMille(b.Max.X), -toMille(b.Min.Y)}
	m, err := sf.Metrics(&buf, ppem, font.HintingNone)
	if err != nil {
		return nil, fmt.Errorf("stamp: font metrics: %w", err)
	}
	f.ascent, f.descent, f.capHeight = toMille(m.Ascent), -toMille(m.Descent), toMille(m.CapHeight)
	return f, nil
}

// glyph returns the glyph drawn for r.
func (f *Font) glyph(r rune) (glyph, rune) {
	if g, ok := f.glyphs[r]; ok {
		return g, r
	}
	return f.glyphs[fallback], fallback
}

// Width returns the advance width of s set at size points, in points.
func (f *Font) Width(s string, size float64) float64 {
	w := 0
	for _, r := range s {
		g, _ := f.glyph(r)
		w += g.width
	}
	return float64(w) * size / 1000
}

// Ascent and Descent return how far the font reaches above and below the
// baseline at size points (Descent is negative).
func (f *Font) Ascent(size float64) float64  { return float64(f.ascent) * size / 1000 }
func (f *Font) Descent(size float64) float64 { return float64(f.descent) * size / 1000 }

// Wrap breaks s into lines no wider than width points at size points,
// between words where it can (a word longer than a line is cut).
func (f *Font) Wrap(s string, size, width float64) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			cand := word
			if line != "" {
				cand = line + " " + word
			}
			if f.Width(cand, size) <= width {
				line = cand
				continue
			}
			if line != "" {
				lines = append(lines, line)
			}
			line = ""
			for _, r := range word {
				if line != "" && f.Width(line+string(r), size) > width {
					lines = append(lines, line)
					line = ""
				}
				line += string(r)
			}
		}
		lines = append(lines, line)
	}
	return lines
}

// Text collects the glyphs one PDF document draws with a Font, encodes
// strings for the content stream and finally writes the font objects. It is
// not safe for concurrent use.
type Text struct {
	f    *Font
	used map[uint16]rune // glyph → the character it stands for (ToUnicode)
}

// NewText starts the text of one PDF document.
func (f *Font) NewText() *Text {
	return &Text{f: f, used: make(map[uint16]rune)}
}

// Font returns the font t draws with.
func (t *Text) Font() *Font { return t.f }

// Hex returns s as a PDF hex string of 2-byte glyph codes (Identity-H), the
// operand of Tj, and records its glyphs for embedding.
func (t *Text) Hex(s string) string {
	var b strings.Builder
	b.Grow(2 + 4*len(s))
	b.WriteByte('<')
	for _, r := range s {
		g, r := t.f.glyph(r)
		if _, ok := t.used[g.gid]; !ok {
			t.used[g.gid] = r
		}
		fmt.Fprintf(&b, "%04X", g.gid)
	}
	b.WriteByte('>')
	return b.String()
}

// sortedGlyphs returns the used glyph indices in order.
func (t *Text) sortedGlyphs() []uint16 {
	gids := make([]uint16, 0, len(t.used))
	for g := range t.used {
		gids = append(gids, g)
	}
	sort.Slice(gids, func(i, j int) bool { return gids[i] < gids[j] })
	return gids
}

// Embed writes the font — a Type0 font over a CIDFontType2 subset of the
// TrueType program with only the glyphs used (glyph indices unchanged,
// CIDToGIDMap Identity), its widths and a ToUnicode CMap — as new objects of
// x, and returns the reference to put in a page's /Font resources.
func (t *Text) Embed(x *model.XRefTable) (*types.IndirectRef, error) {
	ref, err := t.Write(xrefWriter{x})
	if err != nil {
		return nil, err
	}
	return &ref, nil
}

// ObjectWriter adds new objects to a PDF being written: a pdfcpu
// cross-reference table (Embed), or the incremental update of a signature,
// which appends objects to bytes it must not rewrite.
type ObjectWriter interface {
	// Object adds a dictionary and returns its reference.
	Object(d types.Dict) (types.IndirectRef, error)
	// Stream adds a stream of data, Flate-compressed by the writer, with the
	// entries of d in its dictionary, and returns its reference.
	Stream(d types.Dict, data []byte) (types.IndirectRef, error)
}

// xrefWriter adds objects to a pdfcpu cross-reference table.
type xrefWriter struct{ x *model.XRefTable }

func (w xrefWriter) Object(d types.Dict) (types.IndirectRef, error) {
	r, err := w.x.IndRefForNewObject(d)
	if err != nil {
		return types.IndirectRef{}, err
	}
	return *r, nil
}

func (w xrefWriter) Stream(d types.Dict, data []byte) (types.IndirectRef, error) {
	sd, err := w.x.NewStreamDictForBuf(data)
	if err != nil {
		return types.IndirectRef{}, err
	}
	for k, v := range d {
		sd.Insert(k, v)
	}
	if err := sd.Encode(); err != nil {
		return types.IndirectRef{}, fmt.Errorf("stamp: compress stream: %w", err)
	}
	r, err := w.x.IndRefForNewObject(*sd)
	if err != nil {
		return types.IndirectRef{}, err
	}
	return *r, nil
}

// Write writes the font as Embed does, through w, and returns the reference
// of the Type0 font.
func (t *Text) Write(w ObjectWriter) (types.IndirectRef, error) {
	gids := t.sortedGlyphs()
	prog, err := subset(t.f.ttf, gids)
	if err != nil {
		return types.IndirectRef{}, fmt.Errorf("stamp: subset font: %w", err)
	}
	ffRef, err := w.Stream(types.Dict{"Length1": types.Integer(len(prog))}, prog)
	if err != nil {
		return types.IndirectRef{}, err
	}
	base := subsetTag(gids) + "+" + t.f.name
	f := t.f
	fd := types.Dict{
		"Type":        types.Name("FontDescriptor"),
		"FontName":    types.Name(base),
		"Flags":       types.Integer(32), // non-symbolic
		"FontBBox":    types.NewIntegerArray(f.bbox[:]...),
		"ItalicAngle": types.Integer(0),
		"Ascent":      types.Integer(f.ascent),
		"Descent":     types.Integer(f.descent),
		"CapHeight":   types.Integer(f.capHeight),
		"StemV":       types.Integer(80),
		"FontFile2":   ffRef,
	}
	fdRef, err := w.Object(fd)
	if err != nil {
		return types.IndirectRef{}, err
	}
	wa := types.Array{}
	for _, g := range gids {
		wa = append(wa, types.Integer(g), types.Array{types.Integer(f.widthOf(g))})
	}
	cid := types.Dict{
		"Type":     types.Name("Font"),
		"Subtype":  types.Name("CIDFontType2"),
		"BaseFont": types.Name(base),
		"CIDSystemInfo": types.Dict{
			"Registry":   types.StringLiteral("Adobe"),
			"Ordering":   types.StringLiteral("Identity"),
			"Supplement": types.Integer(0),
		},
		"FontDescriptor": fdRef,
		"W":              wa,
		"CIDToGIDMap":    types.Name("Identity"),
	}
	cidRef, err := w.Object(cid)
	if err != nil {
		return types.IndirectRef{}, err
	}
	tuRef, err := w.Stream(types.Dict{}, t.toUnicode(gids))
	if err != nil {
		return types.IndirectRef{}, err
	}
	return w.Object(types.Dict{
		"Type":            types.Name("Font"),
		"Subtype":         types.Name("Type0"),
		"BaseFont":        types.Name(base),
		"Encoding":        types.Name("Identity-H"),
		"DescendantFonts": types.Array{cidRef},
		"ToUnicode":       tuRef,
	})
}

// widthOf returns the width of glyph g (used glyphs are always known).
func (f *Font) widthOf(g uint16) int { return f.widths[g] }

// toUnicode returns the ToUnicode CMap of the used glyphs (PDF 32000-1 9.10.3).
func (t *Text) toUnicode(gids []uint16) []byte {
	var b strings.Builder
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(gids); i += 100 {
		chunk := gids[i:min(i+100, len(gids))]
		fmt.Fprintf(&b, "%d beginbfchar\n", len(chunk))
		for _, g := range chunk {
			fmt.Fprintf(&b, "<%04X> <", g)
			for _, u := range utf16.Encode([]rune{t.used[g]}) {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return []byte(b.String())
}

// subsetTag is the six-capital-letter tag that names a font subset (PDF
// 32000-1 9.6.4), derived from the glyph set so output is reproducible.
func subsetTag(gids []uint16) string {
	h := sha256.New()
	for _, g := range gids {
		h.Write([]byte{byte(g >> 8), byte(g)})
	}
	sum := h.Sum(nil)
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	return string(tag)
}
