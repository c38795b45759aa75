package pades

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pdfmem"
)

// document is a parsed PDF that we append incremental updates to.
type document struct {
	raw        []byte
	x          *model.XRefTable
	xrefStream bool  // the last cross-reference section is a stream
	prevXref   int64 // its offset (startxref)
	size       int   // first free object number
}

// pdfConfig returns a pdfcpu configuration for reading only; it never touches
// pdfcpu's configuration directory.
func pdfConfig() *model.Configuration {
	lim := model.DefaultResourceLimits()
	lim.MaxStreamBytes = 256 << 20
	lim.MaxDecodeBytes = 64 << 20
	lim.MaxObjectCount = 2_000_000
	lim.MaxXRefEntries = 2_000_000
	return &model.Configuration{
		Reader15:                  true,
		ValidationMode:            model.ValidationRelaxed,
		UnsupportedResourcePolicy: model.UnsupportedResourceSkip,
		Eol:                       types.EolLF,
		Offline:                   true,
		Limits:                    lim,
	}
}

// checkShape rejects what is not plausibly a complete PDF before any parser
// sees it: size, header, and the %%EOF marker near the end (a truncated file
// makes some PDF readers search for it quadratically).
func checkShape(pdf []byte, maxSize int64) error {
	if int64(len(pdf)) > maxSize {
		return errs.E(errs.TooLarge, "the PDF is %d bytes, over the limit of %d", len(pdf), maxSize)
	}
	if len(pdf) < 64 {
		return errs.E(errs.Unsupported, "the file is too short to be a PDF")
	}
	head := pdf[:min(len(pdf), 1024)]
	if !bytes.Contains(head, []byte("%PDF-")) {
		return errs.E(errs.Unsupported, "tệp không phải tệp PDF / the file is not a PDF file")
	}
	tail := pdf[max(0, len(pdf)-2048):]
	i := bytes.LastIndex(tail, []byte("%%EOF"))
	if i < 0 || len(bytes.TrimSpace(tail[i+5:])) != 0 {
		return errs.E(errs.Unprocessable, "the PDF is truncated (no %%%%EOF at its end)")
	}
	if bytes.LastIndex(tail, []byte("startxref")) < 0 {
		return errs.E(errs.Unprocessable, "the PDF is truncated (no startxref)")
	}
	return nil
}

// lastStartXref returns the offset that the last startxref points at.
func lastStartXref(pdf []byte) (int64, error) {
	tail := pdf[max(0, len(pdf)-2048):]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return 0, errs.E(errs.Unprocessable, "the PDF has no startxref")
	}
	f := strings.Fields(string(tail[i+len("startxref"):]))
	if len(f) == 0 {
		return 0, errs.E(errs.Unprocessable, "the PDF has an empty startxref")
	}
	off, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || off <= 0 || off >= int64(len(pdf)) {
		return 0, errs.E(errs.Unprocessable, "the PDF's startxref %q is out of range", f[0])
	}
	return off, nil
}

// parse reads pdf with pdfcpu, giving up when ctx ends. Everything that
// walks pdfcpu's structures for the first time (catalog, page tree, page
// count) runs inside the recovered goroutine: pdfcpu panics on some damaged
// files (a catalog it could not parse leaves a nil page root that
// EnsurePageCount dereferences), and a panic must end this one document,
// never the process.
func parse(ctx context.Context, pdf []byte) (*model.XRefTable, error) {
	type result struct {
		x   *model.XRefTable
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if p := recover(); p != nil {
				r = result{err: errs.Wrap(errs.Unprocessable, fmt.Errorf("panic: %v", p), "the PDF's structure is damaged: the reader cannot follow it")}
			}
			done <- r
		}()
		r.x, r.err = readXRef(ctx, pdf)
	}()
	select {
	case <-ctx.Done():
		return nil, errs.Wrap(errs.Unavailable, ctx.Err(), "reading the PDF took too long")
	case r := <-done:
		return r.x, r.err
	}
}

// readXRef is parse without the goroutine; it may panic inside pdfcpu.
func readXRef(ctx context.Context, pdf []byte) (*model.XRefTable, error) {
	c, err := pdfcpu.ReadWithContext(ctx, bytes.NewReader(pdf), pdfConfig())
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return nil, errs.Wrap(errs.Unavailable, err, "reading the PDF took too long")
		}
		if strings.Contains(err.Error(), "password") || strings.Contains(err.Error(), "encrypt") {
			return nil, errs.Wrap(errs.Unprocessable, err, "the PDF is encrypted (password-protected); encrypted PDFs cannot be signed or verified")
		}
		return nil, errs.Wrap(errs.Unprocessable, err, "the PDF cannot be read: %v", err)
	}
	x := c.XRefTable
	if x.Encrypt != nil {
		return nil, errs.E(errs.Unprocessable, "the PDF is encrypted (password-protected); encrypted PDFs cannot be signed or verified")
	}
	// The page images are read once more by every signature and its check:
	// held where they are, not copied.
	pdfmem.AliasStreams(x, pdf)
	if x.Root == nil {
		return nil, errs.E(errs.Unprocessable, "the PDF has no catalog (trailer /Root)")
	}
	if e := x.Table[x.Root.ObjectNumber.Value()]; e == nil || e.Free || e.Object == nil {
		return nil, errs.E(errs.Unprocessable, "the PDF's catalog (object %d) cannot be read: it is damaged or nested too deeply", x.Root.ObjectNumber.Value())
	}
	cat, err := x.DereferenceDict(*x.Root)
	if err != nil || cat == nil {
		return nil, errs.Wrap(errs.Unprocessable, err, "the PDF's catalog cannot be read (it may be nested too deeply or damaged)")
	}
	pages, err := x.DereferenceDict(cat["Pages"])
	if err != nil || pages == nil {
		return nil, errs.Wrap(errs.Unprocessable, err, "the PDF's page tree cannot be read")
	}
	if err := x.EnsurePageCount(); err != nil {
		return nil, errs.Wrap(errs.Unprocessable, err, "the PDF's page tree cannot be read: %v", err)
	}
	return x, nil
}

var (
	eofRE       = regexp.MustCompile(`%%EOF(\r\n|\r|\n)?`)
	structureRE = regexp.MustCompile(`\d+\s+\d+\s+obj\b|\bxref\b|\btrailer\b|\bstartxref\b`)
)

// splitTrailing separates what follows the last %%EOF (and its end of line)
// from the document. Such bytes add no revision when they hold no PDF
// structure: a mail gateway's footer, padding with NULs. structure reports
// bytes that look like objects, a cross-reference section or a trailer,
// which some readers would take for a revision.
func splitTrailing(pdf []byte) (doc, trailing []byte, structure bool) {
	locs := eofRE.FindAllIndex(pdf[max(0, len(pdf)-(1<<20)):], -1)
	if len(locs) == 0 {
		return pdf, nil, false
	}
	end := max(0, len(pdf)-(1<<20)) + locs[len(locs)-1][1]
	doc, trailing = pdf[:end], pdf[end:]
	return doc, trailing, structureRE.Match(trailing)
}

func readDocument(ctx context.Context, pdf []byte, maxSize int64) (*document, error) {
	if err := checkShape(pdf, maxSize); err != nil {
		return nil, err
	}
	prev, err := lastStartXref(pdf)
	if err != nil {
		return nil, err
	}
	x, err := parse(ctx, pdf)
	if err != nil {
		return nil, err
	}
	d := &document{raw: pdf, x: x, prevXref: prev}
	d.xrefStream = !bytes.HasPrefix(bytes.TrimLeft(pdf[prev:], " \r\n\t\f\x00"), []byte("xref"))
	d.size = x.MaxObjNr + 1
	if x.Size != nil && *x.Size > d.size {
		d.size = *x.Size
	}
	return d, nil
}

func (d *document) dict(o types.Object) (types.Dict, error) {
	dd, err := d.x.DereferenceDict(o)
	if err != nil {
		return nil, errs.Wrap(errs.Unprocessable, err, "the PDF has a broken dictionary")
	}
	return dd, nil
}

func (d *document) array(o types.Object) (types.Array, error) {
	if o == nil {
		return nil, nil
	}
	a, err := d.x.DereferenceArray(o)
	if err != nil {
		return nil, errs.Wrap(errs.Unprocessable, err, "the PDF has a broken array")
	}
	return a, nil
}

func (d *document) catalog() (types.Dict, error) {
	return d.dict(*d.x.Root)
}

// update is an incremental update being written after the bytes of a document.
type update struct {
	buf     bytes.Buffer
	offsets map[int]int64 // object number → offset
	gens    map[int]int
}

func newUpdate(base []byte) *update {
	u := &update{offsets: map[int]int64{}, gens: map[int]int{}}
	u.buf.Grow(len(base) + updateSpare)
	u.buf.Write(base)
	u.endLine(base)
	return u
}

// updateSpare is the room an update leaves after the document for what is
// written next: the signature's own objects, then its DSS, which extends
// the same bytes (extendUpdate) rather than copying the document again.
// A document given with at least this much spare capacity (Options.InPlace)
// is extended in place.
const updateSpare = 256 << 10

// UpdateSpare is the spare capacity a document given to Sign (Options.InPlace)
// needs to be signed in place.
const UpdateSpare = updateSpare

// extendUpdate starts an update after base, written into base's spare
// capacity when it has enough: base's bytes are not copied and stay as
// they are (the update writes past their end), so base must be the
// caller's to give, and nothing else may append to it.
func extendUpdate(base []byte) *update {
	u := &update{offsets: map[int]int64{}, gens: map[int]int{}}
	u.buf = *bytes.NewBuffer(base)
	u.endLine(base)
	return u
}

// endLine ends base's last line, so that the update starts on its own.
func (u *update) endLine(base []byte) {
	if len(base) > 0 && base[len(base)-1] != '\n' && base[len(base)-1] != '\r' {
		u.buf.WriteByte('\n')
	}
}

// begin starts object num and returns the offset where its body starts.
func (u *update) begin(num, gen int) int64 {
	u.offsets[num] = int64(u.buf.Len())
	u.gens[num] = gen
	fmt.Fprintf(&u.buf, "%d %d obj\n", num, gen)
	return int64(u.buf.Len())
}

func (u *update) object(num, gen int, body string) {
	u.begin(num, gen)
	u.buf.WriteString(body)
	u.buf.WriteString("\nendobj\n")
}

func (u *update) stream(num int, dict string, data []byte) {
	u.begin(num, 0)
	fmt.Fprintf(&u.buf, "<<%s/Length %d>>\nstream\n", dict, len(data))
	u.buf.Write(data)
	u.buf.WriteString("\nendstream\nendobj\n")
}

// finish writes the cross-reference section and trailer, in the same form as
// the document's last section (table or stream), and returns the offset of
// the section. size is the first free object number before the section.
func (u *update) finish(d *document, prev int64, size int, xrefStream bool) int64 {
	x := d.x
	trailer := fmt.Sprintf("/Root %s", x.Root.PDFString())
	if x.Info != nil {
		trailer += "/Info " + x.Info.PDFString()
	}
	if len(x.ID) == 2 {
		trailer += "/ID" + x.ID.PDFString()
	}
	trailer += fmt.Sprintf("/Prev %d", prev)

	nums := make([]int, 0, len(u.offsets)+1)
	for n := range u.offsets {
		nums = append(nums, n)
	}
	if !xrefStream {
		sort.Ints(nums)
		start := int64(u.buf.Len())
		u.buf.WriteString("xref\n")
		for i := 0; i < len(nums); {
			j := i
			for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
				j++
			}
			fmt.Fprintf(&u.buf, "%d %d\n", nums[i], j-i+1)
			for k := i; k <= j; k++ {
				fmt.Fprintf(&u.buf, "%010d %05d n\r\n", u.offsets[nums[k]], u.gens[nums[k]])
			}
			i = j + 1
		}
		fmt.Fprintf(&u.buf, "trailer\n<</Size %d%s>>\nstartxref\n%d\n%%%%EOF\n", size, trailer, start)
		return start
	}
	self := size
	size++
	start := int64(u.buf.Len())
	u.offsets[self], u.gens[self] = start, 0
	nums = append(nums, self)
	sort.Ints(nums)
	var index strings.Builder
	var data []byte
	for _, n := range nums {
		fmt.Fprintf(&index, "%d 1 ", n)
		off := u.offsets[n]
		g := u.gens[n]
		data = append(data, 1, byte(off>>24), byte(off>>16), byte(off>>8), byte(off), byte(g>>8), byte(g))
	}
	u.stream(self, fmt.Sprintf("/Type/XRef/Size %d/W[1 4 2]/Index[%s]%s", size, strings.TrimSpace(index.String()), trailer), data)
	fmt.Fprintf(&u.buf, "startxref\n%d\n%%%%EOF\n", start)
	return start
}

// textString encodes s as a PDF text string: a hex string of UTF-16BE with a
// byte order mark. Unlike a raw UTF-16 literal string it cannot contain an
// unbalanced parenthesis (ĩ is U+0129, whose low byte is ')').
func textString(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, r := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", r)
	}
	b.WriteString(">")
	return b.String()
}

// decodeText decodes a PDF text string value (hex or literal, UTF-16BE with
// BOM or PDFDocEncoding treated as Latin-1).
func decodeText(o types.Object) string {
	var raw []byte
	switch v := o.(type) {
	case types.HexLiteral:
		b, err := hex.DecodeString(strings.Join(strings.Fields(string(v)), ""))
		if err != nil {
			return ""
		}
		raw = b
	case types.StringLiteral:
		b, err := types.Unescape(string(v))
		if err != nil {
			return ""
		}
		raw = b
	default:
		return ""
	}
	if len(raw) >= 2 && raw[0] == 0xFE && raw[1] == 0xFF {
		u := make([]uint16, 0, len(raw)/2)
		for i := 2; i+1 < len(raw); i += 2 {
			u = append(u, uint16(raw[i])<<8|uint16(raw[i+1]))
		}
		return string(utf16.Decode(u))
	}
	if len(raw) >= 3 && raw[0] == 0xEF && raw[1] == 0xBB && raw[2] == 0xBF {
		return string(raw[3:])
	}
	r := make([]rune, len(raw))
	for i, c := range raw {
		r[i] = rune(c)
	}
	return string(r)
}

// pdfDate formats t as a PDF date string literal.
func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("(D:%s%c%02d'%02d')", t.Format("20060102150405"), sign, off/3600, off%3600/60)
}

func num(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}
