package web

import (
	"strings"

	"github.com/sohoa/sohoa/pkg/domain/identity"
)

// People names the staff: by the subject they sign in with, their name and
// unit (a clerk's post office, an officer's agency ID). Pages show people by
// name and unit, never by login ID or role:subject.
type People map[string]identity.Actor

// PeopleOf indexes people by subject.
func PeopleOf(as []identity.Actor) People {
	p := People{}
	for _, a := range as {
		p[a.Subject] = a
	}
	return p
}

// Who says who an actor label ("postal_clerk:clerk-01", "system:ingest",
// "intake") is, for a person to read: the name and unit when the staff list
// knows them, else what they are (a postal clerk, the system), never the
// login ID.
func (p *page) Who(label string) string {
	role, subject, ok := strings.Cut(label, ":")
	if !ok {
		if label == "intake" {
			return p.T("Bưu cục (tải lên từ máy quét)", "The post office (upload from the scanner)")
		}
		role, subject = "", label
	}
	switch identity.Role(role) {
	case "system":
		return p.T("Hệ thống Sohoa (tự động)", "Sohoa (automatic)")
	case identity.Citizen:
		return p.T("Công dân", "The citizen")
	}
	if a, ok := p.people[subject]; ok && a.Name != "" {
		unit := a.PostOffice
		if a.Agency != "" {
			unit = p.agencies[a.Agency]
		}
		if unit != "" {
			return a.Name + ", " + unit
		}
		return a.Name
	}
	if n := roleName(p.Lang, identity.Role(role)); role != "" && n != role {
		return upperFirst(n)
	}
	return p.T("Người dùng hệ thống", "A user of the system")
}
