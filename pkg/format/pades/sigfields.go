package pades

// Finding the signatures and binding each to its bytes: the AcroForm's
// signature fields, the /ByteRange rules, the checks between signatures, and
// the signed revision each one ends.

import (
	"context"
	"crypto/x509"
	"fmt"
	"regexp"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/sohoa/sohoa/pkg/errs"
)

type sigField struct {
	name  string
	v     types.Dict
	vNum  int // object number of the signature dictionary, 0 when direct
	end   int64
	hole  [2]int64
	hasBR bool
}

type verifier struct {
	pdf       []byte
	x         *model.XRefTable
	o         VerifyOptions
	dssCerts  []*x509.Certificate
	dssOCSP   [][]byte
	dssCRL    [][]byte
	revisions map[int64]*graph
	revErr    map[int64]error
}

func (v *verifier) dict(o types.Object) types.Dict {
	d, err := v.x.DereferenceDict(o)
	if err != nil {
		return nil
	}
	return d
}

func (v *verifier) array(o types.Object) types.Array {
	a, err := v.x.DereferenceArray(o)
	if err != nil {
		return nil
	}
	return a
}

// signatureFields walks the AcroForm field tree for signature fields with a value.
func (v *verifier) signatureFields() ([]sigField, error) {
	cat, err := v.x.Catalog()
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "the PDF has no readable catalog")
	}
	af := v.dict(cat["AcroForm"])
	if af == nil {
		return nil, nil
	}
	var out []sigField
	seen := map[int]bool{}
	count := 0
	var walk func(fields types.Array, ft types.Name, prefix string, depth int)
	walk = func(fields types.Array, ft types.Name, prefix string, depth int) {
		if depth > 16 {
			return
		}
		for _, f := range fields {
			if count++; count > 5000 {
				return
			}
			if r, ok := f.(types.IndirectRef); ok {
				if seen[r.ObjectNumber.Value()] {
					continue
				}
				seen[r.ObjectNumber.Value()] = true
			}
			fd := v.dict(f)
			if fd == nil {
				continue
			}
			fft := ft
			if n, ok := fd["FT"].(types.Name); ok {
				fft = n
			}
			name := decodeText(fd["T"])
			if prefix != "" && name != "" {
				name = prefix + "." + name
			} else if name == "" {
				name = prefix
			}
			if kids := v.array(fd["Kids"]); len(kids) > 0 {
				walk(kids, fft, name, depth+1)
			}
			if fft != "Sig" {
				continue
			}
			if sd := v.dict(fd["V"]); sd != nil {
				vn, _ := refNum(fd["V"])
				out = append(out, sigField{name: name, v: sd, vNum: vn})
			}
		}
	}
	walk(v.array(af["Fields"]), "", "", 0)
	return out, nil
}

// revision parses the revision that ends at end, once.
func (v *verifier) revision(ctx context.Context, end int64) (*graph, error) {
	if g, ok := v.revisions[end]; ok {
		return g, nil
	}
	if err, ok := v.revErr[end]; ok {
		return nil, err
	}
	x, err := parse(ctx, v.pdf[:end])
	if err != nil {
		if v.revErr == nil {
			v.revErr = map[int64]error{}
		}
		v.revErr[end] = err
		return nil, err
	}
	g := &graph{x: x, raw: v.pdf[:end]}
	v.revisions[end] = g
	return g, nil
}

var eolRE = regexp.MustCompile(`%%EOF(\r\n|\r|\n)?$`)

// byteRange reads and binds the signature's /ByteRange: a direct array of
// four integers starting at 0, whose hole is exactly this signature
// dictionary's own /Contents hex string, whose dictionary lies in the signed
// bytes, and whose end is the end of a revision (%%EOF).
func (v *verifier) byteRange(f *sigField) ([4]int64, error) {
	var r [4]int64
	br, ok := f.v["ByteRange"].(types.Array)
	if !ok {
		if f.v["ByteRange"] == nil {
			return r, fmt.Errorf("the signature has no /ByteRange")
		}
		return r, fmt.Errorf("the /ByteRange is not a direct array")
	}
	if len(br) != 4 {
		return r, fmt.Errorf("the /ByteRange has %d numbers, want 4", len(br))
	}
	for i, o := range br {
		n, ok := o.(types.Integer)
		if !ok || n < 0 {
			return r, fmt.Errorf("the /ByteRange is malformed")
		}
		r[i] = int64(n)
	}
	size := int64(len(v.pdf))
	if r[0] != 0 {
		return r, fmt.Errorf("the /ByteRange does not start at the beginning of the file")
	}
	if r[1] <= 0 || r[2] < r[1]+2 || r[3] < 0 || r[2]+r[3] > size {
		return r, fmt.Errorf("the /ByteRange does not describe this file")
	}
	f.hole, f.hasBR = [2]int64{r[1], r[2]}, true
	if _, ok := f.v["Contents"].(types.HexLiteral); !ok {
		return r, fmt.Errorf("the signature's /Contents is missing or not a direct hex string")
	}
	if f.vNum == 0 {
		return r, fmt.Errorf("the signature dictionary is not an indirect object")
	}
	e := v.x.Table[f.vNum]
	if e == nil || e.Free || e.Compressed || e.Offset == nil {
		return r, fmt.Errorf("the signature dictionary is not stored directly in the file")
	}
	contents, brSpan, err := sigDictSpans(v.pdf, *e.Offset, f.vNum)
	if err != nil {
		return r, fmt.Errorf("the signature dictionary cannot be located: %v", err)
	}
	if int64(contents[0]) != r[1] || int64(contents[1]) != r[2] {
		return r, fmt.Errorf("the /ByteRange hole [%d %d] is not this signature's /Contents [%d %d]", r[1], r[2], contents[0], contents[1])
	}
	if *e.Offset >= r[1] || int64(brSpan[1]) > r[1] && int64(brSpan[0]) < r[2] {
		return r, fmt.Errorf("the signature dictionary is not inside the signed bytes")
	}
	end := r[2] + r[3]
	if !eolRE.Match(v.pdf[max(0, end-8):end]) {
		return r, fmt.Errorf("the /ByteRange does not end at the end of a revision (%%%%EOF)")
	}
	return r, nil
}

// crossCheck applies the rules between signatures: holes never overlap and
// no two fields share one signature dictionary.
func (v *verifier) crossCheck(reps []Signature, fs []sigField) {
	for i := range fs {
		for j := range fs {
			if j <= i {
				continue
			}
			var p string
			switch {
			case fs[i].vNum != 0 && fs[i].vNum == fs[j].vNum:
				p = "two signature fields share one signature dictionary"
			case fs[i].hasBR && fs[j].hasBR && fs[i].hole[0] < fs[j].hole[1] && fs[j].hole[0] < fs[i].hole[1]:
				p = "the byte ranges of two signatures leave overlapping holes"
			default:
				continue
			}
			for _, k := range []int{i, j} {
				reps[k].Valid = false
				reps[k].Intact = false
				reps[k].Problems = append(reps[k].Problems, p)
			}
		}
	}
}

func sortByEnd(s []Signature, f []sigField) {
	// Insertion sort on the revision end; n is small.
	ends := make([]int64, len(s))
	for i := range s {
		ends[i] = revisionEnd(s[i], f[i])
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && ends[j] < ends[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
			ends[j], ends[j-1] = ends[j-1], ends[j]
		}
	}
}

func revisionEnd(s Signature, f sigField) int64 {
	br, _ := f.v["ByteRange"].(types.Array)
	if len(br) != 4 {
		return 1 << 62
	}
	a, _ := br[2].(types.Integer)
	b, _ := br[3].(types.Integer)
	return int64(a) + int64(b)
}
