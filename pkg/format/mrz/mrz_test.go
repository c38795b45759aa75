package mrz_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/format/mrz"
	"github.com/sohoa/sohoa/pkg/format/mrz/mrztest"
)

var now = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// The ICAO Doc 9303 Part 5 Appendix A specimen (TD1), check digits as printed there.
const icaoSpecimen = "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"

func TestCheckDigit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want byte
	}{
		{"D23145890", '7'}, // ICAO Part 5 specimen document number
		{"740812", '2'},    // its birth date
		{"120415", '9'},    // its expiry
		{"520727", '3'},    // ICAO Part 3 §4.9 example
		{"AB2134<<<", '5'},
		{"", '0'},
	} {
		got, ok := mrz.CheckDigit(tc.in)
		if !ok || got != tc.want {
			t.Errorf("CheckDigit(%q) = %c,%v; want %c", tc.in, got, ok, tc.want)
		}
	}
	if _, ok := mrz.CheckDigit("ab"); ok {
		t.Error("lower case accepted")
	}
}

func TestParseICAOSpecimen(t *testing.T) {
	td, err := mrz.Parse(icaoSpecimen, now)
	if err != nil {
		t.Fatal(err)
	}
	if !td.Valid() {
		t.Fatalf("checks failed: %v", td.FailedChecks())
	}
	if td.DocumentCode != "I" || td.IssuingState != "UTO" || td.DocumentNumber != "D23145890" ||
		td.BirthDate != (mrz.Date{1974, 8, 12}) || td.Sex != "F" || td.Expiry == nil || *td.Expiry != (mrz.Date{2012, 4, 15}) ||
		td.Nationality != "UTO" || td.Surname != "ERIKSSON" || td.GivenNames != "ANNA MARIA" {
		t.Errorf("fields: %+v", td)
	}
}

func vnCard(t *testing.T) [3]string {
	t.Helper()
	l, err := mrztest.Encode("ID", "VNM", "203012345", "001203012345", mrz.Date{2003, 5, 17}, "M", &mrz.Date{2028, 5, 17}, "VNM", "", "NGUYEN", "VAN AN")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestEncodeParseVietnameseCard(t *testing.T) {
	l := vnCard(t)
	td, err := mrz.Parse(strings.Join(l[:], "\n"), now)
	if err != nil {
		t.Fatal(err)
	}
	if !td.Valid() || td.PersonalID() != "001203012345" || td.FullName() != "NGUYEN VAN AN" ||
		td.BirthDate.Year != 2003 || td.Sex != "M" || td.Expiry.Year != 2028 {
		t.Fatalf("%+v %v", td, td.FailedChecks())
	}
}

func TestParseDetectsEachCheckDigit(t *testing.T) {
	l := vnCard(t)
	for _, tc := range []struct {
		line, pos int
		to        byte
		field     string
	}{
		{0, 14, '0', "document number"}, // the check digit itself
		{0, 7, '9', "document number"},  // a digit of the number
		{1, 5, '1', "birth date"},
		{1, 13, '1', "expiry date"},
		{0, 20, '7', "composite"}, // optional data only in the composite
		{1, 29, '0', "composite"},
	} {
		m := l
		b := []byte(m[tc.line])
		if b[tc.pos] == tc.to {
			tc.to++
		}
		b[tc.pos] = tc.to
		m[tc.line] = string(b)
		td, err := mrz.Parse(strings.Join(m[:], "\n"), now)
		if err != nil {
			t.Fatalf("%v: %v", tc, err)
		}
		failed := td.FailedChecks()
		found := false
		for _, f := range failed {
			found = found || f == tc.field
		}
		if td.Valid() || !found {
			t.Errorf("change at line %d pos %d: failed %v, want %s among them", tc.line+1, tc.pos+1, failed, tc.field)
		}
	}
}

func TestParseRefusesMalformed(t *testing.T) {
	l := vnCard(t)
	for name, text := range map[string]string{
		"two lines":   l[0] + "\n" + l[1],
		"short line":  l[0][:29] + "\n" + l[1] + "\n" + l[2],
		"bad char":    strings.Replace(l[0], "ID", "I#", 1) + "\n" + l[1] + "\n" + l[2],
		"bad month":   l[0] + "\n" + "031317" + l[1][6:] + "\n" + l[2],
		"bad sex":     l[0] + "\n" + l[1][:7] + "Q" + l[1][8:] + "\n" + l[2],
		"no name":     l[0] + "\n" + l[1] + "\n" + strings.Repeat("<", 30),
		"digit first": "1" + l[0][1:] + "\n" + l[1] + "\n" + l[2],
	} {
		if _, err := mrz.Parse(text, now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFindInOCRNoise(t *testing.T) {
	l := vnCard(t)
	// What OCR makes of a zone: spaces, a lost run of fillers, O for 0 in the birth date, « for <<.
	ocr := "CĂN CƯỚC\nQuê quán: Hà Nội\n" +
		strings.ReplaceAll(l[0], "<<", "«") + "\n" +
		strings.Replace(l[1][:6], "0", "O", 1) + " " + l[1][6:] + "\n" +
		strings.TrimRight(l[2], "<") + "<<<<<<<<\n"
	td, err := mrz.Find(ocr, now)
	if err != nil {
		t.Fatal(err)
	}
	if !td.Valid() || td.PersonalID() != "001203012345" {
		t.Fatalf("%+v failed %v", td, td.FailedChecks())
	}
	if _, err := mrz.Find("no zone here\nnor here", now); err == nil {
		t.Error("found a zone in prose")
	}
}

func TestBirthCentury(t *testing.T) {
	l, _ := mrztest.Encode("ID", "VNM", "088012345", "001088012345", mrz.Date{1988, 1, 2}, "F", nil, "VNM", "", "LE", "THI HOA")
	td, err := mrz.Parse(strings.Join(l[:], "\n"), now)
	if err != nil || !td.Valid() {
		t.Fatal(err, td)
	}
	if td.BirthDate.Year != 1988 || td.Expiry != nil {
		t.Errorf("birth %v expiry %v", td.BirthDate, td.Expiry)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(icaoSpecimen)
	l, _ := mrztest.Encode("ID", "VNM", "203012345", "001203012345", mrz.Date{2003, 5, 17}, "M", &mrz.Date{2028, 5, 17}, "VNM", "", "NGUYEN", "VAN AN")
	f.Add(strings.Join(l[:], "\n"))
	f.Fuzz(func(t *testing.T, s string) {
		td, err := mrz.Parse(s, now)
		if err == nil {
			// Recomputing every check digit agrees with Valid.
			again, err := mrz.Parse(strings.Join(td.Lines[:], "\n"), now)
			if err != nil || again.Valid() != td.Valid() {
				t.Fatalf("reparse of %q: %v", td.Lines, err)
			}
		}
		_, _ = mrz.Find(s, now)
	})
}

func TestNameMatches(t *testing.T) {
	l := vnCard(t)
	td, err := mrz.Parse(strings.Join(l[:], "\n"), now)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"Nguyễn Văn An": true, "NGUYEN VAN AN": true, "nguyễn văn an": true,
		"Nguyễn Văn Anh": false, "Nguyễn An": false, "Trần Văn An": false, "": false,
	} {
		if got := td.NameMatches(name); got != want {
			t.Errorf("NameMatches(%q) = %v", name, got)
		}
	}
	// OCR read fillers as K and X, or put a K after one: the name still matches.
	noisy := strings.Join([]string{l[0], l[1], "NGUYEN<<VANKAN<<<<<<K<K<<X<<<<"}, "\n")
	td, err = mrz.Parse(noisy, now)
	if err != nil {
		t.Fatal(err)
	}
	if !td.NameMatches("Nguyễn Văn An") || td.NameMatches("Nguyễn Văn Anh") {
		t.Errorf("noisy zone %q", td.Lines[2])
	}
	td, _ = mrz.Parse(strings.Join([]string{l[0], l[1], "VU<<HUU<YEN<<<<<<<<<<<<<KK<K<K"}, "\n"), now)
	if td.FullName() != "VU HUU YEN" {
		t.Errorf("full name %q", td.FullName())
	}
	if mrz.Fold("Đặng Thị Ưng") != "DANG THI UNG" {
		t.Error(mrz.Fold("Đặng Thị Ưng"))
	}
}

func TestNameMatchesInsertedK(t *testing.T) {
	l := vnCard(t)
	td, err := mrz.Parse(strings.Join([]string{l[0], l[1], "NGUYEN<<VAN<KAN<<<<<<<<<<<<<<<"}, "\n"), now)
	if err != nil {
		t.Fatal(err)
	}
	if !td.NameMatches("Nguyễn Văn An") || td.NameMatches("Nguyễn Văn Bình") {
		t.Errorf("%q", td.Lines[2])
	}
}

func TestFindAcrossReads(t *testing.T) {
	l := vnCard(t)
	bad1 := []byte(l[0])
	bad1[8] = '7' // a digit of the document number misread
	bad2 := []byte(l[1])
	bad2[3] = '9' // a digit of the birth date misread
	// Two passes over the zone, each with one line wrong.
	ocr := string(bad1) + "\n" + l[1] + "\n" + l[2] + "\n\n" + l[0] + "\n" + string(bad2) + "\n" + l[2] + "\n"
	td, err := mrz.Find(ocr, now)
	if err != nil || !td.Valid() || td.PersonalID() != "001203012345" {
		t.Fatalf("%v %+v", err, td)
	}
	// Lines that are each wrong in every read stay wrong.
	if td, err := mrz.Find(string(bad1)+"\n"+string(bad2)+"\n"+l[2], now); err != nil || td.Valid() {
		t.Errorf("a zone wrong in every read was taken as valid: %v %+v", err, td)
	}
}

func TestFindVotesOnTheName(t *testing.T) {
	l := vnCard(t)
	// Three reads: the first has an extra letter in the surname, two agree.
	ocr := l[0] + "\n" + l[1] + "\nNGUYENN<<VAN<AN<<<<<<<<<<<<<<\n\n" + l[0] + "\n" + l[1] + "\n" + l[2] + "\n\n" + l[0] + "\n" + l[1] + "\nNGUYEN<<VAN<AN<<<<<<<<<<<<K<K<\n"
	td, err := mrz.Find(ocr, now)
	if err != nil || !td.Valid() || !td.NameMatches("Nguyễn Văn An") {
		t.Fatalf("%v %+v", err, td)
	}
}
