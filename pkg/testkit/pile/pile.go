// Package pile generates the paper of whole dossiers as a counter receives
// them, for the tests of page classification without separator sheets:
// forms that follow the official templates of every component of the
// catalog's procedures (national header, form number and instrument, title,
// dotted fields, "Trang x/y"), card fronts and backs, stacked as a clerk
// stacks them (a card's two sides adjacent, an extra copy of a form, a page
// upside down, the blank backs of a duplex scan), with the truth of which
// page belongs to which document. It gives either the features a reading of
// the pages would give (text with OCR's errors, a card's ink box, a zone
// read) or the page images themselves (Render).
//
// It is a test kit: importable by tests only.
package pile

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/classify"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
)

// Sheet is one page of the pile and its truth.
type Sheet struct {
	// Component is the code of the document the page belongs to; "" for a
	// blank back.
	Component string
	// Doc is the index of its document in the pile (-1 for a blank back).
	Doc int
	// Page is its 1-based page within the document, of Pages.
	Page, Pages int
	// Lines are what is printed, top to bottom.
	Lines []string
	// Card says the page is a card laid on the glass, Back its back; Pair
	// a photocopy of both sides on one sheet.
	Card, Back, Pair bool
	// MRZ says a machine-readable zone is printed on it.
	MRZ bool
	// UpsideDown says the sheet was fed turned by 180°.
	UpsideDown bool
	// Blank says it is the blank back of a sheet scanned duplex.
	Blank bool
	// Separator is the component code of a separator sheet put before a
	// document (see WithSeparators).
	Separator string
	// form and person are kept for Render.
	person int
}

// Pile is a generated dossier as scanned.
type Pile struct {
	Procedure string
	Sheets    []Sheet
	// Docs are the components of the documents, in pile order.
	Docs []string
}

// Options say how the pile is stacked.
type Options struct {
	// Shuffle lets the documents come in any order (else the catalog's).
	Shuffle bool
	// ExtraCopy adds a second copy of one form, adjacent to the first.
	ExtraCopy bool
	// UpsideDown feeds one page turned by 180°.
	UpsideDown bool
	// Duplex scans both sides of every sheet: a blank back after each page.
	Duplex bool
	// AllOptional includes every optional component (else each by chance).
	AllOptional bool
	// CardCopies brings cards as photocopies of both sides on one sheet.
	CardCopies bool
}

// RandomOptions draws the stacking of a pile: realistic limits, each
// irregularity now and then.
func RandomOptions(rng *rand.Rand) Options {
	return Options{
		Shuffle: rng.IntN(2) == 0, ExtraCopy: rng.IntN(4) == 0, UpsideDown: rng.IntN(5) == 0,
		Duplex: rng.IntN(4) == 0, AllOptional: rng.IntN(3) == 0, CardCopies: rng.IntN(4) == 0,
	}
}

// Generate stacks a dossier of the procedure: every required component and
// optional ones, a person's made-up data, deterministic for seed.
func Generate(p procedure.Procedure, seed uint64, opt Options) (Pile, error) {
	rng := rand.New(rand.NewPCG(seed, 0x9113))
	var codes []string
	for _, c := range p.Components {
		if c.Required || opt.AllOptional || rng.IntN(2) == 0 {
			codes = append(codes, c.Code)
		}
	}
	if opt.Shuffle {
		rng.Shuffle(len(codes), func(i, j int) { codes[i], codes[j] = codes[j], codes[i] })
	}
	who := int(seed % 100000)
	pl := Pile{Procedure: p.Code}
	copied := false
	for _, code := range codes {
		n := 1
		if _, isForm := forms(code, newPerson(who)); isForm && opt.ExtraCopy && !copied && rng.IntN(2) == 0 {
			n, copied = 2, true
		}
		for range n {
			if err := pl.add(code, who, opt.CardCopies, rng); err != nil {
				return Pile{}, err
			}
		}
	}
	if opt.UpsideDown && len(pl.Sheets) > 0 {
		pl.Sheets[rng.IntN(len(pl.Sheets))].UpsideDown = true
	}
	if opt.Duplex {
		var out []Sheet
		for _, s := range pl.Sheets {
			out = append(out, s, Sheet{Doc: -1, Blank: true})
		}
		pl.Sheets = out
	}
	return pl, nil
}

func (pl *Pile) add(code string, who int, copies bool, rng *rand.Rand) error {
	doc := len(pl.Docs)
	pl.Docs = append(pl.Docs, code)
	p := newPerson(who)
	if f, ok := forms(code, p); ok {
		for i, body := range f.pages {
			var lines []string
			if i == 0 {
				if f.caption != "" {
					lines = append(lines, f.caption)
				}
				if f.header {
					lines = append(lines, nationalHeader...)
				}
				lines = append(lines, wrapTitle(f.title)...)
			}
			lines = append(lines, body...)
			if f.numbered {
				lines = append(lines, fmt.Sprintf("Trang %d/%d", i+1, len(f.pages)))
			}
			pl.Sheets = append(pl.Sheets, Sheet{Component: code, Doc: doc, Page: i + 1, Pages: len(f.pages), Lines: lines, person: who})
		}
		return nil
	}
	front, back, ok := cards(code, p)
	if !ok {
		return fmt.Errorf("pile: no template for component %s", code)
	}
	if copies {
		pl.Sheets = append(pl.Sheets, Sheet{Component: code, Doc: doc, Page: 1, Pages: 1, Lines: append(slices.Clone(front.lines), back.lines...),
			Card: true, Pair: true, MRZ: back.mrz, person: who})
		return nil
	}
	sides := []Sheet{
		{Component: code, Doc: doc, Page: 1, Pages: 2, Lines: front.lines, Card: true, person: who},
		{Component: code, Doc: doc, Page: 2, Pages: 2, Lines: back.lines, Card: true, Back: true, MRZ: back.mrz, person: who},
	}
	if rng.IntN(3) == 0 { // the card turned over first
		sides[0], sides[1] = sides[1], sides[0]
	}
	pl.Sheets = append(pl.Sheets, sides...)
	return nil
}

// nationalHeader opens the first page of every form a citizen files.
var nationalHeader = []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"}

// wrapTitle breaks a long title over two lines, as printed.
func wrapTitle(t string) []string {
	if len([]rune(t)) <= 48 {
		return []string{t}
	}
	if i := strings.Index(t, ", "); i > 0 {
		return []string{t[:i+1], t[i+2:]}
	}
	w := strings.Fields(t)
	return []string{strings.Join(w[:len(w)/2], " "), strings.Join(w[len(w)/2:], " ")}
}

// WithSeparators returns the pile with a separator sheet before each
// document whose component differs from the previous document's (a clerk
// puts one sheet before a component, its copies included), each with the
// chance share (1 for every one).
func (pl Pile) WithSeparators(share float64, seed uint64) Pile {
	rng := rand.New(rand.NewPCG(seed, 0x5e9))
	out := pl
	out.Sheets = nil
	prev := -1
	for _, s := range pl.Sheets {
		if s.Doc >= 0 && s.Doc != prev {
			if (prev < 0 || pl.Docs[prev] != s.Component) && rng.Float64() < share {
				out.Sheets = append(out.Sheets, Sheet{Doc: -1, Separator: s.Component})
			}
			prev = s.Doc
		}
		out.Sheets = append(out.Sheets, s)
	}
	return out
}

// Reading says how well the pages are read.
type Reading struct {
	// ErrorRate is the fraction of characters OCR gets wrong (substituted,
	// dropped, doubled, or their diacritics lost).
	ErrorRate float64
	// LostLine is the chance that a line is not read at all.
	LostLine float64
	// PoorPage is the chance that a page is read badly (a fold, a stain, a
	// faint copy): five times the errors and lines.
	PoorPage float64
	// TopLines, when not 0, reads only the top of each page: its first
	// TopLines lines go to Page.Top and Page.Text stays empty (the quick
	// first pass over a pile; the foot's "Trang x/y" is not read).
	TopLines int
}

// Features returns what reading the pile's pages gives: the text with
// OCR's errors, a card's ink box, the zone read; blank backs blank.
func (pl Pile) Features(seed uint64, rd Reading) []classify.Page {
	rng := rand.New(rand.NewPCG(seed, 0xfea7))
	out := make([]classify.Page, len(pl.Sheets))
	for i, s := range pl.Sheets {
		p := classify.Page{Number: i + 1, Blank: s.Blank, Separator: s.Separator}
		if s.Blank || s.Separator != "" {
			out[i] = p
			continue
		}
		rate, lost := rd.ErrorRate, rd.LostLine
		if rng.Float64() < rd.PoorPage {
			rate, lost = min(0.5, 5*rate), min(0.5, 5*lost)
		}
		var b strings.Builder
		for _, l := range s.Lines {
			if rng.Float64() < lost {
				continue
			}
			b.WriteString(Misread(l, rate, rng))
			b.WriteByte('\n')
		}
		p.Text = b.String()
		if rd.TopLines > 0 {
			lines := strings.SplitAfter(p.Text, "\n")
			p.Top, p.Text = strings.Join(lines[:min(rd.TopLines, len(lines))], ""), ""
		}
		p.InkW, p.InkH = 190, 260 // a printed A4 page's text block
		if s.Card {
			// The card's outline, give or take the scanner's shadow.
			p.InkW, p.InkH = 85.6+rng.Float64()*3, 54+rng.Float64()*3
			if s.Pair { // one side above the other, a gap between
				p.InkH = 2*54 + 5 + rng.Float64()*20
			}
			p.MRZ = s.MRZ && rng.Float64() > rate*4 // a poor reading may miss the zone
		}
		out[i] = p
	}
	return out
}

// confusions are characters OCR reads as others.
var confusions = map[rune][]rune{
	'l': {'1', 'I'}, 'I': {'l', '1'}, 'O': {'0', 'Q'}, 'o': {'0', 'c'}, '0': {'O'}, '1': {'l'},
	'h': {'b'}, 'n': {'m', 'r'}, 'm': {'n'}, 'e': {'c'}, 'c': {'e'}, 'u': {'v'}, 'i': {'j', 'l'},
	'Ư': {'U'}, 'ư': {'u'}, 'Ơ': {'O'}, 'ơ': {'o'}, 'Đ': {'D'}, 'đ': {'d'}, 'Ă': {'A'}, 'Â': {'A'},
	'ế': {'é', 'e'}, 'ệ': {'e'}, 'ộ': {'ô', 'o'}, 'ả': {'a'}, 'ấ': {'â', 'a'}, 'ờ': {'ò', 'o'},
}

// Misread returns line as OCR might read it at the given character error rate.
func Misread(line string, rate float64, rng *rand.Rand) string {
	if rate <= 0 {
		return line
	}
	var b strings.Builder
	for _, r := range line {
		if rng.Float64() >= rate {
			b.WriteRune(r)
			continue
		}
		switch k := rng.IntN(10); {
		case k < 6:
			if alt := confusions[r]; len(alt) > 0 {
				b.WriteRune(alt[rng.IntN(len(alt))])
			} else if f := []rune(classify.Fold(string(r))); len(f) == 1 && f[0] != r {
				b.WriteRune(f[0]) // its diacritics lost
			} else {
				b.WriteRune(rune("abcdeghiklmnopqrstuvxy"[rng.IntN(22)]))
			}
		case k < 8: // dropped
		default: // doubled
			b.WriteRune(r)
			b.WriteRune(r)
		}
	}
	return b.String()
}
