package scan

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/sohoa/sohoa/pkg/format/pdflex"
)

// Cross-reference reconstruction. A PDF whose cross-reference structure is
// damaged or unusual (an xref stream stored inside an object stream, /Prev
// chains that loop, offsets that point nowhere) is still read by qpdf,
// poppler and pdf.js: they ignore the xref and scan the file for its objects.
// pdfcpu does that only for some kinds of damage and panics on others, so
// when it cannot read a file, reconstructXRef rewrites it as readers that
// reconstruct see it: every "N G obj … endobj" of the file and every object
// of its object streams (a later definition replaces an earlier one),
// written out again with a fresh classic xref table and a trailer naming the
// catalog. pdfcpu then reads the rewritten file.

// Bounds of a reconstruction, on top of Limits.MaxBytes for the file.
const (
	maxRebuiltObjects = 1_000_000  // objects kept
	maxRebuiltObjNr   = 10_000_000 // highest object number
	maxObjStmBytes    = 64 << 20   // object stream contents inflated, in all
)

var errNoCatalog = errors.New("reconstruct: no catalog found")

// rebuiltObject is one object found by scanning: its bytes (between
// "obj" and "endobj"), and where it was defined, to let later definitions win.
type rebuiltObject struct {
	gen  int
	body []byte
	pos  int
}

var (
	reLength  = regexp.MustCompile(`/Length\s+(\d+)(\s+\d+\s+R)?`)
	reRoot    = regexp.MustCompile(`/Root\s+(\d+)\s+(\d+)\s+R`)
	reTypeXR  = regexp.MustCompile(`/Type\s*/XRef\b`)
	reTypeOS  = regexp.MustCompile(`/Type\s*/ObjStm\b`)
	reCatalog = regexp.MustCompile(`/Type\s*/Catalog\b`)
	reN       = regexp.MustCompile(`/N\s+(\d+)`)
	reFirst   = regexp.MustCompile(`/First\s+(\d+)`)
	reFilter  = regexp.MustCompile(`/Filter\s*\[?\s*/(\w+)`)
)

// reconstructXRef returns data rewritten with a cross-reference table built
// by scanning it for objects, or an error when it holds no catalog.
func reconstructXRef(data []byte) ([]byte, error) {
	objs := map[int]rebuiltObject{}
	roots := rootsOfTrailers(data) // /Root references of trailers, then of xref streams, in file order
	inflated := 0
	put := func(nr int, o rebuiltObject) error {
		if nr <= 0 || nr > maxRebuiltObjNr {
			return nil
		}
		if old, ok := objs[nr]; ok && old.pos > o.pos {
			return nil
		}
		if _, ok := objs[nr]; !ok && len(objs) >= maxRebuiltObjects {
			return fmt.Errorf("reconstruct: more than %d objects", maxRebuiltObjects)
		}
		objs[nr] = o
		return nil
	}
	es := keywordFinder{data: data, word: []byte("endstream")}
	for i := 0; i < len(data); {
		j := bytes.Index(data[i:], []byte("obj"))
		if j < 0 {
			break
		}
		at := i + j
		i = at + 3
		nr, gen, ok := objectHeader(data, at)
		if !ok || (i < len(data) && !pdflex.IsSpace(data[i]) && !pdflex.IsDelim(data[i])) {
			continue
		}
		dict, stream, end := objectBody(data, i, &es)
		i = end
		switch {
		case stream == nil:
			if err := put(nr, rebuiltObject{gen: gen, body: dict, pos: at}); err != nil {
				return nil, err
			}
		case reTypeXR.Match(dict):
			if m := reRoot.FindSubmatch(dict); m != nil {
				roots = append(roots, [2]int{atoi(m[1]), atoi(m[2])})
			}
		case reTypeOS.Match(dict):
			members, n, err := objectStreamMembers(dict, stream, maxObjStmBytes-inflated)
			inflated += n
			if err != nil {
				continue // a damaged object stream: its objects are lost, as for other readers
			}
			for _, mb := range members {
				if err := put(mb.nr, rebuiltObject{body: mb.body, pos: at}); err != nil {
					return nil, err
				}
			}
		default:
			body := make([]byte, 0, len(dict)+len(stream)+32)
			body = append(body, reLength.ReplaceAll(dict, []byte("/Length "+strconv.Itoa(len(stream))))...)
			body = append(body, "\nstream\n"...)
			body = append(body, stream...)
			body = append(body, "\nendstream"...)
			if err := put(nr, rebuiltObject{gen: gen, body: body, pos: at}); err != nil {
				return nil, err
			}
		}
	}
	root, ok := 0, false
	for k := len(roots) - 1; k >= 0 && !ok; k-- {
		if o, found := objs[roots[k][0]]; found && reCatalog.Match(o.body) {
			root, ok = roots[k][0], true
		}
	}
	if !ok {
		// No trailer names a catalog we found: take the last one defined.
		best := -1
		for nr, o := range objs {
			if reCatalog.Match(o.body) && o.pos > best {
				root, best, ok = nr, o.pos, true
			}
		}
	}
	if !ok {
		return nil, errNoCatalog
	}
	return writeRebuilt(objs, root), nil
}

// rootsOfTrailers returns the /Root references of the file's classic
// trailer dictionaries, in file order.
func rootsOfTrailers(data []byte) [][2]int {
	var out [][2]int
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("trailer"))
		if j < 0 {
			return out
		}
		i += j + len("trailer")
		seg := data[i:min(len(data), i+4096)]
		if e := bytes.Index(seg, []byte("startxref")); e >= 0 {
			seg = seg[:e]
		}
		if m := reRoot.FindSubmatch(seg); m != nil {
			out = append(out, [2]int{atoi(m[1]), atoi(m[2])})
		}
	}
}

// objectHeader parses "N G obj" ending at data[at:at+3] = "obj".
func objectHeader(data []byte, at int) (nr, gen int, ok bool) {
	k := at
	num := func() (int, bool) {
		e := k
		for k > 0 && data[k-1] >= '0' && data[k-1] <= '9' {
			k--
		}
		if k == e || e-k > 10 {
			return 0, false
		}
		v, err := strconv.Atoi(string(data[k:e]))
		return v, err == nil
	}
	spaces := func() bool {
		e := k
		for k > 0 && pdflex.IsSpace(data[k-1]) {
			k--
		}
		return k < e
	}
	if !spaces() {
		return 0, 0, false
	}
	if gen, ok = num(); !ok || !spaces() {
		return 0, 0, false
	}
	if nr, ok = num(); !ok {
		return 0, 0, false
	}
	if k > 0 && !pdflex.IsSpace(data[k-1]) && !pdflex.IsDelim(data[k-1]) {
		return 0, 0, false
	}
	return nr, gen, gen <= 65535
}

// objectBody returns an object's text from i (after "obj") up to its
// "stream" keyword or "endobj", the stream's data for a stream, and where
// scanning goes on. A stream ends where a direct /Length says when
// "endstream" follows there, else at the first "endstream" before the next
// object's header, else where /Length says, else at the next object.
func objectBody(data []byte, i int, es *keywordFinder) (dict, stream []byte, end int) {
	rest := data[i:]
	// The next object's header bounds an object whose endobj is missing.
	next := nextObjKeyword(rest)
	if next < 0 {
		next = len(rest)
	}
	eo := bytes.Index(rest[:next], []byte("endobj"))
	if eo < 0 {
		eo = next
	}
	st := streamKeyword(rest[:eo])
	if st < 0 {
		return bytes.TrimSpace(rest[:eo]), nil, i + min(eo+len("endobj"), next)
	}
	dict = bytes.TrimSpace(rest[:st])
	p := st + len("stream")
	if p < len(rest) && rest[p] == '\r' {
		p++
	}
	if p < len(rest) && rest[p] == '\n' {
		p++
	}
	l := -1
	if m := reLength.FindSubmatch(dict); m != nil && m[2] == nil {
		l = atoi(m[1])
	}
	after := -1
	switch {
	case l >= 0 && p+l <= len(rest) && bytes.HasPrefix(bytes.TrimLeft(rest[p+l:], " \r\n\t\f\x00"), []byte("endstream")):
		stream, after = rest[p:p+l], p+l
	default:
		// The data may hold what looks like an object header: look for
		// endstream past it, but not past the next real one.
		if at := es.next(i + p); at >= 0 && (next == len(rest) || at-i < next || l < 0) {
			stream, after = trimEOL(rest[p:at-i]), at-i
			break
		}
		if l >= 0 && p+l <= len(rest) {
			stream, after = rest[p:p+l], p+l
			break
		}
		stop := max(next, p)
		stream, after = rest[p:stop], stop
	}
	nx := nextObjKeyword(rest[after:])
	if nx < 0 {
		nx = len(rest) - after
	}
	if e := bytes.Index(rest[after:after+nx], []byte("endobj")); e >= 0 {
		return dict, stream, i + after + e + len("endobj")
	}
	return dict, stream, i + after + nx
}

// keywordFinder finds the next occurrence of word at or after a position,
// remembering the last answer: positions asked grow along the file, so the
// whole file is searched about once however many objects ask (a hostile
// file of many streams without "endstream" would otherwise cost n²).
type keywordFinder struct {
	data      []byte
	word      []byte
	found     int // the first occurrence at or after from; -1 none yet
	from      int
	noneAfter int // no occurrence at or after this position (-1 unknown)
	init      bool
}

func (f *keywordFinder) next(p int) int {
	if !f.init {
		f.found, f.noneAfter, f.init = -1, -1, true
	}
	if f.noneAfter >= 0 && p >= f.noneAfter {
		return -1
	}
	if f.found >= p && p >= f.from {
		return f.found
	}
	j := bytes.Index(f.data[p:], f.word)
	if j < 0 {
		f.noneAfter = p
		return -1
	}
	f.found, f.from = p+j, p
	return f.found
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// streamKeyword finds "stream" right after a dictionary's ">>" in b, or -1.
func streamKeyword(b []byte) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("stream"))
		if j < 0 {
			return -1
		}
		at := i + j
		i = at + len("stream")
		k := at
		for k > 0 && pdflex.IsSpace(b[k-1]) {
			k--
		}
		if k >= 2 && b[k-1] == '>' && b[k-2] == '>' {
			return at
		}
	}
}

// nextObjKeyword finds the start of an "N G obj" header in b, or -1.
func nextObjKeyword(b []byte) int {
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("obj"))
		if j < 0 {
			return -1
		}
		at := i + j
		i = at + 3
		if _, _, ok := objectHeader(b, at); ok && (i >= len(b) || pdflex.IsSpace(b[i]) || pdflex.IsDelim(b[i])) {
			k := at
			for k > 0 && (pdflex.IsSpace(b[k-1]) || (b[k-1] >= '0' && b[k-1] <= '9')) {
				k--
			}
			return k
		}
	}
}

type member struct {
	nr   int
	body []byte
}

// objectStreamMembers returns the objects of an object stream: its data
// inflated (at most budget bytes) and cut by its header of number/offset
// pairs. n is how many bytes were inflated.
func objectStreamMembers(dict, stream []byte, budget int) (out []member, n int, err error) {
	if budget <= 0 {
		return nil, 0, errors.New("object streams larger than the limit")
	}
	content := stream
	if m := reFilter.FindSubmatch(dict); m != nil {
		if string(m[1]) == "FlateDecode" && !bytes.Contains(dict, []byte("/DecodeParms")) {
			zr, err := zlib.NewReader(bytes.NewReader(stream))
			if err != nil {
				return nil, 0, err
			}
			content, err = io.ReadAll(io.LimitReader(zr, int64(budget)+1))
			if len(content) > budget {
				return nil, len(content), errors.New("object streams larger than the limit")
			}
			if err != nil && len(content) == 0 {
				return nil, 0, err
			}
		} else {
			// Other filters, predictors: pdfcpu's filters, from the parsed dictionary.
			text := string(dict)
			obj, err := model.ParseObject(&text)
			d, ok := obj.(types.Dict)
			if err != nil || !ok {
				return nil, 0, fmt.Errorf("object stream dictionary: %v", err)
			}
			sd := types.StreamDict{Dict: d, Raw: stream, FilterPipeline: inlineFilters(d)}
			if err := sd.DecodeWithLimit(int64(budget)); err != nil {
				return nil, 0, fmt.Errorf("object stream: %w", err)
			}
			content = sd.Content
		}
	}
	mN, mF := reN.FindSubmatch(dict), reFirst.FindSubmatch(dict)
	if mN == nil || mF == nil {
		return nil, len(content), errors.New("object stream without /N or /First")
	}
	count, first := atoi(mN[1]), atoi(mF[1])
	if first < 0 || first > len(content) || count < 0 || count > len(content) {
		return nil, len(content), errors.New("object stream header outside its data")
	}
	head := bytes.Fields(content[:first])
	type entry struct{ nr, off int }
	var es []entry
	for k := 0; k+1 < len(head) && len(es) < count; k += 2 {
		nr, err1 := strconv.Atoi(string(head[k]))
		off, err2 := strconv.Atoi(string(head[k+1]))
		if err1 != nil || err2 != nil || off < 0 || first+off > len(content) {
			break
		}
		es = append(es, entry{nr, first + off})
	}
	for k, e := range es {
		stop := len(content)
		for _, o := range es[k+1:] {
			if o.off >= e.off {
				stop = min(stop, o.off)
			}
		}
		if stop < e.off {
			continue
		}
		body := bytes.TrimSpace(content[e.off:stop])
		// Objects in an object stream are never streams; one that says
		// "stream" is the damage this reconstruction routes around.
		if streamKeyword(body) >= 0 {
			continue
		}
		out = append(out, member{nr: e.nr, body: body})
	}
	return out, len(content), nil
}

// writeRebuilt writes objs as a PDF with a classic xref table (one
// subsection per run of consecutive numbers) and a trailer naming root.
func writeRebuilt(objs map[int]rebuiltObject, root int) []byte {
	nrs := make([]int, 0, len(objs))
	size := 0
	for nr, o := range objs {
		nrs = append(nrs, nr)
		size += len(o.body) + 64
	}
	slices.Sort(nrs)
	var b bytes.Buffer
	b.Grow(size + 20*len(nrs) + 256)
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(nrs))
	for k, nr := range nrs {
		o := objs[nr]
		offs[k] = b.Len()
		fmt.Fprintf(&b, "%d %d obj\n", nr, o.gen)
		b.Write(o.body)
		b.WriteString("\nendobj\n")
	}
	xref := b.Len()
	b.WriteString("xref\n0 1\n0000000000 65535 f\r\n")
	for k := 0; k < len(nrs); {
		e := k + 1
		for e < len(nrs) && nrs[e] == nrs[e-1]+1 {
			e++
		}
		fmt.Fprintf(&b, "%d %d\n", nrs[k], e-k)
		for ; k < e; k++ {
			fmt.Fprintf(&b, "%010d %05d n\r\n", offs[k], objs[nrs[k]].gen)
		}
	}
	maxNr := 0
	if len(nrs) > 0 {
		maxNr = nrs[len(nrs)-1]
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d %d R >>\nstartxref\n%d\n%%%%EOF\n", maxNr+1, root, objs[root].gen, xref)
	return b.Bytes()
}

func atoi(b []byte) int {
	v, err := strconv.Atoi(string(b))
	if err != nil {
		return -1
	}
	return v
}
