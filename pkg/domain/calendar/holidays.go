package calendar

// Day is one dated entry of a year's calendar.
type Day struct {
	// Date is the civil date in Vietnam, "YYYY-MM-DD".
	Date string `json:"date"`
	// Name says why, in Vietnamese.
	Name string `json:"name"`
}

// Year is the public-holiday data of one year for civil servants (cán bộ,
// công chức, viên chức), who work Monday to Friday.
type Year struct {
	// Year is the calendar year.
	Year int `json:"year"`
	// DaysOff are weekdays on which offices are closed: public holidays of
	// Labour Code 2019 Art. 112(1), compensatory days when a holiday falls on a
	// weekend (Art. 112(3)), and weekdays swapped into a rest day by the
	// Prime Minister's yearly decision. Weekend dates may be listed too, for
	// the record; they change nothing.
	DaysOff []Day `json:"daysOff"`
	// WorkDays are weekend dates that become working days because a working
	// day was swapped away (ngày làm bù).
	WorkDays []Day `json:"workDays,omitempty"`
	// Source names the notices the data comes from.
	Source string `json:"source"`
	// Provisional is true when the year's official notice was not yet found
	// and the data is the statutory days with compensation and an assumed
	// Tết arrangement; replace it when the notice is published.
	Provisional bool `json:"provisional,omitempty"`
}

// Years2026And2027 returns the built-in data for 2026 and 2027.
//
// 2026 is official: New Year swap by Office of the Government dispatch
// 12729/VPCP-KGVX (25/12/2025) on the Ministry of Home Affairs' proposal;
// Tết and National Day by the Prime Minister's agreement communicated by the
// Office of the Government on 13/10/2025 and notified by the Ministry of Home
// Affairs (Tết Bính Ngọ 14/02–22/02/2026; National Day 29/08–02/09/2026 with
// Monday 31/08 swapped to Saturday 22/08); Hùng Kings' day 10/3 lunar =
// Sunday 26/04/2026, compensated on Monday 27/04 (Labour Code Art. 112(3)).
// The Vietnam Culture Day (24/11) is not included: as of early 2026 it was a
// Politburo policy and a proposed amendment of Art. 112, not yet law.
//
// 2027 is PROVISIONAL: no official notice was found. It holds the statutory
// days of Labour Code 2019 Art. 112 with weekend compensation, Tết Đinh Mùi
// (mùng 1 = Saturday 06/02/2027) assumed as 1 day before and 4 days after
// (29 Tết Friday 05/02 to mùng 4 Tuesday 09/02, with Saturday and Sunday
// compensated on Wednesday 10/02 and Thursday 11/02), Hùng Kings' day
// computed as Friday 16/04/2027 (10/3 lunar, not checked against a
// published lunar calendar), and the National Day's adjacent day assumed to
// be Friday 03/09/2027.
func Years2026And2027() []Year {
	return []Year{
		{
			Year: 2026,
			DaysOff: []Day{
				{"2026-01-01", "Tết Dương lịch"},
				{"2026-01-02", "Nghỉ hoán đổi Tết Dương lịch (làm bù thứ Bảy 10/01)"},
				{"2026-02-16", "Tết Nguyên đán Bính Ngọ (29 tháng Chạp)"},
				{"2026-02-17", "Tết Nguyên đán Bính Ngọ (mùng 1)"},
				{"2026-02-18", "Tết Nguyên đán Bính Ngọ (mùng 2)"},
				{"2026-02-19", "Tết Nguyên đán Bính Ngọ (mùng 3)"},
				{"2026-02-20", "Tết Nguyên đán Bính Ngọ (mùng 4)"},
				{"2026-04-27", "Nghỉ bù Giỗ Tổ Hùng Vương (10/3 âm lịch, Chủ nhật 26/04)"},
				{"2026-04-30", "Ngày Chiến thắng"},
				{"2026-05-01", "Ngày Quốc tế lao động"},
				{"2026-08-31", "Nghỉ hoán đổi Quốc khánh (làm bù thứ Bảy 22/08)"},
				{"2026-09-01", "Quốc khánh (ngày liền kề)"},
				{"2026-09-02", "Quốc khánh"},
			},
			WorkDays: []Day{
				{"2026-01-10", "Làm bù cho thứ Sáu 02/01"},
				{"2026-08-22", "Làm bù cho thứ Hai 31/08"},
			},
			Source: "VPCP 12729/VPCP-KGVX 25/12/2025 (Tết Dương lịch); ý kiến Thủ tướng do VPCP truyền đạt 13/10/2025, Bộ Nội vụ thông báo (Tết Âm lịch, Quốc khánh); Bộ luật Lao động 2019 Điều 112",
		},
		{
			Year: 2027,
			DaysOff: []Day{
				{"2027-01-01", "Tết Dương lịch"},
				{"2027-02-05", "Tết Nguyên đán Đinh Mùi (29 tháng Chạp) — dự kiến"},
				{"2027-02-08", "Tết Nguyên đán Đinh Mùi (mùng 3) — dự kiến"},
				{"2027-02-09", "Tết Nguyên đán Đinh Mùi (mùng 4) — dự kiến"},
				{"2027-02-10", "Nghỉ bù mùng 1 (thứ Bảy) — dự kiến"},
				{"2027-02-11", "Nghỉ bù mùng 2 (Chủ nhật) — dự kiến"},
				{"2027-04-16", "Giỗ Tổ Hùng Vương (10/3 âm lịch) — ngày tính toán"},
				{"2027-04-30", "Ngày Chiến thắng"},
				{"2027-05-03", "Nghỉ bù Ngày Quốc tế lao động (thứ Bảy 01/05)"},
				{"2027-09-02", "Quốc khánh"},
				{"2027-09-03", "Quốc khánh (ngày liền kề) — dự kiến"},
			},
			Source:      "Bộ luật Lao động 2019 Điều 112; chưa có thông báo chính thức của Bộ Nội vụ cho năm 2027",
			Provisional: true,
		},
	}
}
