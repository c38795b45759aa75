package web

import (
	"strings"
	"unicode"

	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/search"
)

// dossierCode is a dossier code as people type it (lower case, with spaces
// around or inside) written as the system prints it: upper case, no spaces.
func dossierCode(typed string) string { return strings.ToUpper(withoutSpaces(typed)) }

// withoutSpaces is what people type with the spaces they group digits by
// ("001 203 012 345") taken out.
func withoutSpaces(typed string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, typed)
}

// procedureMatches reports whether every word of the query q occurs in the
// procedure's name, code or agency, diacritics and case folded: "dang ky
// khai sinh" finds "Đăng ký khai sinh".
func procedureMatches(pr procedure.Procedure, q string) bool {
	hay := search.Fold(pr.Name + " " + pr.Code + " " + pr.AgencyName)
	for _, w := range strings.Fields(search.Fold(q)) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}
