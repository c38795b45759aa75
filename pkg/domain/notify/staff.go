package notify

import (
	"encoding/json"
	"fmt"

	"github.com/sohoa/sohoa/pkg/domain/identity"
)

// Staff is one person of the staff file: agency officers (with their agency)
// and other staff to notify. The local stack also gives each officer a dev
// signing credential by this list; on AWS the file is a config object.
type Staff struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Agency string `json:"agency,omitempty"`
	// PostOffice is a postal clerk's unit, shown beside their name.
	PostOffice string `json:"postOffice,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Lang       string `json:"lang,omitempty"`
}

// StaffFile is the staff file: {"officers":[…], "staff":[…]}.
type StaffFile struct {
	Officers []Staff `json:"officers"`
	Staff    []Staff `json:"staff"`
}

// ParseStaff reads a staff file: every officer has an id and an agency,
// every other member an id.
func ParseStaff(b []byte) (StaffFile, error) {
	var f StaffFile
	if err := json.Unmarshal(b, &f); err != nil {
		return StaffFile{}, fmt.Errorf("staff file: %w", err)
	}
	for i, o := range f.Officers {
		if o.ID == "" || o.Agency == "" {
			return StaffFile{}, fmt.Errorf("staff file: officer %d has no id or agency", i+1)
		}
	}
	for i, s := range f.Staff {
		if s.ID == "" {
			return StaffFile{}, fmt.Errorf("staff file: staff member %d has no id", i+1)
		}
	}
	return f, nil
}

// Directory returns the notification directory of the staff file.
func (f StaffFile) Directory() StaticDirectory {
	d := StaticDirectory{Officers: map[string][]Recipient{}, People: map[string]Recipient{}}
	for _, o := range f.Officers {
		d.Officers[o.Agency] = append(d.Officers[o.Agency], Recipient{Subject: o.ID, Email: o.Email, Phone: o.Phone, Lang: o.Lang})
	}
	for _, s := range f.Staff {
		d.People[s.ID] = Recipient{Subject: s.ID, Email: s.Email, Phone: s.Phone, Lang: s.Lang}
	}
	return d
}

// People returns the staff as the people pages name: officers with their
// agency, the others with their post office.
func (f StaffFile) People() []identity.Actor {
	var out []identity.Actor
	for _, o := range f.Officers {
		out = append(out, identity.Actor{Subject: o.ID, Role: identity.Officer, Name: o.Name, Agency: o.Agency})
	}
	for _, s := range f.Staff {
		out = append(out, identity.Actor{Subject: s.ID, Name: s.Name, PostOffice: s.PostOffice})
	}
	return out
}
