package pades

import (
	"fmt"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Modification analysis: what changed between a signed revision and the
// whole file, judged on the resolved object graphs of both, object by object
// from the trailer's /Root. A change is allowed only by where the object sits
// in the signed revision (its role there), never by what a new object says
// about itself. The rules follow ISO 32000-1 §12.8.2.2 (DocMDP) and PAdES
// (ETSI EN 319 142-1 §5.4): always allowed are the DSS, document time stamps
// and new signature fields with their widgets (not when DocMDP P=1); form
// filling needs a DocMDP certification with P≥2 and annotations P=3. An
// approval signature without DocMDP allows no form filling and no annotations.

const (
	maxGraphObjects = 200_000 // objects walked per revision
	maxValueDepth   = 64      // nesting of direct values
	maxReported     = 20      // changes listed
)

type objStatus int

const (
	stSame objStatus = iota
	stChanged
	stNew     // not in the signed revision, or redefined with another generation
	stDeleted // in the signed revision, free or missing now
)

type edge struct {
	from int // -1: the trailer
	path string
}

// analysis compares the signed revision (old) with the whole file (cur).
type analysis struct {
	old, cur *graph
	perm     int // DocMDP P of the signed revision; 0 when there is no certification
	changes  []string
	seen     map[string]bool

	status map[int]objStatus
	path   map[int]string // first path from /Root in cur
	edges  map[int][]edge

	// Roles in the signed revision.
	catalog     int
	pages       map[int]int // page object → page number (1-based)
	pageNodes   map[int]bool
	acroForm    int
	arrays      map[int]string // indirect arrays that may only grow: "Annots", "Fields"
	fields      map[int]fieldInfo
	annots      map[int]bool // annotations on pages, widgets included
	dss         map[int]bool
	locks       []fieldLock
	newWidgets  map[int]bool // widgets of signature fields added after signing
	newSigDicts map[int]bool
}

func (a *analysis) forbid(format string, args ...any) {
	m := fmt.Sprintf(format, args...)
	if a.seen[m] || len(a.changes) >= maxReported {
		return
	}
	a.seen[m] = true
	a.changes = append(a.changes, m)
}

func (a *analysis) where(n int) string {
	if p := a.path[n]; p != "" {
		return fmt.Sprintf("object %d (%s)", n, p)
	}
	return fmt.Sprintf("object %d", n)
}

// modifications returns the changes from old to cur that the signed revision
// does not allow, each named; empty means none.
func modifications(old, cur *graph) []string {
	a := &analysis{
		old: old, cur: cur, seen: map[string]bool{},
		status: map[int]objStatus{}, path: map[int]string{}, edges: map[int][]edge{},
		pages: map[int]int{}, pageNodes: map[int]bool{}, arrays: map[int]string{},
		fields: map[int]fieldInfo{}, annots: map[int]bool{}, dss: map[int]bool{},
		newWidgets: map[int]bool{}, newSigDicts: map[int]bool{},
	}
	if old.x.Root == nil || cur.x.Root == nil {
		return []string{"the document has no catalog"}
	}
	a.catalog = old.x.Root.ObjectNumber.Value()
	if cur.x.Root.ObjectNumber.Value() != a.catalog || cur.x.Root.GenerationNumber != old.x.Root.GenerationNumber {
		a.forbid("the document catalog was replaced (/Root is now object %d, was %d)", cur.x.Root.ObjectNumber.Value(), a.catalog)
		return a.changes
	}
	a.roles()
	if !a.walk() {
		return a.changes
	}
	a.classify()
	a.checkCatalog()
	all := a.sortedStatus()
	// Field lists first: they decide which new widgets are legitimate on pages.
	for _, st := range all {
		if st.s == stChanged && a.arrays[st.n] == "Fields" {
			a.checkChanged(st.n)
		}
	}
	for _, st := range all {
		switch {
		case st.s == stChanged && a.arrays[st.n] != "Fields":
			a.checkChanged(st.n)
		case st.s == stNew, st.s == stDeleted:
			a.checkNew(st.n, st.s)
		}
	}
	return a.changes
}

// checkCatalog judges the catalog, the AcroForm and the page-level changes
// first: they decide which new signature widgets are legitimate.
func (a *analysis) checkCatalog() {
	oc, nc := a.old.dict(*a.old.x.Root), a.cur.dict(*a.cur.x.Root)
	if oc == nil || nc == nil {
		a.forbid("the document catalog cannot be read")
		return
	}
	for _, k := range diffKeys(a.old, a.cur, oc, nc) {
		switch k {
		case "DSS", "Extensions":
		case "AcroForm":
			// Judged below on the resolved dictionaries.
		default:
			a.forbid("the document catalog's /%s was changed after signing", k)
		}
	}
	oaf, naf := a.old.dict(oc["AcroForm"]), a.cur.dict(nc["AcroForm"])
	if oaf != nil && naf == nil {
		a.forbid("the form (/AcroForm) was removed after signing")
		return
	}
	if naf == nil {
		return
	}
	if oaf == nil {
		oaf = types.Dict{}
	} else if r, ok := refNum(nc["AcroForm"]); ok && a.acroForm != 0 && r != a.acroForm {
		a.forbid("the form (/AcroForm) was replaced by object %d after signing", r)
	}
	for _, k := range diffKeys(a.old, a.cur, oaf, naf) {
		switch k {
		case "Fields":
			a.grown("the form's field list", a.old.arr(oaf["Fields"]), a.cur.arr(naf["Fields"]), a.newField)
		case "SigFlags", "DR":
		case "NeedAppearances":
			if a.perm < 2 {
				a.forbid("the form's /NeedAppearances was changed after signing")
			}
		default:
			a.forbid("the form's /%s was changed after signing", k)
		}
	}
}

// grown checks that arr only gained elements and judges each new one.
func (a *analysis) grown(what string, old, cur types.Array, judge func(types.Object)) {
	have := map[string]int{}
	for _, e := range cur {
		have[e.PDFString()]++
	}
	for _, e := range old {
		if have[e.PDFString()] == 0 {
			a.forbid("%s lost an element (%s) after signing", what, e.PDFString())
			continue
		}
		have[e.PDFString()]--
	}
	was := map[string]int{}
	for _, e := range old {
		was[e.PDFString()]++
	}
	for _, e := range cur {
		if was[e.PDFString()] > 0 {
			was[e.PDFString()]--
			continue
		}
		judge(e)
	}
}

// newField judges a field added to the form: only a signature field, whose
// value (if any) is a new signature dictionary and whose widgets are new.
func (a *analysis) newField(f types.Object) {
	n, ok := refNum(f)
	if !ok || a.status[n] != stNew {
		a.forbid("a form field that is not a new object (%s) was added to the form after signing", f.PDFString())
		return
	}
	d := a.cur.dict(f)
	if d == nil || a.cur.name(d, "FT") != "Sig" {
		a.forbid("a form field that is not a signature field (object %d) was added after signing", n)
		return
	}
	v := a.cur.dict(d["V"])
	if v != nil {
		vn, ok := refNum(d["V"])
		if !ok || a.status[vn] != stNew {
			a.forbid("the new signature field (object %d) reuses a signature dictionary of the signed revision", n)
		} else {
			a.newSigDicts[vn] = true
		}
	}
	if a.perm == 1 && (v == nil || a.cur.name(v, "Type") != "DocTimeStamp") {
		a.forbid("a signature field (object %d) was added although the certification allows no changes (DocMDP P=1)", n)
	}
	widgets := []types.Object{f}
	if kids := a.cur.arr(d["Kids"]); len(kids) > 0 {
		widgets = kids
	}
	for _, w := range widgets {
		wn, ok := refNum(w)
		if !ok || a.status[wn] != stNew {
			a.forbid("the new signature field (object %d) uses a widget of the signed revision", n)
			continue
		}
		wd := a.cur.dict(w)
		if wd == nil {
			continue
		}
		if v == nil && visible(a.cur, wd) {
			a.forbid("an unsigned signature field with a visible appearance (object %d) was added after signing", wn)
			continue
		}
		a.newWidgets[wn] = true
	}
}

// visible reports whether a widget can show anything: a non-empty /Rect and
// neither Hidden nor NoView.
func visible(g *graph, w types.Dict) bool {
	if f, ok := g.res(w["F"]).(types.Integer); ok && f&(2|32) != 0 {
		return false
	}
	r := g.arr(w["Rect"])
	if len(r) != 4 {
		return false
	}
	var v [4]float64
	for i, e := range r {
		v[i], _ = numVal(g.res(e))
	}
	return v[0] != v[2] && v[1] != v[3]
}

// newAnnot judges an annotation added to a page.
func (a *analysis) newAnnot(page int) func(types.Object) {
	return func(o types.Object) {
		n, ok := refNum(o)
		if ok && a.newWidgets[n] {
			return
		}
		sub := a.cur.name(a.cur.dict(o), "Subtype")
		if a.perm == 3 && ok && a.status[n] == stNew && sub != "Widget" {
			return
		}
		if sub == "" {
			sub = "unknown"
		}
		a.forbid("an annotation (/Subtype /%s, %s) was added to page %d after signing", sub, o.PDFString(), page)
	}
}

// checkChanged judges an object of the signed revision whose value changed,
// by its role in the signed revision.
func (a *analysis) checkChanged(n int) {
	oo, co := a.old.obj(n), a.cur.obj(n)
	od, _ := oo.(types.Dict)
	cd, _ := co.(types.Dict)
	switch {
	case n == a.catalog, n == a.acroForm && od != nil && cd != nil:
		return // checkCatalog
	case a.dss[n]:
		return
	case a.arrays[n] != "":
		oa, _ := oo.(types.Array)
		ca, ok := co.(types.Array)
		if !ok {
			a.forbid("%s, an array of the signed revision, was replaced by another kind of object", a.where(n))
			return
		}
		judge := func(o types.Object) { a.forbid("%s gained an element (%s) after signing", a.where(n), o.PDFString()) }
		switch a.arrays[n] {
		case "Fields":
			judge = a.newField
		case "Annots":
			judge = a.newAnnot(a.pageOfAnnots(n))
		}
		a.grown(a.where(n), oa, ca, judge)
		return
	}
	if od == nil || cd == nil {
		a.forbid("%s was changed after signing", a.where(n))
		return
	}
	keys := diffKeys(a.old, a.cur, od, cd)
	if p := a.pages[n]; p > 0 {
		for _, k := range keys {
			if k == "Annots" {
				a.grown(fmt.Sprintf("page %d's annotations", p), a.old.arr(od["Annots"]), a.cur.arr(cd["Annots"]), a.newAnnot(p))
				continue
			}
			a.forbid("page %d's /%s was changed after signing", p, k)
		}
		return
	}
	f, isField := a.fields[n]
	allowed := map[string]bool{}
	switch {
	case isField && f.sig && !f.signed && a.perm != 1:
		allowed = map[string]bool{"V": true, "AP": true, "AS": true, "Lock": true, "SV": true}
	case isField && !f.sig && a.perm >= 2 && !a.locked(f.name):
		allowed = map[string]bool{"V": true, "AP": true, "AS": true}
	case !isField && a.annots[n] && a.perm >= 2 && a.cur.name(cd, "Subtype") == "Widget" && a.name(od, "Subtype") == "Widget":
		allowed = map[string]bool{"AP": true, "AS": true}
	case !isField && a.annots[n] && a.perm == 3:
		for _, k := range keys {
			allowed[k] = k != "Subtype" && k != "Parent" && k != "FT"
		}
	}
	for _, k := range keys {
		if allowed[k] {
			if k == "V" && isField && f.sig {
				vn, ok := refNum(cd["V"])
				if !ok || a.status[vn] != stNew {
					a.forbid("signature field %q was given a signature dictionary of the signed revision", f.name)
				} else {
					a.newSigDicts[vn] = true
				}
			}
			continue
		}
		switch {
		case isField && a.locked(f.name):
			a.forbid("form field %q, locked by a signature (FieldMDP), was changed after signing (/%s)", f.name, k)
		case isField:
			a.forbid("form field %q: /%s was changed after signing", f.name, k)
		case a.annots[n]:
			a.forbid("annotation %s: /%s was changed after signing", a.where(n), k)
		default:
			a.forbid("%s was changed after signing (/%s)", a.where(n), k)
		}
	}
}

func (a *analysis) name(d types.Dict, key string) string { return a.old.name(d, key) }

func (a *analysis) pageOfAnnots(arr int) int {
	for p, num := range a.pages {
		if r, ok := refNum(a.old.dict(*types.NewIndirectRef(p, 0))["Annots"]); ok && r == arr {
			return num
		}
	}
	return 0
}

// checkNew judges an object that is new, regenerated or deleted: the signed
// revision may not point at it. Objects of the signed revision that did not
// change keep exactly what they referenced when they were signed.
func (a *analysis) checkNew(n int, st objStatus) {
	for _, e := range a.edges[n] {
		if e.from < 0 || a.status[e.from] != stSame {
			continue
		}
		oe, ce := a.old.entry(n), a.cur.entry(n)
		switch {
		case st == stDeleted:
			a.forbid("%s, used by the signed revision, was deleted (freed) after signing", a.where(n))
		case oe != nil && genOf(oe) != genOf(ce):
			a.forbid("%s was redefined with generation %d after signing (was %d)", a.where(n), genOf(ce), genOf(oe))
		case oe != nil:
			a.forbid("%s, a cross-reference or object stream of the signed revision, was redefined as content after signing", a.where(n))
		default:
			a.forbid("%s, referenced by the signed revision from object %d, was defined only after signing", a.where(n), e.from)
		}
		return
	}
}
