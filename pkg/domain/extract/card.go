package extract

import (
	"regexp"
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/citizen"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/format/mrz"
	"github.com/sohoa/sohoa/pkg/format/ocr"
)

var twelveDigits = regexp.MustCompile(`(?:^|[^0-9])([0-9]{12})(?:[^0-9]|$)`)

// checkCard reads the card's zone (back) and its number and name (front)
// and checks them against the dossier: the number, the name (without
// diacritics, as the zone has none), the expiry, the check digits, and the
// birth year and sex the ID's own digits encode.
func checkCard(pages []ocr.Page, in dossier.ExtractInput) (map[string]dossier.Field, []dossier.Finding) {
	fields := map[string]dossier.Field{}
	var findings []dossier.Finding
	add := func(f dossier.Finding) { findings = append(findings, f) }
	// The front: the 12 digits and the full name under its label.
	frontID, frontName := "", ""
	for _, p := range pages {
		lines := p.Lines()
		for i, l := range lines {
			text := joinWords(l)
			if m := twelveDigits.FindStringSubmatch(text); m != nil && frontID == "" {
				frontID = m[1]
				fields["frontIdNumber"] = field(m[1], meanConf(l))
			}
			low := strings.ToLower(text)
			if frontName == "" && (strings.Contains(low, "full name") || strings.Contains(low, "họ, chữ đệm và tên") || strings.Contains(low, "họ và tên")) && i+1 < len(lines) {
				frontName = joinWords(lines[i+1])
				fields["frontFullName"] = field(frontName, meanConf(lines[i+1]))
			}
		}
	}
	// The back: the zone, the best read of all pages.
	var td *mrz.TD1
	for _, p := range pages {
		if p.MRZ == "" {
			continue
		}
		t, err := mrz.Find(p.MRZ, in.Now)
		if err != nil {
			continue
		}
		if td == nil || (t.Valid() && !td.Valid()) {
			td = t
		}
	}
	switch {
	case td == nil:
		add(dossier.NewFinding(dossier.FindingMRZUnreadable))
	case !td.Valid():
		add(dossier.NewFinding(dossier.FindingMRZCheckFailed, strings.Join(td.FailedChecks(), ", ")))
	}
	valid := td != nil && td.Valid()
	if valid {
		conf := 1.0
		fields["idNumber"] = field(td.PersonalID(), conf)
		fields["documentNumber"] = field(td.DocumentNumber, conf)
		fields["birthDate"] = field(td.BirthDate.String(), conf)
		fields["sex"] = field(td.Sex, conf)
		if td.Expiry != nil {
			fields["expiry"] = field(td.Expiry.String(), conf)
		} else {
			fields["expiry"] = field("không thời hạn", conf)
		}
		// The name has no check digit: trust it as far as it agrees with the front.
		nameConf := 0.7
		if frontName != "" && mrz.Fold(frontName) == td.FullName() {
			nameConf = 0.95
		}
		fields["fullName"] = field(td.FullName(), nameConf)
	}
	// The number against the dossier.
	cardID := ""
	if valid {
		cardID = td.PersonalID()
	} else if frontID != "" {
		cardID = frontID
	}
	if cardID != "" && in.CitizenID != "" && cardID != in.CitizenID {
		sev := dossier.SeverityError
		if !valid {
			sev = dossier.SeverityWarning // read from the front only, without check digits
		}
		add(dossier.NewFinding(dossier.FindingIDMismatch, citizen.Mask(cardID), citizen.Mask(in.CitizenID)).WithSeverity(sev))
	}
	if !valid {
		return fields, findings
	}
	if in.CitizenName != "" && !td.NameMatches(in.CitizenName) {
		add(dossier.NewFinding(dossier.FindingNameMismatch, td.FullName(), in.CitizenName))
	}
	if td.Expiry != nil && td.Expiry.Time().AddDate(0, 0, 1).Before(in.Now) {
		add(dossier.NewFinding(dossier.FindingCardExpired, td.Expiry))
	}
	if id, err := citizen.ParseAt(td.PersonalID(), in.Now); err != nil {
		add(dossier.NewFinding(dossier.FindingIDStructure))
	} else {
		sexOK := td.Sex == "" || (td.Sex == "M") == (id.Gender == citizen.Male)
		if id.BirthYear != td.BirthDate.Year || !sexOK {
			add(dossier.NewFinding(dossier.FindingIDBirthMismatch, td.BirthDate.Year, dossier.Bi{VI: sexVN(td.Sex), EN: sexEN(td.Sex)}, id.BirthYear, dossier.Bi{VI: sexVN(genderCode(id.Gender)), EN: sexEN(genderCode(id.Gender))}))
		}
	}
	return fields, findings
}

func genderCode(g citizen.Gender) string {
	if g == citizen.Female {
		return "F"
	}
	return "M"
}

func sexVN(s string) string {
	switch s {
	case "M":
		return "nam"
	case "F":
		return "nữ"
	}
	return "không ghi"
}

func sexEN(s string) string {
	switch s {
	case "M":
		return "male"
	case "F":
		return "female"
	}
	return "not given"
}

func joinWords(ws []ocr.Word) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.Text
	}
	return strings.Join(parts, " ")
}

func meanConf(ws []ocr.Word) float64 {
	if len(ws) == 0 {
		return 0
	}
	s := 0.0
	for _, w := range ws {
		s += max(w.Conf, 0)
	}
	return s / float64(len(ws)) / 100
}
