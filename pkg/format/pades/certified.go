package pades

import (
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/pkg/errs"
)

// maxFieldWalk bounds the form fields looked at when searching for
// signatures: a hostile form cannot make the walk long.
const maxFieldWalk = 5000

// checkCertification refuses a document whose certification signature
// (ISO 32000-1 §12.8.2.2, the catalog's /Perms /DocMDP) allows no change at
// all (/P 1): any new signature would invalidate it. P=2 (form filling and
// signing) and P=3 (also annotations) allow our approval signature.
func (d *document) checkCertification() error {
	cat, err := d.catalog()
	if err != nil {
		return err
	}
	perms, err := d.x.DereferenceDict(cat["Perms"])
	if err != nil || perms == nil {
		return nil
	}
	sig, err := d.x.DereferenceDict(perms["DocMDP"])
	if err != nil || sig == nil {
		return nil
	}
	refs, err := d.x.DereferenceArray(sig["Reference"])
	if err != nil {
		return nil
	}
	for _, r := range refs {
		ref, err := d.x.DereferenceDict(r)
		if err != nil || ref == nil {
			continue
		}
		if m, _ := ref["TransformMethod"].(types.Name); m != "DocMDP" {
			continue
		}
		p := 2 // ISO 32000-1 Table 254: the default
		if params, err := d.x.DereferenceDict(ref["TransformParams"]); err == nil && params != nil {
			if v, err := d.x.DereferenceInteger(params["P"]); err == nil && v != nil {
				p = v.Value()
			}
		}
		if p == 1 {
			return errs.E(errs.Unprocessable, "the PDF is certified with a signature that forbids any change (DocMDP P=1), so it cannot be signed again; sign the document before it is certified, or have it certified with P=2")
		}
	}
	return nil
}

// hasSignatures reports whether a form field of the document is a signature
// field with a value.
func (d *document) hasSignatures() bool {
	cat, err := d.catalog()
	if err != nil {
		return false
	}
	af, err := d.x.DereferenceDict(cat["AcroForm"])
	if err != nil || af == nil {
		return false
	}
	fields, err := d.x.DereferenceArray(af["Fields"])
	if err != nil {
		return false
	}
	seen, n := map[int]bool{}, 0
	var walk func(fs types.Array, ft types.Name, depth int) bool
	walk = func(fs types.Array, ft types.Name, depth int) bool {
		if depth > 16 {
			return false
		}
		for _, f := range fs {
			if n++; n > maxFieldWalk {
				return false
			}
			if r, ok := f.(types.IndirectRef); ok {
				if seen[r.ObjectNumber.Value()] {
					continue
				}
				seen[r.ObjectNumber.Value()] = true
			}
			fd, err := d.x.DereferenceDict(f)
			if err != nil || fd == nil {
				continue
			}
			fft := ft // FT is inheritable (ISO 32000-1 Table 220)
			if v, ok := fd["FT"].(types.Name); ok {
				fft = v
			}
			if fft == "Sig" && fd["V"] != nil {
				return true
			}
			if kids, err := d.x.DereferenceArray(fd["Kids"]); err == nil && walk(kids, fft, depth+1) {
				return true
			}
		}
		return false
	}
	return walk(fields, "", 0)
}
