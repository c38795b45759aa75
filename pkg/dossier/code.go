package dossier

import (
	"fmt"
	"regexp"
	"time"
)

// agencyIDPattern is the shape of an agency's electronic ID under QCVN
// 102:2016/BTTTT (the national technical regulation on the structure of
// electronic identifiers of agencies): four dot-separated groups such as
// "000.00.01.H29" or "G01.12.34.H56".
var agencyIDPattern = regexp.MustCompile(`^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[0-9A-Z]{3}$`)

// codePattern is the shape of a dossier code.
var codePattern = regexp.MustCompile(`^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[0-9A-Z]{3}-[0-9]{6}-[0-9]{4,}$`)

// vnZone is Vietnam's time zone (UTC+7, no daylight saving time); dossier
// codes carry the local date of receipt.
var vnZone = time.FixedZone("ICT", 7*60*60)

// FormatCode returns the dossier code `<agency ID>-<yyMMdd>-<NNNN>` for the
// seq-th dossier received by agency on the local (Vietnam) day of at, as the
// national public service portal numbers dossiers, e.g. "000.00.01.H29-261123-0001".
func FormatCode(agency string, at time.Time, seq int) string {
	return fmt.Sprintf("%s-%s-%04d", agency, at.In(vnZone).Format("060102"), seq)
}

// ValidCode reports whether s has the shape of a dossier code.
func ValidCode(s string) bool { return codePattern.MatchString(s) }

// ValidAgencyID reports whether s has the shape of a QCVN 102:2016 agency ID.
func ValidAgencyID(s string) bool { return agencyIDPattern.MatchString(s) }
