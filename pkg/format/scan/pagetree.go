package scan

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// inheritable are the page attributes a page takes from its ancestors in the
// page tree (ISO 32000-1 §7.7.3.4).
var inheritable = []string{"Resources", "MediaBox", "CropBox", "Rotate"}

// errPageTree is a page tree that has no page to offer: the root is missing,
// or /Count promises pages that are not there.
var errPageTree = errors.New("damaged page tree")

// flattenPageTree walks the page tree from the catalog as qpdf and poppler do
// — by its /Kids, not by its /Count, skipping nodes already visited (a loop)
// — and replaces it with one /Pages node whose kids are the pages found, in
// order, each carrying the attributes it inherited. pdfcpu then sees a tree
// it can index, and a /Count that lies (213,804,087 pages in 340 bytes), is
// missing, or a tree that loops no longer decides how many pages the scan
// has. It returns the number of pages; at most maxPages+1 are collected.
func flattenPageTree(xt *model.XRefTable, maxPages int) (int, error) {
	root, err := xt.Catalog()
	if err != nil || root == nil {
		return 0, fmt.Errorf("%w: catalog: %v", errPageTree, err)
	}
	rootObj, ok := root.Find("Pages")
	if !ok || rootObj == nil {
		return 0, fmt.Errorf("%w: catalog without /Pages", errPageTree)
	}
	var count *int
	if d, err := xt.DereferenceDict(rootObj); err == nil && d != nil {
		count = d.IntEntry("Count")
	}
	if count != nil && *count == 0 {
		// A tree that says it has no page has none for qpdf and poppler too,
		// whatever its kids.
		return 0, nil
	}
	type node struct {
		obj   types.Object
		attrs types.Dict // inherited attributes so far
	}
	var (
		leaves  []types.IndirectRef
		loops   bool
		visited = map[int]bool{}
		stack   = []node{{obj: rootObj, attrs: types.Dict{}}}
		// Each node is visited once; a tree holds at most a few interior
		// nodes per page, so this bounds the walk on a hostile file.
		budget = 4*maxPages + 1024
	)
	for len(stack) > 0 && len(leaves) <= maxPages {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if budget--; budget < 0 {
			return 0, fmt.Errorf("%w: more than %d nodes", errPageTree, 4*maxPages+1024)
		}
		ref, isRef := n.obj.(types.IndirectRef)
		if !isRef {
			continue // a page must be an indirect object to be referenced
		}
		d, err := xt.DereferenceDict(ref)
		if err != nil || d == nil {
			continue // a dangling kid: readers skip it
		}
		if visited[ref.ObjectNumber.Value()] {
			if isLeaf(d) {
				// A page listed twice is shown twice by qpdf and poppler
				// (qpdf copies it): a copy of it becomes its own page.
				cp := types.Dict{}
				for k, v := range d {
					cp[k] = v
				}
				nr, err := xt.InsertObject(cp)
				if err != nil {
					continue
				}
				ref, d = *types.NewIndirectRef(nr, 0), cp
			} else {
				loops = true
				continue
			}
		}
		visited[ref.ObjectNumber.Value()] = true
		kidsObj, hasKids := d.Find("Kids")
		typ := d.NameEntry("Type")
		isPage := (typ != nil && *typ == "Page") ||
			(typ == nil && !hasKids && hasAny(d, "Contents", "Resources", "MediaBox"))
		if !isPage && !hasKids {
			continue // neither a page nor a node: an outline, an array of nulls, a stray object
		}
		if isPage {
			for _, k := range inheritable {
				if _, own := d.Find(k); !own {
					if v, ok := n.attrs[k]; ok {
						d[k] = v
					}
				}
			}
			leaves = append(leaves, ref)
			continue
		}
		attrs := types.Dict{}
		for k, v := range n.attrs {
			attrs[k] = v
		}
		for _, k := range inheritable {
			if v, ok := d.Find(k); ok && v != nil {
				attrs[k] = v
			}
		}
		kids, err := xt.DereferenceArray(kidsObj)
		if err != nil {
			continue
		}
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, node{obj: kids[i], attrs: attrs})
		}
	}
	if len(leaves) > maxPages {
		return len(leaves), nil // the caller refuses it; the tree is not rewritten
	}
	if len(leaves) == 0 && (loops || count == nil || *count > 0) {
		// The tree promises pages it does not lead to: recover the page
		// objects themselves, in object order, as readers that reconstruct a
		// damaged file do.
		leaves = pageObjects(xt, maxPages)
		if len(leaves) == 0 {
			return 0, fmt.Errorf("%w: no page reachable (loop %v, /Count %v)", errPageTree, loops, count)
		}
	}
	if len(leaves) == 0 {
		return 0, nil
	}
	kids := make(types.Array, len(leaves))
	for i, r := range leaves {
		kids[i] = r
	}
	// The new root reuses the old root's object when it is a /Pages node (a
	// free object number may still be referenced by a damaged file).
	pages := types.Dict{}
	var pagesRef types.IndirectRef
	if ref, ok := rootObj.(types.IndirectRef); ok {
		if d, err := xt.DereferenceDict(ref); err == nil && d != nil && d.NameEntry("Type") != nil && *d.NameEntry("Type") == "Pages" {
			pages, pagesRef = d, ref
		}
	}
	if pages.Len() == 0 {
		nr, err := xt.InsertObject(pages)
		if err != nil {
			return 0, fmt.Errorf("%w: %v", errPageTree, err)
		}
		pagesRef = *types.NewIndirectRef(nr, 0)
	}
	for _, k := range append(inheritable, "Parent", "Kids", "Count") {
		delete(pages, k)
	}
	pages["Type"] = types.Name("Pages")
	pages["Kids"] = kids
	pages["Count"] = types.Integer(len(leaves))
	for _, r := range leaves {
		d, _ := xt.DereferenceDict(r)
		d["Parent"] = pagesRef
		d["Type"] = types.Name("Page")
		if _, ok := d.Find("MediaBox"); !ok {
			// Readers default to US Letter; so do we (ISO 32000 makes it required).
			d["MediaBox"] = types.NewNumberArray(0, 0, 612, 792)
		}
	}
	root["Pages"] = pagesRef
	xt.PageCount = len(leaves)
	return len(leaves), nil
}

// declaresEncryption reports whether a PDF names an /Encrypt dictionary
// anywhere (a trailer, an xref stream, an incremental update), whether or not
// the rest of the file can be read: an encrypted file is encrypted first.
func declaresEncryption(data []byte) bool {
	const key = "/Encrypt"
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte(key))
		if j < 0 {
			return false
		}
		i += j + len(key)
		if i >= len(data) {
			return false
		}
		// "/Encrypt 12 0 R" or "/Encrypt<<…": not a longer name such as /EncryptMetadata.
		switch c := data[i]; {
		case c == ' ' || c == '\r' || c == '\n' || c == '\t' || c == '\f' || c == 0:
			return true
		case c == '<' || (c >= '0' && c <= '9'):
			return true
		}
	}
}

// isLeaf reports whether a page-tree node is a page (it cannot loop).
func isLeaf(d types.Dict) bool {
	_, hasKids := d.Find("Kids")
	if t := d.NameEntry("Type"); t != nil {
		return *t == "Page" && !hasKids
	}
	return !hasKids && hasAny(d, "Contents", "Resources", "MediaBox")
}

func hasAny(d types.Dict, keys ...string) bool {
	for _, k := range keys {
		if _, ok := d.Find(k); ok {
			return true
		}
	}
	return false
}

// pageObjects returns the objects typed /Page, in object-number order, at
// most maxPages+1 of them.
func pageObjects(xt *model.XRefTable, maxPages int) []types.IndirectRef {
	var nrs []int
	for nr, e := range xt.Table {
		if e == nil || e.Free || e.Object == nil {
			continue
		}
		if d, ok := e.Object.(types.Dict); ok {
			if t := d.NameEntry("Type"); t != nil && *t == "Page" {
				nrs = append(nrs, nr)
			}
		}
	}
	slices.Sort(nrs)
	var out []types.IndirectRef
	for _, nr := range nrs[:min(len(nrs), maxPages+1)] {
		out = append(out, *types.NewIndirectRef(nr, *xt.Table[nr].Generation))
	}
	return out
}
