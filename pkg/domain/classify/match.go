package classify

// Matching of printed cues against OCR text. All comparisons are on folded
// text (see Fold), so lost diacritics and case cost nothing; what remains
// are OCR's character errors, scored by edit distance.

import "strings"

// levenshtein is the edit distance between a and b (bytes: folded text is
// ASCII but for rare letters, which then cost one edit a byte).
func levenshtein(a, b string) int {
	if len(a) < len(b) {
		a, b = b, a
	}
	var rows [2][65]int // no allocation for words and titles of up to 64 bytes
	prev, cur := rows[0][:], rows[1][:]
	if len(b)+1 > len(prev) {
		prev, cur = make([]int, len(b)+1), make([]int, len(b)+1)
	}
	prev, cur = prev[:len(b)+1], cur[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// sameWord reports whether an OCR word w is the printed word p: equal for
// words of up to two letters (too short to tell an error from another
// word), one edit away for three to six, two for longer ones.
func sameWord(p, w string) bool {
	if p == w {
		return true
	}
	allowed := 0
	switch {
	case len(p) >= 7:
		allowed = 2
	case len(p) >= 3:
		allowed = 1
	}
	if allowed == 0 || abs(len(p)-len(w)) > allowed {
		return false
	}
	return levenshtein(p, w) <= allowed
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// lineSimilarity is how well a line of OCR words reads as a printed title:
// the longest common subsequence of the two word sequences (words compared
// with sameWord) over the longer of the two, so that a title found inside a
// longer line of body text ("bản sao giấy khai sinh" for the title "GIẤY
// KHAI SINH") scores low, and a title missing words scores low too; or,
// when higher, 1 − the edit distance between the two lines' letters over
// the longer's length.
func lineSimilarity(title, line []string) float64 {
	if len(title) == 0 || len(line) == 0 {
		return 0
	}
	prev := make([]int, len(line)+1)
	cur := make([]int, len(line)+1)
	for i := 1; i <= len(title); i++ {
		for j := 1; j <= len(line); j++ {
			if sameWord(title[i-1], line[j-1]) {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(prev[j], cur[j-1])
			}
		}
		prev, cur = cur, prev
	}
	words := float64(prev[len(line)]) / float64(max(len(title), len(line)))
	// A short title with one short word misread ("uy" read "uv") loses a
	// whole word of three: compare the letters too (when the lengths are
	// close enough for it to mean anything).
	a, b := strings.Join(title, " "), strings.Join(line, " ")
	if abs(len(a)-len(b)) > len(a)/2 {
		return words
	}
	letters := 1 - float64(levenshtein(a, b))/float64(max(len(a), len(b)))
	return max(words, letters)
}

// maxSearch bounds the text a phrase is searched in (bytes of flat text):
// the cues of a form are on its first page, well within it.
const maxSearch = 12000

// phraseSimilarity is how well the phrase p (flat) occurs in the text s
// (flat): 1 − d/len(p), with d the smallest edit distance between p and any
// substring of s, 0 when that is negative. Phrases of up to 64 bytes use
// Myers' bit-parallel algorithm (one step a byte of text), longer ones
// Sellers' dynamic programme.
func phraseSimilarity(p, s string) float64 {
	if len(s) > maxSearch {
		s = s[:maxSearch]
	}
	if len(p) == 0 {
		return 0
	}
	var d int
	if len(p) <= 64 {
		d = myers(p, s)
	} else {
		d = sellers(p, s)
	}
	return max(0, 1-float64(d)/float64(len(p)))
}

// myers returns the smallest edit distance between p (1–64 bytes) and a
// substring of s (G. Myers, "A fast bit-vector algorithm for approximate
// string matching based on dynamic programming", J. ACM 46(3), 1999, in its
// search form: a match may begin anywhere in s).
func myers(p, s string) int {
	var peq [256]uint64
	for i := range len(p) {
		peq[p[i]] |= 1 << i
	}
	high := uint64(1) << (len(p) - 1)
	pv, mv := ^uint64(0), uint64(0)
	score := len(p)
	best := score
	for j := range len(s) {
		eq := peq[s[j]]
		xv := eq | mv
		xh := (((eq & pv) + pv) ^ pv) | eq
		ph := mv | ^(xh | pv)
		mh := pv & xh
		switch {
		case ph&high != 0:
			score++
		case mh&high != 0:
			score--
		}
		ph <<= 1
		mh <<= 1
		pv = mh | ^(xv | ph)
		mv = ph & xv
		best = min(best, score)
	}
	return best
}

// sellers is myers for a phrase of any length, by dynamic programming.
func sellers(p, s string) int {
	// col[i] is the distance between p[:i] and the best substring of s
	// ending at the current position.
	col := make([]int, len(p)+1)
	for i := range col {
		col[i] = i
	}
	best := col[len(p)]
	for j := 1; j <= len(s); j++ {
		diag := col[0] // col[0] stays 0: a match may start anywhere
		for i := 1; i <= len(p); i++ {
			cost := 1
			if p[i-1] == s[j-1] {
				cost = 0
			}
			next := min(col[i]+1, col[i-1]+1, diag+cost)
			diag, col[i] = col[i], next
		}
		best = min(best, col[len(p)])
		if best == 0 {
			break
		}
	}
	return best
}
