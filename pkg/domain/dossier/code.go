package dossier

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
)

// codePattern is the shape of a dossier code: an agency ID
// (procedure.AgencyIDPattern), the local date and the daily sequence.
var codePattern = regexp.MustCompile(strings.TrimSuffix(procedure.AgencyIDPattern, "$") + `-[0-9]{6}-[0-9]{4,}$`)

// FormatCode returns the dossier code `<agency ID>-<yyMMdd>-<NNNN>` for the
// seq-th dossier received by agency on the local (Vietnam) day of at, as the
// national public service portal numbers dossiers, e.g. "000.00.01.H29-261123-0001".
func FormatCode(agency string, at time.Time, seq int) string {
	return fmt.Sprintf("%s-%s-%04d", agency, at.In(calendar.Location()).Format("060102"), seq)
}

// ValidCode reports whether s has the shape of a dossier code.
func ValidCode(s string) bool { return codePattern.MatchString(s) }
