// Package citizen reads Vietnamese personal identification numbers (số định
// danh cá nhân), the 12 digits printed on the chip-based citizen identity card
// (CCCD / thẻ căn cước) and used as the citizen's login subject and vault key.
//
// Structure (Decree 137/2015/NĐ-CP Art. 13, Circular 07/2016/TT-BCA Art. 7 as
// amended by Circular 59/2021/TT-BCA; kept by Law on Identification
// 26/2023/QH15 Art. 12): 3 digits = code of the province where the birth was
// registered, 1 digit = century of birth and gender, 2 digits = last two digits
// of the birth year, 6 random digits.
//
// It is not for validating that a number was really issued: only the national
// population database can say that. IDs are personal data: log them only
// through Mask.
package citizen

import (
	"github.com/sohoa/sohoa/pkg/domain/calendar"

	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sohoa/sohoa/pkg/errs"
)

// Field is the input field named in the errors Parse returns.
const Field = "citizen.id"

// Length is the number of digits of a personal identification number.
const Length = 12

// Gender is the gender encoded in the fourth digit of an ID.
type Gender int

// The genders of Circular 07/2016/TT-BCA Art. 7(2): even digit male, odd female.
const (
	Male Gender = iota
	Female
)

// String returns "male" or "female".
func (g Gender) String() string {
	if g == Female {
		return "female"
	}
	return "male"
}

// ID is a parsed personal identification number.
type ID struct {
	// Raw is the 12 digits.
	Raw string
	// Province is the 3-digit code of the province of birth registration.
	Province string
	// ProvinceName is that province's name among the 63 provinces the codes
	// were assigned to (e.g. "Hà Giang" for 002).
	ProvinceName string
	// CurrentProvinceName is the province that holds that territory since the
	// 2025 merger into 34 provinces (e.g. "Tuyên Quang" for 002).
	CurrentProvinceName string
	// Gender is the gender of the fourth digit.
	Gender Gender
	// BirthYear is the full year of birth, e.g. 1988.
	BirthYear int
}

// String returns the masked ID, so that an ID printed by accident in a log
// does not leak; use Raw for the digits.
func (id ID) String() string { return Mask(id.Raw) }

// Parse parses a 12-digit personal identification number, refusing a year of
// birth after the current year. Leading and trailing spaces are ignored.
func Parse(s string) (ID, error) { return ParseAt(s, time.Now()) }

// ParseAt is Parse with the current time given, for tests and replays.
//
// Every error is an errs.FieldError on Field whose message says in
// Vietnamese, then in English, what is wrong; it never repeats the number.
func ParseAt(s string, now time.Time) (ID, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return ID{}, errs.FieldError(Field, "Số định danh cá nhân chứa ký tự không hợp lệ / the personal ID contains invalid characters")
	}
	if n := utf8.RuneCountInString(s); n != Length {
		if n == 0 {
			return ID{}, errs.FieldError(Field, "Thiếu số định danh cá nhân (12 chữ số) / the personal ID (12 digits) is missing")
		}
		return ID{}, errs.FieldError(Field,
			"Số định danh cá nhân phải có đúng 12 chữ số, số đã nhập có %d ký tự / the personal ID must have exactly 12 digits, got %d characters", n, n)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return ID{}, errs.FieldError(Field,
				"Số định danh cá nhân chỉ gồm chữ số; ký tự thứ %d không phải chữ số / the personal ID must contain digits only; character %d is not a digit", i+1, i+1)
		}
	}
	p, ok := LookupProvince(s[:3])
	if !ok {
		return ID{}, errs.FieldError(Field,
			"Mã tỉnh %s (3 chữ số đầu) không có trong danh mục mã tỉnh của Bộ Công an / province code %s (first 3 digits) is not in the Ministry of Public Security's list", s[:3], s[:3])
	}
	cg := int(s[3] - '0')
	year := 1900 + 100*(cg/2) + int(s[4]-'0')*10 + int(s[5]-'0')
	if now.In(calendar.Location()).Year() < year {
		return ID{}, errs.FieldError(Field,
			"Năm sinh %d (chữ số thứ 4 đến 6) ở trong tương lai / the birth year %d (digits 4 to 6) is in the future", year, year)
	}
	return ID{
		Raw:                 s,
		Province:            p.Code,
		ProvinceName:        p.Name,
		CurrentProvinceName: p.Current,
		Gender:              Gender(cg % 2),
		BirthYear:           year,
	}, nil
}

// Valid reports whether s parses.
func Valid(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// Mask hides the middle of an ID for logs: "001088012345" becomes
// "001******345". Anything that is not 12 characters long is masked whole
// (one '*' per character up to 12), so a malformed ID does not leak either.
func Mask(id string) string {
	r := []rune(id)
	if len(r) != Length {
		n := min(len(r), Length)
		if n == 0 {
			return ""
		}
		return strings.Repeat("*", n)
	}
	return fmt.Sprintf("%s******%s", string(r[:3]), string(r[9:]))
}
