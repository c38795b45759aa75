// Package search finds documents by their words, Vietnamese with or without
// diacritics ("giay khai sinh" finds "Giấy khai sinh"): a citizen within
// their own documents, an agency officer within their agency's dossiers.
//
// Index is the port. Text is folded (Fold) before it is stored and queried,
// so every adapter matches the same way: SQLite FTS5 locally (pkg/local/sqlite),
// and Partitioned over the records port for DynamoDB, where each scope (a
// citizen, an agency) is one partition and a search reads it whole — right
// for a citizen's tens of documents, without a search cluster per tenant.
package search

import (
	"context"
	"strings"
	"unicode"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/textfold"
)

// Entry is one searchable document. Exactly one of Owner and Agency is set:
// the scope that may find it.
type Entry struct {
	Owner   string // citizen ID: the citizen's own document
	Agency  string // agency code: a component of one of its dossiers
	Ref     string // what a hit points to: a vault document ID, or "<dossier ID>/<component>"
	Kind    string // component code, e.g. "GKS"
	Title   string
	Dossier string // dossier code, if any
	Text    string // the document's words (OCR text layer)
}

// Scope is who searches: a citizen (Owner) or an agency (Agency).
type Scope struct {
	Owner, Agency string
}

// Hit is one document found.
type Hit struct {
	Ref     string `json:"ref"`
	Kind    string `json:"kind,omitempty"`
	Title   string `json:"title"`
	Dossier string `json:"dossier,omitempty"`
	// Snippet is a few words around the first match, folded.
	Snippet string `json:"snippet,omitempty"`
}

// Index stores entries and finds them.
type Index interface {
	// Put stores e, replacing an entry of the same scope and Ref.
	Put(ctx context.Context, e Entry) error
	// Search returns the entries of the scope that hold every word of q, at
	// most limit of them.
	Search(ctx context.Context, s Scope, q string, limit int) ([]Hit, error)
}

// Limits of a search.
const (
	MaxQueryWords = 10
	MaxLimit      = 100
	MaxTextBytes  = 300 << 10 // text stored per entry (a DynamoDB item holds 400 KB)
)

// Fold lower-cases s and removes Vietnamese diacritics, composed or
// decomposed (đ becomes d), so that text typed without them matches.
func Fold(s string) string { return textfold.Fold(strings.ToLower(s)) }

// Words splits folded text into words (letters and digits).
func Words(s string) []string {
	return strings.FieldsFunc(Fold(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// Check validates a scope and query and returns the query's words.
func Check(s Scope, q string) ([]string, error) {
	if (s.Owner == "") == (s.Agency == "") {
		return nil, errs.E(errs.Forbidden, "search: a search is by one citizen or one agency")
	}
	w := Words(q)
	if len(w) == 0 {
		return nil, errs.FieldError("q", "Hãy nhập từ cần tìm / the query has no words")
	}
	if len(w) > MaxQueryWords {
		return nil, errs.FieldError("q", "Tối đa %d từ / at most %d words", MaxQueryWords, MaxQueryWords)
	}
	return w, nil
}

// ClampLimit returns limit within 1..MaxLimit (default 20).
func ClampLimit(limit int) int {
	if limit <= 0 {
		return 20
	}
	return min(limit, MaxLimit)
}

// Snippet returns about n words of folded text around the first word of words.
func Snippet(folded string, words []string, n int) string {
	all := strings.Fields(folded)
	at := 0
	for i, w := range all {
		if strings.Contains(w, words[0]) {
			at = i
			break
		}
	}
	from := max(0, at-n/2)
	return strings.Join(all[from:min(len(all), from+n)], " ")
}
