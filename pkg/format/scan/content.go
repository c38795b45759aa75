package scan

import (
	"errors"
	"math"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/sohoa/sohoa/pkg/format/pdflex"
)

// matrix is a PDF transformation matrix [a b c d e f]: (x, y) ↦ (a·x + c·y + e, b·x + d·y + f).
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m then n (m × n in PDF's row-vector convention).
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func (m matrix) apply(x, y float64) (float64, float64) {
	return m[0]*x + m[2]*y + m[4], m[1]*x + m[3]*y + m[5]
}

func (m matrix) invert() (matrix, bool) {
	det := m[0]*m[3] - m[1]*m[2]
	if math.Abs(det) < 1e-12 || math.IsNaN(det) || math.IsInf(det, 0) {
		return matrix{}, false
	}
	return matrix{
		m[3] / det, -m[1] / det, -m[2] / det, m[0] / det,
		(m[2]*m[5] - m[3]*m[4]) / det, (m[1]*m[4] - m[0]*m[5]) / det,
	}, true
}

// placement is one image XObject drawn on a page: the unit square of image
// space mapped to default user space by ctm.
type placement struct {
	sd   *types.StreamDict
	nr   int      // object number (for limits and messages)
	ctm  matrix   // image space → default user space
	fill float64  // non-stroking grey (0 black … 1 white), for stencil masks
	x    *xobject // resolved for decoding (see prepare)
}

// pageContent is what a page draws, as far as reading a scan needs to know.
type pageContent struct {
	images []placement
	marks  int // text-showing and path-painting operators: born-digital content
	ops    int
}

// Bounds of the content walk, so a hostile page cannot loop or explode.
const (
	maxContentOps  = 2_000_000
	maxFormDepth   = 8
	maxContentSize = 32 << 20
)

var errContentLimit = errors.New("page content exceeds limits")

// walkContent interprets a page's content stream for what it places: image
// XObjects with their transformation matrices (through q/Q, cm and form
// XObjects), the fill colour for stencil masks, and how much text and
// vector drawing the page carries. It does not render anything.
func walkContent(xt *model.XRefTable, content []byte, res types.Dict) (*pageContent, error) {
	pc := &pageContent{}
	err := walk(xt, pc, content, res, identity, 0, map[int]bool{})
	return pc, err
}

func walk(xt *model.XRefTable, pc *pageContent, content []byte, res types.Dict, base matrix, depth int, forms map[int]bool) error {
	type gstate struct {
		ctm  matrix
		fill float64
	}
	gs := gstate{ctm: base, fill: 0}
	var stack []gstate
	var nums []float64
	var lastName string
	xobjects := dictEntry(xt, res, "XObject")
	lx := lexer{pdflex.Lexer{B: content}}
	for {
		tok, kind := lx.next()
		if kind == tokEOF {
			return nil
		}
		switch kind {
		case tokNumber:
			v, _ := strconv.ParseFloat(string(tok), 64)
			nums = append(nums, v)
			continue
		case tokName:
			lastName = string(tok[1:])
			continue
		case tokOther:
			continue
		}
		pc.ops++
		if pc.ops > maxContentOps {
			return errContentLimit
		}
		switch string(tok) {
		case "q":
			if len(stack) < 1024 {
				stack = append(stack, gs)
			}
		case "Q":
			if len(stack) > 0 {
				gs = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
		case "cm":
			if len(nums) >= 6 {
				n := nums[len(nums)-6:]
				gs.ctm = matrix{n[0], n[1], n[2], n[3], n[4], n[5]}.mul(gs.ctm)
			}
		case "g":
			if len(nums) >= 1 {
				gs.fill = clamp01(nums[len(nums)-1])
			}
		case "rg":
			if len(nums) >= 3 {
				n := nums[len(nums)-3:]
				gs.fill = clamp01(0.299*n[0] + 0.587*n[1] + 0.114*n[2])
			}
		case "k":
			if len(nums) >= 4 {
				n := nums[len(nums)-4:]
				gs.fill = clamp01(1 - min(1, 0.299*n[0]+0.587*n[1]+0.114*n[2]+n[3]))
			}
		case "sc", "scn":
			switch len(nums) {
			case 1:
				gs.fill = clamp01(nums[0])
			case 3:
				gs.fill = clamp01(0.299*nums[0] + 0.587*nums[1] + 0.114*nums[2])
			case 4:
				gs.fill = clamp01(1 - min(1, 0.299*nums[0]+0.587*nums[1]+0.114*nums[2]+nums[3]))
			}
		case "Tj", "TJ", "'", "\"", "f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "sh":
			pc.marks++
		case "BI":
			if sd := inlineImage(xt, &lx, res); sd != nil {
				pc.images = append(pc.images, placement{sd: sd, nr: 0, ctm: gs.ctm, fill: gs.fill, x: prepare(xt, sd, 0, false)})
			}
		case "Do":
			if xobjects == nil || lastName == "" {
				break
			}
			ref, ok := xobjects[lastName].(types.IndirectRef)
			if !ok {
				break
			}
			nr := ref.ObjectNumber.Value()
			sd, _, err := xt.DereferenceStreamDict(ref)
			if err != nil || sd == nil {
				break
			}
			switch st := sd.Subtype(); {
			case st != nil && *st == "Image":
				pc.images = append(pc.images, placement{sd: sd, nr: nr, ctm: gs.ctm, fill: gs.fill, x: prepare(xt, sd, nr, true)})
			case st != nil && *st == "Form":
				if depth >= maxFormDepth || forms[nr] {
					break
				}
				if err := sd.Decode(); err != nil || len(sd.Content) > maxContentSize {
					break
				}
				m := identity
				if a := arrayEntry(xt, sd.Dict, "Matrix"); len(a) == 6 {
					m = matrix{a[0], a[1], a[2], a[3], a[4], a[5]}
				}
				fres := dictEntry(xt, sd.Dict, "Resources")
				if fres == nil {
					fres = res
				}
				forms[nr] = true
				err := walk(xt, pc, sd.Content, fres, m.mul(gs.ctm), depth+1, forms)
				delete(forms, nr)
				if err != nil {
					return err
				}
			}
		}
		nums = nums[:0]
		lastName = ""
	}
}

func clamp01(v float64) float64 { return max(0, min(1, v)) }

func dictEntry(xt *model.XRefTable, d types.Dict, key string) types.Dict {
	if d == nil {
		return nil
	}
	o, ok := d.Find(key)
	if !ok || o == nil {
		return nil
	}
	r, err := xt.DereferenceDict(o)
	if err != nil {
		return nil
	}
	return r
}

func arrayEntry(xt *model.XRefTable, d types.Dict, key string) []float64 {
	o, ok := d.Find(key)
	if !ok || o == nil {
		return nil
	}
	a, err := xt.DereferenceArray(o)
	if err != nil {
		return nil
	}
	out := make([]float64, 0, len(a))
	for _, e := range a {
		v, err := xt.DereferenceNumber(e)
		if err != nil {
			return nil
		}
		out = append(out, v)
	}
	return out
}

// A minimal lexer of content streams: numbers, names, operators; strings,
// arrays and dictionaries are skipped as operands.
type tokKind int

const (
	tokEOF tokKind = iota
	tokNumber
	tokName
	tokOp
	tokOther
)

// lexer reads a content stream's tokens flat: nested strings, arrays and
// dictionaries are not values here, only operands to skip.
type lexer struct{ pdflex.Lexer }

func (l *lexer) next() ([]byte, tokKind) {
	b := l.B
	l.SkipSpace()
	if l.I >= len(b) {
		return nil, tokEOF
	}
	switch c := b[l.I]; {
	case c == '/':
		s := l.I
		l.I++
		l.SkipRegular()
		return b[s:l.I], tokName
	case c == '(':
		l.SkipString()
		return nil, tokOther
	case c == '<':
		if l.I+1 < len(b) && b[l.I+1] == '<' {
			l.I += 2
			return nil, tokOther
		}
		for l.I < len(b) && b[l.I] != '>' {
			l.I++
		}
		l.I++
		return nil, tokOther
	case c == '>' || c == '[' || c == ']' || c == '{' || c == '}' || c == ')':
		l.I++
		return nil, tokOther
	case c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9'):
		s := l.I
		l.I++
		for l.I < len(b) && (b[l.I] == '.' || (b[l.I] >= '0' && b[l.I] <= '9')) {
			l.I++
		}
		return b[s:l.I], tokNumber
	default:
		s := l.I
		l.SkipRegular()
		if l.I == s {
			l.I++
			return nil, tokOther
		}
		return b[s:l.I], tokOp
	}
}
