package pades

// The roles objects play in the signed revision (catalog, pages, fields,
// annotations, DSS, signature dictionaries), the FieldMDP and DocMDP locks,
// and the walk that classifies each object of the file as same, changed, new
// or deleted.

import (
	"sort"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// fieldLocks records the FieldMDP locks of a signature of the signed
// revision (ISO 32000-1 §12.8.2.4): Action All, or Include/Exclude a list of
// fully qualified field names.
func (a *analysis) fieldLocks(sd types.Dict) {
	for _, ref := range a.old.arr(sd["Reference"]) {
		rd := a.old.dict(ref)
		if rd == nil || a.old.name(rd, "TransformMethod") != "FieldMDP" {
			continue
		}
		tp := a.old.dict(rd["TransformParams"])
		if tp == nil {
			continue
		}
		names := map[string]bool{}
		for _, f := range a.old.arr(tp["Fields"]) {
			names[decodeText(a.old.res(f))] = true
		}
		a.locks = append(a.locks, fieldLock{action: a.old.name(tp, "Action"), names: names})
	}
}

type fieldLock struct {
	action string
	names  map[string]bool
}

func (a *analysis) locked(name string) bool {
	for _, l := range a.locks {
		switch l.action {
		case "All":
			return true
		case "Include":
			if l.names[name] {
				return true
			}
		case "Exclude":
			if !l.names[name] {
				return true
			}
		}
	}
	return false
}

type fieldInfo struct {
	name   string
	sig    bool
	signed bool
}

type numStatus struct {
	n int
	s objStatus
}

func (a *analysis) sortedStatus() []numStatus {
	out := make([]numStatus, 0, len(a.status))
	for n, s := range a.status {
		out = append(out, numStatus{n, s})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].n < out[j].n })
	return out
}

// roles records what the structural objects of the signed revision are.
func (a *analysis) roles() {
	g := a.old
	cat := g.dict(*g.x.Root)
	if cat == nil {
		return
	}
	// Page tree.
	count := 0
	var pages func(o types.Object, depth int)
	pages = func(o types.Object, depth int) {
		n, ok := refNum(o)
		if !ok || depth > maxValueDepth || count > maxGraphObjects || a.pageNodes[n] || a.pages[n] > 0 {
			return
		}
		count++
		d := g.dict(o)
		if d == nil {
			return
		}
		if kids, ok := g.res(d["Kids"]).(types.Array); ok {
			a.pageNodes[n] = true
			for _, k := range kids {
				pages(k, depth+1)
			}
			return
		}
		a.pages[n] = len(a.pages) + 1
		if r, ok := refNum(d["Annots"]); ok {
			a.arrays[r] = "Annots"
		}
		for _, an := range g.arr(d["Annots"]) {
			if r, ok := refNum(an); ok {
				a.annots[r] = true
			}
		}
	}
	pages(cat["Pages"], 0)
	// Form fields.
	sigDicts := map[int]bool{}
	defer func() { a.perm = docMDP(g, cat, sigDicts) }()
	if r, ok := refNum(cat["AcroForm"]); ok {
		a.acroForm = r
	}
	if af := g.dict(cat["AcroForm"]); af != nil {
		if r, ok := refNum(af["Fields"]); ok {
			a.arrays[r] = "Fields"
		}
		var walk func(arr types.Array, ft, prefix string, depth int)
		walk = func(arr types.Array, ft, prefix string, depth int) {
			for _, f := range arr {
				n, ok := refNum(f)
				if !ok || depth > 16 || count > maxGraphObjects {
					continue
				}
				if _, done := a.fields[n]; done {
					continue
				}
				count++
				d := g.dict(f)
				if d == nil {
					continue
				}
				fft := ft
				if t := g.name(d, "FT"); t != "" {
					fft = t
				}
				name := decodeText(g.res(d["T"]))
				if prefix != "" && name != "" {
					name = prefix + "." + name
				} else if name == "" {
					name = prefix
				}
				a.fields[n] = fieldInfo{name: name, sig: fft == "Sig", signed: fft == "Sig" && g.dict(d["V"]) != nil}
				if vn, ok := refNum(d["V"]); ok && fft == "Sig" {
					sigDicts[vn] = true
					a.fieldLocks(g.dict(d["V"]))
				}
				if r, ok := refNum(d["Kids"]); ok {
					a.arrays[r] = "Kids"
				}
				walk(g.arr(d["Kids"]), fft, name, depth+1)
			}
		}
		walk(g.arr(af["Fields"]), "", "", 0)
	}
	// Everything under the DSS may change.
	if _, ok := refNum(cat["DSS"]); ok || cat["DSS"] != nil {
		var walk func(o types.Object, depth int)
		walk = func(o types.Object, depth int) {
			if depth > maxValueDepth || count > maxGraphObjects {
				return
			}
			switch v := o.(type) {
			case types.IndirectRef:
				n := v.ObjectNumber.Value()
				if a.dss[n] {
					return
				}
				a.dss[n] = true
				count++
				walk(g.obj(n), depth+1)
			case types.Dict:
				for _, x := range v {
					walk(x, depth+1)
				}
			case types.Array:
				for _, x := range v {
					walk(x, depth+1)
				}
			}
		}
		walk(cat["DSS"], 0)
	}
}

// docMDP returns the P value of the certification signature's DocMDP
// transform (default 2), or 0 without certification. The certification must
// be the value of a signature field (sigDicts): a /Perms entry pointing at a
// dictionary no field holds grants nothing.
func docMDP(g *graph, cat types.Dict, sigDicts map[int]bool) int {
	perms := g.dict(cat["Perms"])
	if perms == nil {
		return 0
	}
	sn, ok := refNum(perms["DocMDP"])
	sd := g.dict(perms["DocMDP"])
	if !ok || sd == nil || !sigDicts[sn] {
		return 0
	}
	for _, ref := range g.arr(sd["Reference"]) {
		rd := g.dict(ref)
		if rd == nil || g.name(rd, "TransformMethod") != "DocMDP" {
			continue
		}
		p := 2
		if tp := g.dict(rd["TransformParams"]); tp != nil {
			if v, ok := g.res(tp["P"]).(types.Integer); ok && v >= 1 && v <= 3 {
				p = int(v)
			}
		}
		return p
	}
	return 0
}

// walk visits every object reachable from cur's /Root and records its first
// path and every edge into it.
func (a *analysis) walk() bool {
	g := a.cur
	root := g.x.Root.ObjectNumber.Value()
	a.path[root] = "/Root"
	a.edges[root] = []edge{{from: -1, path: "/Root"}}
	queue := []int{root}
	visited := map[int]bool{root: true}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if len(visited) > maxGraphObjects {
			a.forbid("the document has more than %d objects to check", maxGraphObjects)
			return false
		}
		o := g.obj(n)
		if sd, ok := o.(types.StreamDict); ok {
			o = sd.Dict
		}
		var tooDeep bool
		var visit func(v types.Object, p string, depth int)
		visit = func(v types.Object, p string, depth int) {
			if depth > maxValueDepth {
				tooDeep = true
				return
			}
			switch x := v.(type) {
			case types.IndirectRef:
				m := x.ObjectNumber.Value()
				full := a.path[n] + p
				if len(full) > 200 {
					full = full[:200] + "…"
				}
				a.edges[m] = append(a.edges[m], edge{from: n, path: p})
				if !visited[m] {
					visited[m] = true
					a.path[m] = full
					queue = append(queue, m)
				}
			case types.Dict:
				for _, k := range sortedKeys(x) {
					// /Parent and /P point back up the trees; walking them adds nothing but cycles.
					visit(x[k], p+"/"+k, depth+1)
				}
			case types.Array:
				for i, e := range x {
					visit(e, p+"["+strconv.Itoa(i)+"]", depth+1)
				}
			}
		}
		visit(o, "", 0)
		if tooDeep {
			a.forbid("%s is nested more than %d levels deep", a.where(n), maxValueDepth)
		}
	}
	for n := range visited {
		a.status[n] = stSame
	}
	return true
}

func sortedKeys(d types.Dict) []string {
	ks := make([]string, 0, len(d))
	for k := range d {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// classify compares each reachable object with the signed revision's.
func (a *analysis) classify() {
	for n := range a.status {
		oe, ce := a.old.entry(n), a.cur.entry(n)
		switch {
		case ce == nil && oe != nil:
			a.status[n] = stDeleted
		case ce == nil:
			a.status[n] = stSame // a dangling reference in both: null in both
		case oe == nil || genOf(oe) != genOf(ce):
			a.status[n] = stNew
		case isXRefOrObjStm(a.old.obj(n)):
			a.status[n] = stNew // an old cross-reference or object stream container reused
		case equal(a.old, a.cur, a.old.obj(n), a.cur.obj(n), 0):
			a.status[n] = stSame
		default:
			a.status[n] = stChanged
		}
	}
}

func isXRefOrObjStm(o types.Object) bool {
	sd, ok := o.(types.StreamDict)
	if !ok {
		return false
	}
	t, _ := sd.Dict["Type"].(types.Name)
	return t == "XRef" || t == "ObjStm"
}
