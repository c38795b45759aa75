// Package vntime is Vietnam's clock: its time zone, shared by every layer
// that prints or judges a local date (the calendar's deadlines, the
// conversion mark on a certified copy, the receipt). It imports nothing of
// Sohoa's, so the PDF formats below the domain can use it.
package vntime

import "time"

// offset is Vietnam's fixed UTC offset: Indochina Time, UTC+7, no DST.
const offset = 7 * 60 * 60

// zone is built once: a *time.Location is safe for concurrent use.
var zone = time.FixedZone("ICT", offset)

// Location returns Vietnam's time zone as a fixed UTC+7 zone ("ICT"),
// equivalent to Asia/Ho_Chi_Minh since 1975 and needing no tzdata.
func Location() *time.Location { return zone }
