package citizen

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want ID
	}{
		// 001 Hà Nội, 0 = 1900s male, 88 → 1988.
		{"001088012345", ID{Raw: "001088012345", Province: "001", ProvinceName: "Hà Nội", CurrentProvinceName: "Hà Nội", Gender: Male, BirthYear: 1988}},
		// 079 Hồ Chí Minh, 3 = 2000s female, 01 → 2001.
		{"079301000123", ID{Raw: "079301000123", Province: "079", ProvinceName: "Hồ Chí Minh", CurrentProvinceName: "Hồ Chí Minh", Gender: Female, BirthYear: 2001}},
		// 002 Hà Giang (merged into Tuyên Quang), 1 = 1900s female, 95 → 1995.
		{"002195999999", ID{Raw: "002195999999", Province: "002", ProvinceName: "Hà Giang", CurrentProvinceName: "Tuyên Quang", Gender: Female, BirthYear: 1995}},
		// 036 Nam Định (→ Ninh Bình), 2 = 2000s male, 05 → 2005.
		{"036205000001", ID{Raw: "036205000001", Province: "036", ProvinceName: "Nam Định", CurrentProvinceName: "Ninh Bình", Gender: Male, BirthYear: 2005}},
		// current year is allowed: 2 = 2000s male, 26 → 2026.
		{"096226000000", ID{Raw: "096226000000", Province: "096", ProvinceName: "Cà Mau", CurrentProvinceName: "Cà Mau", Gender: Male, BirthYear: 2026}},
		// surrounding spaces are trimmed.
		{"  046100000000\n", ID{Raw: "046100000000", Province: "046", ProvinceName: "Thừa Thiên Huế", CurrentProvinceName: "Huế", Gender: Female, BirthYear: 1900}},
	}
	for _, tt := range tests {
		t.Run(tt.want.Raw, func(t *testing.T) {
			got, err := ParseAt(tt.in, now)
			if err != nil {
				t.Fatalf("ParseAt(%q) error %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseAt(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     []string // substrings of the message, Vietnamese and English
	}{
		{"empty", "", []string{"Thiếu số định danh", "missing"}},
		{"short", "00108801234", []string{"đúng 12 chữ số", "có 11 ký tự", "exactly 12 digits, got 11"}},
		{"long", "0010880123456", []string{"có 13 ký tự", "got 13"}},
		{"letter", "00108801234X", []string{"ký tự thứ 12 không phải chữ số", "character 12 is not a digit"}},
		{"inner space", "001 88012345", []string{"ký tự thứ 4", "character 4"}},
		{"unicode digit", "00108801234٥", []string{"ký tự thứ 12", "character 12"}},
		{"unknown province 003", "003088012345", []string{"Mã tỉnh 003", "province code 003"}},
		{"unknown province 000", "000088012345", []string{"Mã tỉnh 000", "province code 000"}},
		{"unknown province 097", "097088012345", []string{"Mã tỉnh 097"}},
		{"future next year", "001227000000", []string{"Năm sinh 2027", "birth year 2027 (digits 4 to 6) is in the future"}},
		{"future 2100s", "001400000000", []string{"Năm sinh 2100", "in the future"}},
		{"future 2300s", "001999000000", []string{"Năm sinh 2399"}},
		{"invalid utf8", "00108801234\xff", []string{"không hợp lệ", "invalid characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAt(tt.in, now)
			if err == nil {
				t.Fatalf("ParseAt(%q) accepted", tt.in)
			}
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Field != Field {
				t.Fatalf("error %#v is not a FieldError on %s", err, Field)
			}
			for _, w := range tt.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("message %q lacks %q", e.Message, w)
				}
			}
			if len(tt.in) >= 6 && strings.Contains(e.Message, strings.TrimSpace(tt.in)) {
				t.Errorf("message %q repeats the ID", e.Message)
			}
		})
	}
}

func TestCenturyDigits(t *testing.T) {
	// Circular 07/2016/TT-BCA Art. 7: 0/1 1900s, 2/3 2000s, 4/5 2100s, 6/7 2200s, 8/9 2300s.
	far := time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := 0; d <= 9; d++ {
		s := "001" + string(rune('0'+d)) + "42" + "000000"
		id, err := ParseAt(s, far)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if want := 1900 + 100*(d/2) + 42; id.BirthYear != want {
			t.Errorf("%s: year %d, want %d", s, id.BirthYear, want)
		}
		if want := Gender(d % 2); id.Gender != want {
			t.Errorf("%s: gender %v, want %v", s, id.Gender, want)
		}
	}
}

func TestFutureUsesVietnamTime(t *testing.T) {
	// 31/12/2026 17:30 UTC is already 01/01/2027 00:30 in Vietnam: 2027 is not future.
	now := time.Date(2026, 12, 31, 17, 30, 0, 0, time.UTC)
	if _, err := ParseAt("001227000000", now); err != nil {
		t.Fatalf("born 2027 refused at 2027-01-01 00:30 ICT: %v", err)
	}
}

func TestProvinces(t *testing.T) {
	ps := Provinces()
	if len(ps) != 63 {
		t.Fatalf("%d codes, want 63", len(ps))
	}
	current := map[string]bool{}
	seen := map[string]bool{}
	for i, p := range ps {
		if len(p.Code) != 3 || seen[p.Code] {
			t.Errorf("bad or duplicate code %q", p.Code)
		}
		if i > 0 && ps[i-1].Code >= p.Code {
			t.Errorf("codes out of order at %s", p.Code)
		}
		seen[p.Code] = true
		current[p.Current] = true
	}
	if len(current) != 34 {
		t.Fatalf("%d current provinces, want 34 (Resolution 202/2025/QH15)", len(current))
	}
	for c := range current {
		// every surviving name is also the name of one of the 63 (Huế was Thừa Thiên Huế).
		found := c == "Huế"
		for _, p := range ps {
			found = found || p.Name == c
		}
		if !found {
			t.Errorf("current province %q is not one of the 63", c)
		}
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"001088012345", "001******345"},
		{"", ""},
		{"12345", "*****"},
		{"0010880123456789", "************"},
		{"00108801234é", "001******34é"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	id, err := ParseAt("001088012345", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if got := id.String(); got != "001******345" {
		t.Errorf("ID.String() = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"001088012345", "", "abc", "003088012345", "001999000000"} {
		f.Add(s)
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseAt(s, now)
		if err == nil && (len(id.Raw) != Length || id.BirthYear > 2026 || id.ProvinceName == "") {
			t.Fatalf("accepted %q as %+v", s, id)
		}
		if m := Mask(s); len([]rune(m)) > Length {
			t.Fatalf("Mask(%q) too long", s)
		}
	})
}
