package pades

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// formPDF is a form with a filled text field and, unless p is 0, a
// certification signature field whose DocMDP transform has P=p. listed says
// whether the certification field is in the form (a /Perms entry pointing
// at a dictionary no field holds must grant nothing).
func formPDF(p int, listed bool) []byte { return formPDFLock(p, listed, "") }

// formPDFLock adds lock, a FieldMDP transform, to the certification's references.
func formPDFLock(p int, listed bool, lock string) []byte {
	fields, annots, perms := "[6 0 R 7 0 R]", "[6 0 R 7 0 R]", ""
	if !listed {
		fields, annots = "[6 0 R]", "[6 0 R]"
	}
	if p > 0 {
		perms = "/Perms<</DocMDP 8 0 R>>"
	}
	return rawPDF([]string{
		"<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields" + fields + "/DR<</Font<</F1 3 0 R>>>>>>" + perms + ">>",
		"<</Type/Pages/Count 1/Kids[4 0 R]>>",
		"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
		"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents 5 0 R/Annots" + annots + ">>",
		stream("BT /F1 18 Tf 72 760 Td (Giay xac nhan) Tj ET", ""),
		"<</Type/Annot/Subtype/Widget/FT/Tx/T(name)/V(An)/Rect[72 600 300 620]/P 4 0 R/AP<</N 9 0 R>>>>",
		"<</Type/Annot/Subtype/Widget/FT/Sig/T(cert)/V 8 0 R/Rect[0 0 0 0]/P 4 0 R>>",
		fmt.Sprintf("<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange[0 1 2 3]/Contents<00>/Reference[<</Type/SigRef/TransformMethod/DocMDP/TransformParams<</Type/TransformParams/P %d/V/1.2>>>>%s]>>", max(p, 1), lock),
		stream("BT /F1 12 Tf 2 5 Td (An) Tj ET", "/Type/XObject/Subtype/Form/BBox[0 0 228 20]"),
	}, "")
}

// TestPermissions: what may change after signing depends on the DocMDP
// permissions of the signed revision.
func TestPermissions(t *testing.T) {
	updates := map[string][]uobj{
		"form filled": {
			{num: 6, body: "<</Type/Annot/Subtype/Widget/FT/Tx/T(name)/V(Binh)/Rect[72 600 300 620]/P 4 0 R/AP<</N 20 0 R>>>>"},
			{num: 20, body: stream("BT /F1 12 Tf 2 5 Td (Binh) Tj ET", "/Type/XObject/Subtype/Form/BBox[0 0 228 20]")},
		},
		"annotation added": {
			{num: 20, body: "<</Type/Annot/Subtype/Text/Rect[10 10 30 30]/Contents(ghi chu)>>"},
			{num: 4, body: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents 5 0 R/Annots[6 0 R 7 0 R 20 0 R]>>"},
		},
		"content changed": {
			{num: 5, body: stream(fake, "")},
		},
		"field renamed": {
			{num: 6, body: "<</Type/Annot/Subtype/Widget/FT/Tx/T(other)/V(An)/Rect[72 600 300 620]/P 4 0 R/AP<</N 9 0 R>>>>"},
		},
		"invisible empty signature field added": {
			{num: 20, body: "<</Type/Annot/Subtype/Widget/FT/Sig/T(later)/Rect[0 0 0 0]/P 4 0 R>>"},
			{num: 1, body: "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[6 0 R 7 0 R 20 0 R]/DR<</Font<</F1 3 0 R>>>>>>/Perms<</DocMDP 8 0 R>>>>"},
			{num: 4, body: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents 5 0 R/Annots[6 0 R 7 0 R 20 0 R]>>"},
		},
		"visible empty signature field added": {
			{num: 20, body: "<</Type/Annot/Subtype/Widget/FT/Sig/T(later)/Rect[0 0 595 842]/P 4 0 R/AP<</N 9 0 R>>>>"},
			{num: 1, body: "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[6 0 R 7 0 R 20 0 R]/DR<</Font<</F1 3 0 R>>>>>>/Perms<</DocMDP 8 0 R>>>>"},
			{num: 4, body: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents 5 0 R/Annots[6 0 R 7 0 R 20 0 R]>>"},
		},
	}
	// allowed[update] lists the P values (0: no certification) that allow it.
	allowed := map[string][]int{
		"form filled":                           {2, 3},
		"annotation added":                      {3},
		"content changed":                       nil,
		"field renamed":                         nil,
		"invisible empty signature field added": {0, 2, 3},
		"visible empty signature field added":   nil,
	}
	for name, objs := range updates {
		for _, p := range []int{0, 1, 2, 3} {
			t.Run(fmt.Sprintf("%s, P=%d", name, p), func(t *testing.T) {
				base := formPDF(p, true)
				objs := append([]uobj{}, objs...)
				for i := range objs {
					if p == 0 {
						objs[i].body = strings.Replace(objs[i].body, "/Perms<</DocMDP 8 0 R>>", "", 1)
					}
				}
				got := changesBetween(t, base, appendUpdate(t, base, "1 0 R", false, objs...))
				want := false
				for _, a := range allowed[name] {
					want = want || a == p
				}
				if (len(got) == 0) != want {
					t.Errorf("changes %q, want allowed = %v", got, want)
				}
			})
		}
	}
	t.Run("certification no field holds grants nothing", func(t *testing.T) {
		base := formPDF(3, false)
		got := changesBetween(t, base, appendUpdate(t, base, "1 0 R", false,
			uobj{num: 20, body: "<</Type/Annot/Subtype/Text/Rect[10 10 30 30]>>"},
			uobj{num: 4, body: "<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 3 0 R>>>>/Contents 5 0 R/Annots[6 0 R 20 0 R]>>"}))
		if len(got) == 0 || !strings.Contains(got[0], "/Text") {
			t.Errorf("changes %q", got)
		}
	})
}

func changesBetween(t *testing.T, old, cur []byte) []string {
	t.Helper()
	ox, err := parse(context.Background(), old)
	if err != nil {
		t.Fatal(err)
	}
	cx, err := parse(context.Background(), cur)
	if err != nil {
		t.Fatal(err)
	}
	return modifications(&graph{x: ox, raw: old}, &graph{x: cx, raw: cur})
}

func TestFieldLocks(t *testing.T) {
	fill := []uobj{{num: 6, body: "<</Type/Annot/Subtype/Widget/FT/Tx/T(name)/V(Binh)/Rect[72 600 300 620]/P 4 0 R/AP<</N 9 0 R>>>>"}}
	for _, tt := range []struct {
		lock string
		ok   bool
	}{
		{"", true},
		{"<</TransformMethod/FieldMDP/TransformParams<</Action/All>>>>", false},
		{"<</TransformMethod/FieldMDP/TransformParams<</Action/Include/Fields[(name)]>>>>", false},
		{"<</TransformMethod/FieldMDP/TransformParams<</Action/Include/Fields[(other)]>>>>", true},
		{"<</TransformMethod/FieldMDP/TransformParams<</Action/Exclude/Fields[(name)]>>>>", true},
		{"<</TransformMethod/FieldMDP/TransformParams<</Action/Exclude/Fields[(other)]>>>>", false},
	} {
		base := formPDFLock(2, true, tt.lock)
		got := changesBetween(t, base, appendUpdate(t, base, "1 0 R", false, fill...))
		if (len(got) == 0) != tt.ok || !tt.ok && !strings.Contains(got[0], "FieldMDP") {
			t.Errorf("lock %q: changes %q, want allowed %v", tt.lock, got, tt.ok)
		}
	}
}
