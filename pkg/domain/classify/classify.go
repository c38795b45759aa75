// Package classify assigns the pages of a pile scanned without (or with only
// some) separator sheets to the components of a procedure's dossier, and
// finds where one document ends and the next begins, from what each page
// says and how it looks: the form's title, its form number and legal
// reference, phrases of its body, "Trang x/y" numbering, a card's size and
// its machine-readable zone. What a component looks like is data, from the
// procedure catalog (procedure.Look); this package holds no form.
//
// It works on features already extracted from the pages (OCR text, the ink's
// bounding box, whether a zone was read): it reads no image and calls no
// OCR, so it is fast and its decisions can be tested without Tesseract.
//
// Every assignment carries a confidence; below the threshold the page is
// marked for the clerk to confirm. A page is never silently guessed.
//
// # Scoring
//
// For each component the page's evidence is e = 1 − Π(1 − wₖ·sᵢ) over the
// look's cues i, where sᵢ ∈ [0, 1] is how well the cue reads on the page
// (below 0.6 it counts as absent; from 0.6 to 1 it rises linearly from 0 to
// 1) and wₖ is the weight of the cue's kind (titleWeight, ...): a title
// alone nearly decides, a legal reference shared by several forms does not.
// A title is compared with each of the first lines of the page and each
// pair of consecutive lines (titles wrap) by the longest common subsequence
// of their words, words equal up to one or two OCR errors (lineSimilarity);
// other cues are found anywhere in the text, up to edit distance
// (phraseSimilarity). Card cues count in full only on a card-sized page.
//
// The page's confidence for its best component is e₁ − e₂/2, e₂ the
// evidence of the runner-up: two components that both fit make the page
// uncertain. A page that continues a document (its "Trang k/n" follows the
// previous page's, a later-page cue of the current component, or a page
// after a separator sheet) takes the continuation's confidence instead.
package classify

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/procedure"
)

// Page is what is known of one page of the pile.
type Page struct {
	// Number is the page's 1-based number in the pile.
	Number int
	// Top is the OCR text of the top of the page (the title region), upright,
	// one printed line a line; "" when only the whole page was read.
	Top string
	// Text is the OCR text of the whole page, one printed line a line; ""
	// when only the top was read.
	Text string
	// InkW and InkH are the size in mm of the bounding box of the page's
	// ink, as displayed upright; 0 when not measured. A card laid on the
	// scanner's glass leaves a box of about 85.6 × 54 mm.
	InkW, InkH float64
	// MRZ says a machine-readable zone (ICAO TD1) was read on the page.
	MRZ bool
	// Blank says the page is an empty sheet (the back of a sheet scanned
	// duplex): it is dropped.
	Blank bool
	// Separator is the component code of a Sohoa separator sheet; "" for
	// any other page.
	Separator string
}

// Why says what an assignment rests on.
type Why string

// Reasons for an assignment.
const (
	WhyTitle        Why = "title"        // the page starts a document: its title, form number or phrases
	WhyCard         Why = "card"         // a side of a card
	WhyPageNumber   Why = "page-number"  // "Trang k/n" follows the previous page
	WhyLaterPage    Why = "later-page"   // a cue of a later page of the current component
	WhySeparator    Why = "separator"    // the pages after a separator sheet
	WhyContinuation Why = "continuation" // a page with nothing of its own, after a document
	WhyUnknown      Why = "unknown"      // nothing recognised
)

// Assignment is the decision on one page.
type Assignment struct {
	Page int
	// Component is the code the page is assigned to; "" when nothing fits
	// (then Ask is true).
	Component string
	// Document is the index in Result.Documents of the page's document;
	// -1 for a blank page or a separator sheet.
	Document int
	// Start says the page begins its document.
	Start bool
	// Confidence is in [0, 1].
	Confidence float64
	// Ask says the clerk must confirm the page (Confidence below the
	// threshold, or nothing fitted).
	Ask bool
	Why Why
	// Side is "front" or "back" for a side of a card, "both" for a
	// photocopy of both sides on one sheet.
	Side string
}

// Document is one document found in the pile: pages of one component, in
// pile order.
type Document struct {
	Component string
	Pages     []int
	// Confidence is the least of its pages'.
	Confidence float64
	// Ask says at least one of its pages must be confirmed.
	Ask bool
	// Separator says the document follows a separator sheet.
	Separator bool
}

// Result is the classification of a pile.
type Result struct {
	// Pages has one assignment per input page, in order.
	Pages     []Assignment
	Documents []Document
	// Blank and Separators are the numbers of the pages left out.
	Blank, Separators []int
}

// Asked returns the numbers of the pages the clerk must confirm.
func (r *Result) Asked() []int {
	var out []int
	for _, a := range r.Pages {
		if a.Ask {
			out = append(out, a.Page)
		}
	}
	return out
}

// DefaultThreshold is the confidence below which a page is asked of the
// clerk.
const DefaultThreshold = 0.6

// Weights of the kinds of cue (see the package comment).
const (
	titleWeight     = 0.97
	formWeight      = 0.9
	legalWeight     = 0.5
	phraseWeight    = 0.6
	laterPageWeight = 0.8
	cardSideWeight  = 0.9 // a side's text on a card-sized page
	offCardWeight   = 0.2 // the same text on a page that is not card-sized
	mrzWeight       = 0.99
	cardShapeWeight = 0.5 // a card-sized page, for every card component
	// cueFloor is the similarity under which a cue counts as absent.
	cueFloor = 0.6
	// titleLines is how many of the first lines of a page's text may hold
	// its title (the national header, a form caption and a wrapped title).
	titleLines = 14
	// shortCue is the length (flat, spaces included) up to which a phrase
	// cue counts only when read exactly.
	shortCue = 9
	// maxLines bounds the lines of a page read for titles.
	maxLines = 400
)

// Classifier classifies the piles of one procedure. Safe for concurrent use.
type Classifier struct {
	comps     []component
	threshold float64
}

type component struct {
	index int // in Classifier.comps
	code  string
	look  procedure.Look
	cues  []cue
	card  bool
	pages int
}

type cue struct {
	kind   procedure.CueKind
	words  []string // title: its folded words
	phrase string   // other kinds: its flat folded text
}

// New returns a classifier for the procedure's components, their looks
// from the catalog. threshold is the confidence under which a page is
// asked (DefaultThreshold when 0).
func New(p procedure.Procedure, threshold float64) *Classifier {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	c := &Classifier{threshold: threshold}
	for _, pc := range p.Components {
		comp := component{index: len(c.comps), code: pc.Code, look: pc.Look, card: pc.Look.Card != "", pages: pc.Look.Pages}
		for _, k := range pc.Look.Cues {
			cu := cue{kind: k.Kind}
			switch k.Kind {
			case procedure.CueTitle:
				cu.words = Words(k.Text)
			case procedure.CueForm:
				cu.phrase = flat(formCore(k.Text))
			default:
				cu.phrase = flat(k.Text)
			}
			comp.cues = append(comp.cues, cu)
		}
		c.comps = append(c.comps, comp)
	}
	return c
}

// formCore drops the "Mẫu số" that printed form numbers may or may not
// carry ("Mẫu số CT01", "Mẫu CT01"), leaving the number itself.
func formCore(s string) string {
	w := Words(s)
	for len(w) > 1 && (w[0] == "mau" || w[0] == "so") {
		w = w[1:]
	}
	return strings.Join(w, " ")
}

// header is the national header, printed at the top of the first page of
// every form filed by a citizen: its two lines, either of which marks it.
var header = [...]string{flat("Cộng hòa xã hội chủ nghĩa Việt Nam"), flat("Độc lập - Tự do - Hạnh phúc")}

// PageNumber returns k and n of a "Trang k/n" printed on the page (the
// last one: it is printed at the foot), and false when there is none that
// makes sense (1 ≤ k ≤ n ≤ 999). OCR errors are allowed: "Trang" one edit
// away ("Tranq", "lrang") or run into the number ("Trang2/2", "Trange2/2"),
// the slash read as l, i or |, or lost between two single digits
// ("Trang 22").
func PageNumber(text string) (k, n int, ok bool) {
	t := Fold(text)
	for _, re := range pageNumbers {
		m := re.FindAllStringSubmatch(t, -1)
		for i := len(m) - 1; i >= 0; i-- {
			w := m[i][1]
			if w == "thang" || (!sameWord("trang", w) && !(len(w) == 6 && sameWord("trang", w[:5]))) {
				// "tháng" (month) is one letter from "trang": a date, not a page.
				continue
			}
			k, _ = strconv.Atoi(m[i][2])
			n, _ = strconv.Atoi(m[i][3])
			if k >= 1 && k <= n {
				return k, n, true
			}
		}
	}
	return 0, 0, false
}

// pageNumbers find "Trang k/n" with the slash read, then with it lost.
var pageNumbers = []*regexp.Regexp{
	regexp.MustCompile(`([a-z]{3,6}) ?([0-9]{1,3}) *[/|li] *([0-9]{1,3})\b`),
	regexp.MustCompile(`([a-z]{3,6}) ?([0-9])([0-9])\b`),
}

// CardSized reports whether an ink box of w × h mm is an ID-1 card
// (85.6 × 54 mm, aspect 1.586) laid on the glass, either way round, with
// room for the scanner's blur and a shadow at its edge.
func CardSized(w, h float64) bool {
	if w < h {
		w, h = h, w
	}
	if h <= 0 {
		return false
	}
	a := w / h
	return w >= 75 && w <= 100 && h >= 46 && h <= 66 && a >= 1.4 && a <= 1.8
}

// CardPairSized reports whether an ink box of w × h mm is the two sides of
// an ID-1 card photocopied one above the other on one sheet (a common
// "bản photo hai mặt"), either way round.
func CardPairSized(w, h float64) bool {
	if w > h {
		w, h = h, w
	}
	return w >= 75 && w <= 100 && h >= 105 && h <= 150
}

// features are what the scoring needs of a page, computed once.
type features struct {
	lines    [][]string // the first lines' words, for titles
	text     string     // flat folded text of the whole page
	card     bool
	pair     bool // both sides of a card on the page
	mrz      bool
	header   bool
	k, n     int
	numbered bool
}

func extract(p Page) features {
	var f features
	top := p.Top
	if top == "" {
		top = p.Text
	}
	ls := strings.SplitN(top, "\n", maxLines+1)
	for _, l := range ls[:min(len(ls), maxLines)] {
		if w := Words(l); len(w) > 0 {
			f.lines = append(f.lines, w)
			if p.Top == "" && len(f.lines) == titleLines {
				break
			}
		}
	}
	all := p.Text
	if p.Top != "" {
		all = p.Top + "\n" + p.Text
	}
	f.text = flat(all)
	f.pair = CardPairSized(p.InkW, p.InkH)
	f.card = f.pair || CardSized(p.InkW, p.InkH)
	f.mrz = p.MRZ
	head := flat(strings.Join(strings.SplitN(top, "\n", titleLines+1)[:min(titleLines, strings.Count(top, "\n")+1)], "\n"))
	f.header = phraseSimilarity(header[0], head) >= 0.75 || phraseSimilarity(header[1], head) >= 0.75
	f.k, f.n, f.numbered = PageNumber(all)
	return f
}

// strength rescales a similarity: nothing under cueFloor, 1 at 1.
func strength(s float64) float64 {
	if s < cueFloor {
		return 0
	}
	return (s - cueFloor) / (1 - cueFloor)
}

// score is a component's evidence on a page.
type score struct {
	evidence float64 // all cues but later-page ones
	start    float64 // title, form and card-side cues: the page begins a document
	later    float64 // later-page cues
	front    float64 // card front cues
	back     float64 // card back cues and the zone
}

func titleSimilarity(words []string, lines [][]string) float64 {
	best := 0.0
	for i, l := range lines {
		best = max(best, lineSimilarity(words, l))
		if i+1 < len(lines) {
			pair := append(append([]string(nil), l...), lines[i+1]...)
			best = max(best, lineSimilarity(words, pair))
		}
	}
	return best
}

func (c *component) score(f features) score {
	var s score
	none, noneStart, noneLater, noneFront, noneBack := 1.0, 1.0, 1.0, 1.0, 1.0
	for _, cu := range c.cues {
		var sim, w float64
		switch cu.kind {
		case procedure.CueTitle:
			sim, w = titleSimilarity(cu.words, f.lines), titleWeight
		case procedure.CueMRZ:
			if f.mrz {
				sim, w = 1, mrzWeight
			}
		default:
			sim = phraseSimilarity(cu.phrase, f.text)
			switch cu.kind {
			case procedure.CueForm:
				w = formWeight
			case procedure.CueLegal:
				w = legalWeight
			case procedure.CuePhrase:
				w = phraseWeight
			case procedure.CueLaterPage:
				w = laterPageWeight
			case procedure.CueCardFront, procedure.CueCardBack:
				w = offCardWeight
				if f.card {
					w = cardSideWeight
				}
			}
		}
		if len(cu.phrase) > 0 && len(cu.phrase) <= shortCue && sim < 1 {
			sim = 0 // a short word one error away is another word
		}
		e := w * strength(sim)
		if e == 0 {
			continue
		}
		switch cu.kind {
		case procedure.CueLaterPage:
			noneLater *= 1 - e
			continue
		case procedure.CueTitle, procedure.CueForm:
			noneStart *= 1 - e
		case procedure.CueCardFront:
			noneStart *= 1 - e
			noneFront *= 1 - e
		case procedure.CueCardBack, procedure.CueMRZ:
			noneStart *= 1 - e
			noneBack *= 1 - e
		}
		none *= 1 - e
	}
	if c.card && f.card {
		none *= 1 - cardShapeWeight
	}
	s.evidence, s.start, s.later, s.front, s.back = 1-none, 1-noneStart, 1-noneLater, 1-noneFront, 1-noneBack
	return s
}

// open is the document being filled while the pile is read.
type open struct {
	doc   int
	comp  *component
	k, n  int  // its last page's "Trang k/n" (0 when unnumbered)
	sides byte // card sides seen: 1 front, 2 back
	pages int
	// conf is the confidence of its first page: no later page is surer
	// of the document than the page that began it.
	conf float64
}

// Classify assigns every page of the pile. Separator sheets win where
// present: the pages after one belong to its component until the next
// sheet, unless a page clearly begins a document of another component;
// classification fills the rest.
func (c *Classifier) Classify(pages []Page) *Result {
	r := &Result{Pages: make([]Assignment, 0, len(pages))}
	var cur *open
	sepComp := (*component)(nil)
	newDoc := func(a *Assignment, comp *component, separator bool) {
		r.Documents = append(r.Documents, Document{Separator: separator})
		a.Document = len(r.Documents) - 1
		a.Start = true
		cur = &open{doc: a.Document, comp: comp}
	}
	for _, p := range pages {
		a := Assignment{Page: p.Number, Document: -1}
		switch {
		case p.Separator != "":
			r.Separators = append(r.Separators, p.Number)
			sepComp = c.byCode(p.Separator)
			if sepComp == nil { // a sheet of a component this procedure lacks
				sepComp = &component{index: -1, code: p.Separator}
			}
			cur = nil
			r.Pages = append(r.Pages, a)
			continue
		case p.Blank:
			r.Blank = append(r.Blank, p.Number)
			r.Pages = append(r.Pages, a)
			continue
		}
		f := extract(p)
		best, second := -1, -1
		scores := make([]score, len(c.comps))
		for i := range c.comps {
			scores[i] = c.comps[i].score(f)
			switch {
			case best < 0 || scores[i].evidence > scores[best].evidence:
				best, second = i, best
			case second < 0 || scores[i].evidence > scores[second].evidence:
				second = i
			}
		}
		var bs score
		var bc *component
		conf := 0.0
		if best >= 0 {
			bs, bc = scores[best], &c.comps[best]
			conf = bs.evidence
			if second >= 0 {
				conf -= scores[second].evidence / 2
			}
			conf = max(0, conf)
		}
		strongStart := bc != nil && bs.start >= 0.5 && conf >= c.threshold
		// Continuations of the open document.
		var contConf float64
		var contWhy Why
		if cur != nil {
			switch {
			case f.numbered && f.k > 1 && cur.k > 0 && f.k == cur.k+1 && f.n == cur.n:
				contConf, contWhy = 0.97, WhyPageNumber
			case f.numbered && f.k > 1 && cur.k == 0 && cur.pages == f.k-1:
				// The previous pages' numbers were not read (their top
				// only), but as many pages came before.
				contConf, contWhy = 0.9, WhyPageNumber
			case f.numbered && f.k > 1 && f.k <= f.n:
				contConf, contWhy = 0.5, WhyPageNumber // numbered, not following: a page may be missing
			}
			if cur.comp != nil {
				if ls := scoreOf(cur.comp, scores, f).later; ls >= 0.5 && ls > contConf {
					contConf, contWhy = ls, WhyLaterPage
				}
			}
		}
		side, isCard := "", bc != nil && bc.card && f.card
		switch {
		case isCard && f.pair:
			side = "both"
		case isCard:
			side = cardSide(bs)
		}
		otherSideName, other := "", false
		if f.card && !f.pair && cur != nil && cur.comp != nil && cur.comp.card {
			otherSideName, other = otherSide(cur, scoreOf(cur.comp, scores, f))
		}
		switch {
		case sepComp != nil && (!strongStart || bc == sepComp):
			// After a separator sheet: its component, one document. A page
			// past the first that reads somewhat as another component (its
			// cues, or a card after paper) without being sure of it is
			// asked; a new header alone is a copy of the same form.
			a.Component, a.Confidence, a.Why = sepComp.code, 1, WhySeparator
			if cur == nil {
				newDoc(&a, sepComp, true)
			} else {
				a.Document = cur.doc
				looksNew := (f.card && !sepComp.card) || (bc != nil && bs.start >= 0.3)
				// A page past the number its kind has, that does not say it
				// continues, is another document.
				longer := sepComp.pages > 0 && cur.pages >= sepComp.pages && contWhy == ""
				if (looksNew || longer) && bc != sepComp {
					// Its own document, asked: the sheet's run ends here.
					guess := sepComp
					if bc != nil && bs.evidence > 0 {
						guess = bc
					}
					sepComp = nil
					newDoc(&a, guess, false)
					a.Component, a.Confidence, a.Why = guess.code, 0.5, WhyUnknown
				}
			}
			if strongStart {
				a.Why = WhyTitle
			}
		case f.card && cur != nil && cur.comp != nil && cur.comp.card && cur.pages == 1 && (bc == cur.comp || !strongStart) && other:
			// The other side of the card just read: one document. Sure when
			// the page reads as that card too, else asked.
			a.Document, a.Component, a.Why, a.Side = cur.doc, cur.comp.code, WhyCard, otherSideName
			a.Confidence = 0.5
			if bc == cur.comp {
				a.Confidence = max(conf, 0.8)
			}
		case strongStart && !(contWhy != "" && contConf > conf && cur.comp == bc):
			sepComp = nil // a document of its own ends the separator's run
			newDoc(&a, bc, false)
			a.Component, a.Confidence, a.Why, a.Side = bc.code, conf, WhyTitle, side
			if isCard {
				a.Why = WhyCard
			}
		case contWhy != "":
			a.Document, a.Confidence, a.Why = cur.doc, contConf, contWhy
			if cur.comp != nil {
				a.Component = cur.comp.code
			}
			if bc != nil && bc != cur.comp && bs.start >= 0.5 {
				// It reads as another component too: not sure.
				a.Confidence = min(contConf, 1-bs.start)
			}
		case f.header || (f.numbered && f.k == 1) || cur == nil || (bc != nil && bs.start >= 0.5) || f.card:
			// A first page we cannot name for sure: a document of its own,
			// asked.
			sepComp = nil
			if bc != nil && bs.evidence > 0 {
				newDoc(&a, bc, false)
				a.Component, a.Confidence, a.Side = bc.code, conf, side
			} else {
				newDoc(&a, nil, false)
			}
			a.Why = WhyUnknown
			if a.Component != "" {
				a.Why = WhyTitle
			}
		default:
			// Nothing of its own: it continues the open document, asked
			// unless the document is shorter than its kind's page count.
			a.Document, a.Why = cur.doc, WhyContinuation
			if cur.comp != nil {
				a.Component = cur.comp.code
				a.Confidence = 0.5
				if cur.comp.pages > 1 && cur.pages < cur.comp.pages {
					a.Confidence = 0.75
				}
			}
		}
		a.Ask = a.Component == "" || a.Confidence < c.threshold
		if cur != nil && a.Document == cur.doc {
			if a.Start {
				cur.conf = a.Confidence
			} else if !a.Ask && a.Why != WhySeparator {
				a.Confidence = min(a.Confidence, cur.conf)
				a.Ask = a.Confidence < c.threshold
			}
			cur.pages++
			cur.k, cur.n = 0, 0
			if f.numbered {
				cur.k, cur.n = f.k, f.n
			}
			if a.Side != "" {
				cur.sides |= sideBit(a.Side)
			}
		}
		d := &r.Documents[a.Document]
		if len(d.Pages) == 0 {
			d.Component, d.Confidence = a.Component, a.Confidence
		}
		d.Pages = append(d.Pages, p.Number)
		d.Confidence = min(d.Confidence, a.Confidence)
		d.Ask = d.Ask || a.Ask
		r.Pages = append(r.Pages, a)
	}
	return r
}

// scoreOf returns comp's score on the page, from scores when comp is one of
// the classifier's (a separator's component outside the procedure is not).
func scoreOf(comp *component, scores []score, f features) score {
	if comp.index >= 0 && comp.index < len(scores) {
		return scores[comp.index]
	}
	return comp.score(f)
}

// otherSide reports whether the card page (its score s for cur's component) may be the side the open card
// document cur lacks, and which side it reads as ("" when it tells
// neither).
func otherSide(cur *open, s score) (string, bool) {
	if cur.sides == 3 {
		return "", false // both sides are in already
	}
	side := cardSide(s)
	if side == "" || cur.sides == 0 {
		return side, true // nothing to tell them apart: the clerk decides
	}
	return side, cur.sides&sideBit(side) == 0
}

// cardSide is the side a card page's cues say, "" when they say neither.
func cardSide(s score) string {
	switch {
	case s.back > s.front:
		return "back"
	case s.front > s.back:
		return "front"
	}
	return ""
}

func sideBit(side string) byte {
	switch side {
	case "back":
		return 2
	case "both":
		return 3
	}
	return 1
}

func (c *Classifier) byCode(code string) *component {
	for i := range c.comps {
		if c.comps[i].code == code {
			return &c.comps[i]
		}
	}
	return nil
}
