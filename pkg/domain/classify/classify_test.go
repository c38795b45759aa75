package classify_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/classify"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/testkit/pile"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"TỜ KHAI ĐĂNG KÝ KHAI SINH": "to khai dang ky khai sinh",
		"Tờ khai đăng ký khai sinh": "to khai dang ky khai sinh",
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA": "cong hoa xa hoi chu nghia",
		"Ủy quyền, ỦY QUYỀN":        "uy quyen, uy quyen",
		// Decomposed input (a combining acute after the letter).
		"Me\u0301u": "meu",
		"":          "",
	} {
		if got := classify.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	if got := classify.Words("Mẫu số: CT01 — ban hành (kèm theo)"); !slices.Equal(got, []string{"mau", "so", "ct01", "ban", "hanh", "kem", "theo"}) {
		t.Errorf("Words = %q", got)
	}
}

func TestPageNumber(t *testing.T) {
	tests := []struct {
		text string
		k, n int
		ok   bool
	}{
		{"Trang 2/3", 2, 3, true},
		{"trang 1 / 2", 1, 2, true},
		{"TRANG 3|3", 3, 3, true},
		{"Trang 2l3", 2, 3, true}, // the slash read as l
		{"Trange2/2", 2, 2, true}, // the space read as a letter
		{"trang2/2", 2, 2, true},
		{"Tranq 1/2", 1, 2, true},
		{"Trang 22", 2, 2, true}, // the slash lost
		{"Trang 222", 0, 0, false},
		{"Trang 2/12", 2, 12, true},
		{"Tháng 2/3", 0, 0, false},     // a month, one letter from "trang"
		{"trang 08/2025", 0, 0, false}, // not a page number
		{"đứng 2/3", 0, 0, false},
		{"Trang 4/3", 0, 0, false},
		{"Trang 0/3", 0, 0, false},
		{"Trang 1/2 ... Trang 2/2", 2, 2, true}, // the foot wins
		{"trang phục", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		k, n, ok := classify.PageNumber(tt.text)
		if k != tt.k || n != tt.n || ok != tt.ok {
			t.Errorf("PageNumber(%q) = %d, %d, %v", tt.text, k, n, ok)
		}
	}
}

func TestCardSized(t *testing.T) {
	for _, tt := range []struct {
		w, h float64
		want bool
	}{
		{85.6, 54, true}, {54, 85.6, true}, {88, 57, true},
		{190, 260, false}, {85.6, 85.6, false}, {40, 25, false}, {0, 0, false}, {-85, -54, false},
	} {
		if got := classify.CardSized(tt.w, tt.h); got != tt.want {
			t.Errorf("CardSized(%v, %v) = %v", tt.w, tt.h, got)
		}
	}
	for _, tt := range []struct {
		w, h float64
		want bool
	}{
		{86, 118, true}, {118, 86, true}, {86, 54, false}, {190, 260, false}, {86, 200, false},
	} {
		if got := classify.CardPairSized(tt.w, tt.h); got != tt.want {
			t.Errorf("CardPairSized(%v, %v) = %v", tt.w, tt.h, got)
		}
	}
}

// Piles scanned with a separator sheet before every component split exactly
// as the sheets say; with sheets before some components
// only, the sheets are used where they are and the rest is classified.
func TestSeparatorsWin(t *testing.T) {
	for _, share := range []float64{1, 0.5} {
		var o outcome
		for _, p := range procedure.Default().All() {
			c := classify.New(p, 0)
			for i := range 25 {
				seed := uint64(1000 + i)
				pl, err := pile.Generate(p, seed, pile.RandomOptions(rand.New(rand.NewPCG(seed, 2))))
				if err != nil {
					t.Fatal(err)
				}
				pl = pl.WithSeparators(share, seed)
				r := c.Classify(pl.Features(seed, pile.Reading{ErrorRate: 0.03, LostLine: 0.02, PoorPage: 0.03}))
				o.addSeparated(t, pl, r)
			}
		}
		t.Logf("separators on %.0f %% of components: %v", 100*share, o)
		if o.silent != 0 || o.right*100 < 99*o.pages || o.exact*100 < 98*o.dossiers {
			t.Errorf("separators on %.0f %%: %v", 100*share, o)
		}
		// With every sheet present the split is the sheets' own: a page
		// may be asked (it reads as another component), never moved.
		if share == 1 && (o.right != o.pages || o.exact != o.dossiers || o.asked*20 > o.pages) {
			t.Errorf("every separator: %v, want every page right, every boundary exact, under 5 %% asked", o)
		}
	}
}

// addSeparated is add for a pile with separator sheets: the documents
// expected are the pages between a sheet and the next (one per sheet, its
// copies included, as the split by sheets makes them), and each document
// without a sheet of its own.
func (o *outcome) addSeparated(t *testing.T, pl pile.Pile, r *classify.Result) {
	t.Helper()
	var want [][]int
	sheet, sheetDoc, lastDoc := "", -1, -1
	for i, s := range pl.Sheets {
		a := r.Pages[i]
		switch {
		case s.Separator != "":
			sheet, sheetDoc = s.Separator, -1
			if a.Document != -1 || !slices.Contains(r.Separators, i+1) {
				t.Errorf("separator page %d: %+v", i+1, a)
			}
			continue
		case s.Blank:
			continue
		}
		o.page(t, pl, s, a)
		if s.Component != sheet {
			sheet = ""
		}
		switch {
		case sheet != "" && sheetDoc >= 0:
			want[sheetDoc] = append(want[sheetDoc], i+1)
		case sheet != "":
			want = append(want, []int{i + 1})
			sheetDoc = len(want) - 1
		case s.Doc == lastDoc:
			want[len(want)-1] = append(want[len(want)-1], i+1)
		default:
			want = append(want, []int{i + 1})
		}
		lastDoc = s.Doc
	}
	o.documents(t, pl, r, want)
}

// Paper of another procedure is not forced into this one's components: every
// page is asked.
func TestForeignPaperIsAsked(t *testing.T) {
	birth, _ := procedure.Default().Get("1.001193")
	licence, _ := procedure.Default().Get("1.002804")
	c := classify.New(birth, 0)
	for i := range 10 {
		pl, err := pile.Generate(licence, uint64(i), pile.Options{AllOptional: true})
		if err != nil {
			t.Fatal(err)
		}
		r := c.Classify(pl.Features(uint64(i), pile.Reading{ErrorRate: 0.02}))
		for _, a := range r.Pages {
			if !a.Ask {
				t.Errorf("pile %d: page %d of a licence dossier assigned to %s without asking (%.2f, %s)", i, a.Page, a.Component, a.Confidence, a.Why)
			}
		}
	}
}

func TestEdgeCases(t *testing.T) {
	birth, _ := procedure.Default().Get("1.001193")
	c := classify.New(birth, 0)
	if r := c.Classify(nil); len(r.Pages) != 0 || len(r.Documents) != 0 {
		t.Errorf("empty pile: %+v", r)
	}
	// Blank pages only; a separator of a component the procedure lacks; a
	// page of nothing; hostile text.
	r := c.Classify([]classify.Page{
		{Number: 1, Blank: true},
		{Number: 2, Separator: "XYZ"},
		{Number: 3, Text: "lorem ipsum"},
		{Number: 4},
		{Number: 5, Text: string(make([]byte, 1<<20)), Top: "\n\n\n"},
	})
	if !slices.Equal(r.Blank, []int{1}) || !slices.Equal(r.Separators, []int{2}) {
		t.Errorf("blank %v, separators %v", r.Blank, r.Separators)
	}
	for _, a := range r.Pages[2:] {
		if a.Component != "XYZ" || a.Why != classify.WhySeparator {
			t.Errorf("page %d after the sheet: %+v", a.Page, a)
		}
	}
	r = classify.New(birth, 0).Classify([]classify.Page{{Number: 1, Text: "lorem ipsum"}, {Number: 2}})
	for _, a := range r.Pages {
		if !a.Ask || a.Component != "" {
			t.Errorf("unreadable page %d not asked: %+v", a.Page, a)
		}
	}
	if got := r.Asked(); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("Asked() = %v", got)
	}
}

// BenchmarkClassify20Pages classifies a 20-page pile without separator
// sheets from its features (the OCR of the pages excluded).
func BenchmarkClassify20Pages(b *testing.B) {
	p, _ := procedure.Default().Get("1.001193")
	var pages []classify.Page
	for seed := uint64(0); len(pages) < 20; seed++ {
		pl, err := pile.Generate(p, seed, pile.Options{AllOptional: true, ExtraCopy: true})
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range pl.Features(seed, pile.Reading{ErrorRate: 0.03, LostLine: 0.02}) {
			f.Number = len(pages) + 1
			pages = append(pages, f)
		}
	}
	pages = pages[:20]
	c := classify.New(p, 0)
	for b.Loop() {
		c.Classify(pages)
	}
}
