package main

import (
	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/web"
)

// devPeople are the people besides the enrolled officers that the
// development sign-in page offers.
var devPeople = []identity.Actor{
	{Subject: "clerk-01", Role: identity.Clerk, Name: "Trần Thị Mai", PostOffice: "Bưu cục Hoàn Kiếm"},
	{Subject: "001203012345", Role: identity.Citizen, Name: "Nguyễn Văn An"},
	{Subject: "079090000001", Role: identity.Citizen, Name: "Lê Văn Bình"},
	{Subject: "auditor-01", Role: identity.Auditor, Name: "Phạm Thu Hà"},
}

// newPages builds the web pages over the API's services. Sessions are
// records in the stack's table, as on AWS, their tokens keyed by
// sessionKey; the development sign-in page is there only with the
// development routes (cfg.Dev).
func newPages(cfg sohoaapi.Config, st *Stack, sessionKey []byte, staff notify.StaffFile, o Options) (*web.Handler, error) {
	var roster []identity.Actor
	if cfg.Dev != nil {
		roster = append(roster, devPeople[0])
		for _, of := range staff.Officers {
			roster = append(roster, identity.Actor{Subject: of.ID, Role: identity.Officer, Name: of.Name, Agency: of.Agency})
		}
		roster = append(roster, devPeople[1:]...)
	}
	sessions, err := identity.NewSessions(st.DB.Table(), sessionKey, o.Now)
	if err != nil {
		return nil, err
	}
	people := web.PeopleOf(append(staff.People(), devPeople[0]))
	return web.New(web.Config{API: cfg, Roster: roster, People: people, Now: o.Now, Log: o.Log, SessionTTL: o.SessionTTL, Sessions: sessions})
}
