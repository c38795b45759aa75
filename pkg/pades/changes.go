package pades

import (
	"context"
	"fmt"
	"sort"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// changesAfter compares the revision that ends at end with the whole file and
// lists the changes that an approval signature does not allow: anything but
// new objects, the catalog's AcroForm/DSS/Extensions entries, a page's
// /Annots, the AcroForm's /Fields and /SigFlags, the DSS, and arrays that only
// grew (ISO 32000-1 §12.8.2.2 with DocMDP P=2 semantics, plus PAdES DSS).
func (v *verifier) changesAfter(ctx context.Context, end int64) []string {
	old, err := parse(ctx, v.pdf[:end])
	if err != nil {
		return []string{"the signed revision cannot be read: " + err.Error()}
	}
	var changes []string
	nums := make([]int, 0, len(v.x.Table))
	for n := range v.x.Table {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		e := v.x.Table[n]
		if n == 0 || e == nil || e.Free || e.Object == nil {
			continue
		}
		oe, ok := old.Table[n]
		if !ok || oe == nil || oe.Free || oe.Object == nil {
			continue // a new object
		}
		if equalObjects(oe.Object, e.Object) {
			continue
		}
		// Objects inside object streams are decoded lazily: judge the values.
		oo, ook := resolveLazy(oe.Object)
		no, nok := resolveLazy(e.Object)
		if !ook || !nok || !allowedChange(oo, no) {
			changes = append(changes, fmt.Sprintf("object %d (%s)", n, kind(e.Object)))
		}
		if len(changes) > 20 {
			break
		}
	}
	return changes
}

func kind(o types.Object) string {
	switch t := o.(type) {
	case types.Dict:
		if n, ok := t["Type"].(types.Name); ok {
			return string(n)
		}
		return "dictionary"
	case types.StreamDict:
		if n, ok := t.Dict["Type"].(types.Name); ok {
			return string(n) + " stream"
		}
		return "stream"
	case types.Array:
		return "array"
	}
	return fmt.Sprintf("%T", o)
}

func allowedChange(oldObj, newObj types.Object) bool {
	switch nv := newObj.(type) {
	case types.StreamDict:
		t, _ := nv.Dict["Type"].(types.Name)
		return t == "XRef" || t == "ObjStm"
	case types.Array:
		ov, ok := oldObj.(types.Array)
		if !ok || len(ov) > len(nv) {
			return false
		}
		for i := range ov {
			if !equalObjects(ov[i], nv[i]) {
				return false
			}
		}
		return true
	case types.Dict:
		od, ok := oldObj.(types.Dict)
		if !ok {
			return false
		}
		var free map[string]bool
		t, _ := nv["Type"].(types.Name)
		switch {
		case t == "Catalog":
			free = map[string]bool{"AcroForm": true, "DSS": true, "Extensions": true}
		case t == "Page":
			free = map[string]bool{"Annots": true}
		case t == "DSS":
			return true
		case nv["Fields"] != nil:
			free = map[string]bool{"Fields": true, "SigFlags": true}
		default:
			return false
		}
		keys := map[string]bool{}
		for k := range od {
			keys[k] = true
		}
		for k := range nv {
			keys[k] = true
		}
		for k := range keys {
			if free[k] {
				continue
			}
			a, aok := od[k]
			b, bok := nv[k]
			if aok != bok || (aok && !equalObjects(a, b)) {
				return false
			}
		}
		return true
	}
	return false
}
