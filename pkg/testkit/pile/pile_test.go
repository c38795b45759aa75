package pile

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/classify"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
)

// Every component of every catalog procedure has paper to generate, and a
// pile holds what its options say.
func TestEveryComponentHasPaper(t *testing.T) {
	for _, p := range procedure.Default().All() {
		for _, c := range p.Components {
			_, isForm := forms(c.Code, newPerson(1))
			_, _, isCard := cards(c.Code, newPerson(1))
			if isForm == isCard {
				t.Errorf("%s: form %v, card %v", c.Code, isForm, isCard)
			}
			if isCard != (c.Look.Card != "") {
				t.Errorf("%s: generated as a card %v, the catalog's look says card %q", c.Code, isCard, c.Look.Card)
			}
		}
		pl, err := Generate(p, 3, Options{AllOptional: true, Duplex: true, UpsideDown: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(pl.Docs) != len(p.Components) || len(pl.Sheets)%2 != 0 {
			t.Errorf("%s: %d documents, %d pages", p.Code, len(pl.Docs), len(pl.Sheets))
		}
		again, _ := Generate(p, 3, Options{AllOptional: true, Duplex: true, UpsideDown: true})
		if !reflect.DeepEqual(pl, again) {
			t.Errorf("%s: the same seed gave another pile", p.Code)
		}
		upside := 0
		for i, s := range pl.Sheets {
			if i%2 == 1 != s.Blank {
				t.Errorf("%s page %d: blank %v in a duplex pile", p.Code, i+1, s.Blank)
			}
			if s.UpsideDown {
				upside++
			}
		}
		if upside != 1 {
			t.Errorf("%s: %d pages upside down, want 1", p.Code, upside)
		}
		for i, f := range pl.Features(3, Reading{}) {
			s := pl.Sheets[i]
			if f.Blank != s.Blank || classify.CardSized(f.InkW, f.InkH) != s.Card || classify.CardPairSized(f.InkW, f.InkH) || f.MRZ != s.MRZ {
				t.Errorf("%s page %d: features %+v of %+v", p.Code, i+1, f, s)
			}
			if !s.Blank && f.Text != strings.Join(s.Lines, "\n")+"\n" {
				t.Errorf("%s page %d: a clean reading changed the text", p.Code, i+1)
			}
		}
	}
}

func TestCardCopies(t *testing.T) {
	p, _ := procedure.Default().Get("2.000488")
	pl, _ := Generate(p, 4, Options{CardCopies: true})
	n := 0
	for i, f := range pl.Features(4, Reading{}) {
		if s := pl.Sheets[i]; s.Component == "CCCD" {
			n++
			if !s.Pair || !classify.CardPairSized(f.InkW, f.InkH) || !f.MRZ {
				t.Errorf("page %d: %+v %+v", i+1, s, f)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d pages of the card, want 1", n)
	}
}

func TestWithSeparators(t *testing.T) {
	p, _ := procedure.Default().Get("1.001193")
	pl, _ := Generate(p, 9, Options{AllOptional: true, ExtraCopy: true})
	sep := pl.WithSeparators(1, 9)
	var codes []string
	for _, s := range sep.Sheets {
		if s.Separator != "" {
			codes = append(codes, s.Separator)
		}
	}
	// One sheet a component, copies included.
	if len(codes) != len(p.Components) || len(sep.Sheets) != len(pl.Sheets)+len(codes) {
		t.Errorf("sheets %v for documents %v", codes, pl.Docs)
	}
}
