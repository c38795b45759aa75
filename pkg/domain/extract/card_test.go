package extract

import (
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/format/mrz"
	"github.com/sohoa/sohoa/pkg/format/mrz/mrztest"
	"github.com/sohoa/sohoa/pkg/format/ocr"
)

var now = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func zone(t *testing.T, id, surname, given string, birth mrz.Date, sex string, expiry *mrz.Date) string {
	t.Helper()
	l, err := mrztest.Encode("ID", "VNM", id[3:], id, birth, sex, expiry, "VNM", "", surname, given)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(l[:], "\n")
}

func words(line int, text string) []ocr.Word {
	var ws []ocr.Word
	for _, w := range strings.Fields(text) {
		ws = append(ws, ocr.Word{Text: w, Conf: 93, Line: line})
	}
	return ws
}

func codes(fs []dossier.Finding) map[string]string {
	out := map[string]string{}
	for _, f := range fs {
		out[f.Code] = f.Severity
	}
	return out
}

func TestCheckCard(t *testing.T) {
	const id = "001203012345" // Hà Nội, 2003, male
	good := zone(t, id, "NGUYEN", "VAN AN", mrz.Date{Year: 2003, Month: 5, Day: 17}, "M", &mrz.Date{Year: 2028, Month: 5, Day: 17})
	front := append(words(0, "Số định danh cá nhân / Personal identification number:"), words(1, id)...)
	front = append(front, words(2, "Họ, chữ đệm và tên khai sinh / Full name:")...)
	front = append(front, words(3, "NGUYỄN VĂN AN")...)
	in := dossier.ExtractInput{Component: CardCode, CitizenID: id, CitizenName: "Nguyễn Văn An", Now: now}
	broken := []byte(good)
	broken[20] = '9' // a digit of the personal ID: the composite check fails
	for _, tc := range []struct {
		name  string
		zone  string
		front []ocr.Word
		in    func(*dossier.ExtractInput)
		want  map[string]string // finding code → severity; nil means none
	}{
		{name: "matches", zone: good, front: front},
		{name: "other citizen", zone: good, front: front, in: func(i *dossier.ExtractInput) { i.CitizenID = "001203099999" },
			want: map[string]string{"cccd.id-mismatch": "error"}},
		{name: "other name", zone: good, front: front, in: func(i *dossier.ExtractInput) { i.CitizenName = "Nguyễn Văn Anh" },
			want: map[string]string{"cccd.name-mismatch": "warning"}},
		{name: "name typed without diacritics", zone: good, front: front, in: func(i *dossier.ExtractInput) { i.CitizenName = "nguyen van an" }},
		{name: "expired", zone: zone(t, id, "NGUYEN", "VAN AN", mrz.Date{Year: 2003, Month: 5, Day: 17}, "M", &mrz.Date{Year: 2025, Month: 5, Day: 17}), front: front,
			want: map[string]string{"cccd.expired": "error"}},
		{name: "sex disagrees with the ID", zone: zone(t, id, "NGUYEN", "VAN AN", mrz.Date{Year: 2003, Month: 5, Day: 17}, "F", nil), front: front,
			want: map[string]string{"cccd.id-birth-mismatch": "warning"}},
		{name: "birth year disagrees with the ID", zone: zone(t, id, "NGUYEN", "VAN AN", mrz.Date{Year: 1999, Month: 5, Day: 17}, "M", nil), front: front,
			want: map[string]string{"cccd.id-birth-mismatch": "warning"}},
		{name: "check digits fail", zone: string(broken), front: front,
			want: map[string]string{"cccd.mrz-check-failed": "warning"}},
		{name: "no zone, front differs", front: append(words(0, "Số định danh: 001203099999"), front[1:]...),
			want: map[string]string{"cccd.mrz-unreadable": "warning", "cccd.id-mismatch": "warning"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := in
			if tc.in != nil {
				tc.in(&in)
			}
			pages := []ocr.Page{{Number: 1, Words: tc.front}, {Number: 2, MRZ: tc.zone}}
			fields, findings := checkCard(pages, in)
			got := codes(findings)
			if len(got) != len(tc.want) {
				t.Fatalf("findings %v, want %v", findings, tc.want)
			}
			for c, sev := range tc.want {
				if got[c] != sev {
					t.Errorf("finding %s = %q, want %q (%v)", c, got[c], sev, findings)
				}
			}
			for _, f := range findings {
				if f.Message == "" || f.MessageEN == "" || strings.Contains(f.Message, " / ") {
					t.Errorf("finding %s without its Vietnamese and English messages apart: %q %q", f.Code, f.Message, f.MessageEN)
				}
				if strings.Contains(f.Message, id[3:9]) || strings.Contains(f.MessageEN, id[3:9]) {
					t.Errorf("finding %s prints the whole ID", f.Code)
				}
			}
			if tc.name == "matches" {
				if fields["idNumber"].Value != id || fields["fullName"].Value != "NGUYEN VAN AN" || fields["fullName"].Low ||
					fields["birthDate"].Value != "17/05/2003" || fields["frontIdNumber"].Value != id {
					t.Errorf("fields %+v", fields)
				}
			}
		})
	}
}

func TestFormFieldsFromWords(t *testing.T) {
	var ws []ocr.Word
	for i, l := range []string{
		"Họ, chữ đệm, tên người yêu cầu: Nguyễn Thị Thuỳ Dương",
		"Họ, chữ đệm, tên: Trần Minh Khôi",
		"Ngày, tháng, năm sinh: 15/08/2025",
		"Giới tính: Nam Dân tộc: Kinh",
		"Nơi sinh: Bệnh viện Phụ sản Hà Nội",
		"Họ, chữ đệm, tên người mẹ: Nguyễn Thị Thuỳ Dương",
	} {
		ws = append(ws, words(i, l)...)
	}
	ws[len(ws)-1].Conf = 20 // one badly read word pulls the mother's name under the threshold
	got := forms["TKKS"].extract([]ocr.Page{{Number: 1, Words: ws}})
	for k, want := range map[string]string{"requesterName": "Nguyễn Thị Thuỳ Dương", "childName": "Trần Minh Khôi",
		"birthDate": "15/08/2025", "birthPlace": "Bệnh viện Phụ sản Hà Nội", "motherName": "Nguyễn Thị Thuỳ Dương"} {
		if got[k].Value != want {
			t.Errorf("%s = %q, want %q", k, got[k].Value, want)
		}
	}
	if !got["motherName"].Low || got["childName"].Low {
		t.Errorf("confidence marks: %+v", got)
	}
	if _, ok := got["fatherName"]; ok {
		t.Error("a field that is not on the page was extracted")
	}
}
