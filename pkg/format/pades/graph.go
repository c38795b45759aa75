package pades

// Object access for the modification analysis: one revision's object graph
// (resolved references, bounded values) and the semantic comparison of values
// between two revisions.

import (
	"bytes"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// graph is one revision's objects: its cross-reference table and the bytes
// it was read from.
type graph struct {
	x   *model.XRefTable
	raw []byte
}

func (g *graph) entry(n int) *model.XRefTableEntry {
	e, ok := g.x.Table[n]
	if !ok || e == nil || e.Free || e.Object == nil {
		return nil
	}
	return e
}

func genOf(e *model.XRefTableEntry) int {
	if e == nil || e.Generation == nil {
		return 0
	}
	return *e.Generation
}

func (g *graph) obj(n int) types.Object {
	e := g.entry(n)
	if e == nil {
		return nil
	}
	o, err := g.x.Dereference(*types.NewIndirectRef(n, genOf(e)))
	if err != nil {
		return nil
	}
	return o
}

func (g *graph) res(o types.Object) types.Object {
	for i := 0; i < 8; i++ {
		r, ok := o.(types.IndirectRef)
		if !ok {
			return o
		}
		o = g.obj(r.ObjectNumber.Value())
	}
	return nil
}

func (g *graph) dict(o types.Object) types.Dict {
	switch d := g.res(o).(type) {
	case types.Dict:
		return d
	case types.StreamDict:
		return d.Dict
	}
	return nil
}

func (g *graph) arr(o types.Object) types.Array {
	a, _ := g.res(o).(types.Array)
	return a
}

func (g *graph) name(d types.Dict, key string) string {
	n, _ := g.res(d[key]).(types.Name)
	return string(n)
}

// streamBytes returns a stream's encoded data.
func (g *graph) streamBytes(sd types.StreamDict) []byte {
	if sd.Raw != nil {
		return sd.Raw
	}
	if sd.StreamLength == nil || sd.StreamOffset <= 0 {
		return nil
	}
	s, e := sd.StreamOffset, sd.StreamOffset+*sd.StreamLength
	if s < 0 || e > int64(len(g.raw)) || e < s {
		return nil
	}
	return g.raw[s:e]
}

func refNum(o types.Object) (int, bool) {
	r, ok := o.(types.IndirectRef)
	if !ok {
		return 0, false
	}
	return r.ObjectNumber.Value(), true
}

func numVal(o types.Object) (float64, bool) {
	switch v := o.(type) {
	case types.Integer:
		return float64(v), true
	case types.Float:
		return float64(v), true
	}
	return 0, false
}

func strVal(o types.Object) ([]byte, bool) {
	switch v := o.(type) {
	case types.StringLiteral:
		b, err := types.Unescape(string(v))
		return b, err == nil
	case types.HexLiteral:
		s := strings.Join(strings.Fields(string(v)), "")
		if len(s)%2 == 1 {
			s += "0"
		}
		b, err := hex.DecodeString(s)
		return b, err == nil
	}
	return nil, false
}

// equal compares two values semantically: numbers as numbers, strings by
// their bytes, references by object and generation number (the objects they
// point to are compared on their own), streams by dictionary and data.
func equal(ga, gb *graph, a, b types.Object, depth int) bool {
	if depth > maxValueDepth {
		return false
	}
	if x, ok := numVal(a); ok {
		y, ok := numVal(b)
		return ok && x == y
	}
	if x, ok := strVal(a); ok {
		y, ok := strVal(b)
		return ok && bytes.Equal(x, y)
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case types.Name:
		y, ok := b.(types.Name)
		return ok && x == y
	case types.Boolean:
		y, ok := b.(types.Boolean)
		return ok && x == y
	case types.IndirectRef:
		y, ok := b.(types.IndirectRef)
		return ok && x.ObjectNumber == y.ObjectNumber && x.GenerationNumber == y.GenerationNumber
	case types.Array:
		y, ok := b.(types.Array)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(ga, gb, x[i], y[i], depth+1) {
				return false
			}
		}
		return true
	case types.Dict:
		y, ok := b.(types.Dict)
		return ok && dictEqual(ga, gb, x, y, depth, nil)
	case types.StreamDict:
		y, ok := b.(types.StreamDict)
		return ok && dictEqual(ga, gb, x.Dict, y.Dict, depth, map[string]bool{"Length": true}) &&
			bytes.Equal(ga.streamBytes(x), gb.streamBytes(y))
	}
	return a.PDFString() == b.PDFString()
}

func dictEqual(ga, gb *graph, x, y types.Dict, depth int, skip map[string]bool) bool {
	for k, v := range x {
		if skip[k] {
			continue
		}
		if !equal(ga, gb, v, y[k], depth+1) {
			return false
		}
	}
	for k, v := range y {
		if _, ok := x[k]; !ok && !skip[k] && v != nil {
			return false
		}
	}
	return true
}

// diffKeys lists the keys whose values differ.
func diffKeys(ga, gb *graph, x, y types.Dict) []string {
	var out []string
	for k, v := range x {
		if !equal(ga, gb, v, y[k], 0) {
			out = append(out, k)
		}
	}
	for k, v := range y {
		if _, ok := x[k]; !ok && v != nil {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
