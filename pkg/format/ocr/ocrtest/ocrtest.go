// Package ocrtest makes the test data of the OCR: pages of known Vietnamese
// text and specimen citizen identity cards (front and back, marked
// "MẪU — SPECIMEN", made-up numbers, the machine-readable zone in OCR-B from
// Debian's fonts-ocr-b), printed and scanned like scantest's dossiers: skew,
// paper noise, dust, JPEG, at 200 or 300 dpi. No real person's data.
package ocrtest

import (
	"fmt"
	"image"
	"image/draw"
	"math"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/go-fonts/dejavu/dejavusans"
	"github.com/go-fonts/dejavu/dejavusansbold"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/sohoa/sohoa/pkg/format/mrz"
	"github.com/sohoa/sohoa/pkg/format/mrz/mrztest"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

// OCRBPath is where Debian's fonts-ocr-b installs OCR-B, the font of
// machine-readable zones (ICAO Doc 9303 Part 3 §4.1). The "Sharp" cut: the
// regular OCRB.otf draws no '8' and no '<' through golang.org/x/image's CFF
// rasteriser.
const OCRBPath = "/usr/share/fonts/opentype/ocr-b/OCRBS.otf"

// printDPI is the resolution pages are drawn at before being "scanned".
const printDPI = 300

// A4 in millimetres.
const a4W, a4H = 210.0, 297.0

// Scan is how a printed sheet is scanned.
type Scan struct {
	DPI     int     // default 200
	Skew    float64 // degrees, positive clockwise
	Rotate  int     // 0, 90, 180 or 270: the sheet fed sideways or upside down
	Noise   int     // paper noise in grey levels; default 10, negative for none
	Quality int     // JPEG quality; default 80
	Seed    uint64
}

func (s Scan) withDefaults() Scan {
	if s.DPI == 0 {
		s.DPI = 200
	}
	if s.Noise == 0 {
		s.Noise = 10
	}
	if s.Noise < 0 {
		s.Noise = 0
	}
	if s.Quality == 0 {
		s.Quality = 80
	}
	return s
}

// Fonts are the faces the generator draws with.
type Fonts struct {
	regular, bold, ocrb *opentype.Font
}

// LoadFonts parses DejaVu Sans (embedded) and OCR-B (from OCRBPath).
func LoadFonts() (*Fonts, error) {
	r, err := opentype.Parse(dejavusans.TTF)
	if err != nil {
		return nil, err
	}
	b, err := opentype.Parse(dejavusansbold.TTF)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(OCRBPath)
	if err != nil {
		return nil, fmt.Errorf("ocrtest: OCR-B font (Debian package fonts-ocr-b): %w", err)
	}
	o, err := opentype.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("ocrtest: parse OCR-B: %w", err)
	}
	return &Fonts{regular: r, bold: b, ocrb: o}, nil
}

func (f *Fonts) face(ft *opentype.Font, size float64) font.Face {
	face, _ := opentype.NewFace(ft, &opentype.FaceOptions{Size: size, DPI: printDPI, Hinting: font.HintingNone})
	return face
}

func mm(v float64) int { return int(math.Round(v / 25.4 * printDPI)) }

func white(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	return img
}

// TextPage draws lines of text on an A4 sheet (11 pt DejaVu Sans, a 14 pt
// bold title), as a form filled on a computer and printed.
func (f *Fonts) TextPage(title string, lines []string) *image.Gray {
	img := white(mm(a4W), mm(a4H))
	d := &font.Drawer{Dst: img, Src: image.Black}
	d.Face = f.face(f.bold, 14)
	tw := d.MeasureString(title).Ceil()
	d.Dot = fixed.P((img.Bounds().Dx()-tw)/2, mm(25))
	d.DrawString(title)
	d.Face = f.face(f.regular, 11)
	y := mm(38)
	for _, l := range lines {
		d.Dot = fixed.P(mm(22), y)
		d.DrawString(l)
		y += mm(7)
	}
	return img
}

// Card is a specimen citizen identity card. All data are made up.
type Card struct {
	ID          string // 12 digits
	Name        string // full name with diacritics, upper case as printed
	Birth       mrz.Date
	Sex         string // "M" or "F"
	Expiry      *mrz.Date
	Nationality string // "Việt Nam"
	Hometown    string
	Residence   string
}

// MRZ returns the card's machine-readable zone (Vietnamese layout: ID card,
// VNM, the last 9 digits of the ID as document number, the whole ID in the
// optional data).
func (c Card) MRZ() ([3]string, error) {
	sur, given, _ := strings.Cut(Fold(c.Name), " ")
	return mrztest.Encode("ID", "VNM", c.ID[3:], c.ID, c.Birth, c.Sex, c.Expiry, "VNM", "", sur, given)
}

// Fold removes Vietnamese diacritics and upper-cases, as the MRZ prints names.
func Fold(s string) string { return mrz.Fold(s) }

// cardW, cardH is the ID-1 card format (ISO/IEC 7810), in mm.
const cardW, cardH = 85.6, 54.0

// CardSheet draws one side of the card (back when back is true) on an A4
// sheet, the card at the sheet's top left, as a clerk lays it on the
// scanner's glass.
func (f *Fonts) CardSheet(c Card, back bool) (*image.Gray, error) {
	img := white(mm(a4W), mm(a4H))
	ox, oy := mm(15), mm(15)
	cardOutline(img, ox, oy)
	d := &font.Drawer{Dst: img, Src: image.Black}
	at := func(xmm, ymm float64, face font.Face, s string) {
		d.Face = face
		d.Dot = fixed.P(ox+mm(xmm), oy+mm(ymm))
		d.DrawString(s)
	}
	small, label, bold := f.face(f.regular, 5.5), f.face(f.regular, 6), f.face(f.bold, 7.5)
	if !back {
		at(22, 6, f.face(f.bold, 6.5), "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM")
		at(30, 9.5, small, "Độc lập - Tự do - Hạnh phúc")
		at(28, 14, f.face(f.bold, 9), "CĂN CƯỚC CÔNG DÂN")
		at(4, 20, small, "MẪU — SPECIMEN")
		at(26, 20, label, "Số định danh cá nhân / Personal identification number:")
		at(26, 24.5, f.face(f.bold, 9), c.ID)
		at(26, 29, label, "Họ, chữ đệm và tên khai sinh / Full name:")
		at(26, 33, bold, c.Name)
		at(26, 37.5, label, fmt.Sprintf("Ngày sinh / Date of birth: %02d/%02d/%04d", c.Birth.Day, c.Birth.Month, c.Birth.Year))
		sex := "Nam"
		if c.Sex == "F" {
			sex = "Nữ"
		}
		at(26, 41.5, label, "Giới tính / Sex: "+sex+"    Quốc tịch / Nationality: "+c.Nationality)
		at(26, 45.5, label, "Quê quán: "+c.Hometown)
		at(26, 49.5, label, "Nơi thường trú: "+c.Residence)
		// A photo placeholder.
		for y := oy + mm(24); y < oy+mm(48); y++ {
			for x := ox + mm(4); x < ox+mm(22); x++ {
				img.Pix[y*img.Stride+x] = 200
			}
		}
	} else {
		at(4, 6, small, "MẪU — SPECIMEN")
		at(4, 11, label, "Đặc điểm nhân dạng: không")
		exp := "Không thời hạn"
		if c.Expiry != nil {
			exp = c.Expiry.String()
		}
		at(4, 16, label, "Có giá trị đến / Date of expiry: "+exp)
		lines, err := c.MRZ()
		if err != nil {
			return nil, err
		}
		// ICAO Doc 9303 Part 5: TD1 zone, 10 characters per inch, OCR-B.
		ocrb := f.face(f.ocrb, 10)
		for i, l := range lines {
			at(4, 36+float64(i)*5.2, ocrb, l)
		}
	}
	return img, nil
}

// Print scans a sheet drawn by this package: rotate, skew, resample, noise,
// dust. The result is the scanner's grey image at s.DPI.
func Print(sheet *image.Gray, s Scan) *image.Gray {
	s = s.withDefaults()
	img := scantest.Transform(sheet, printDPI, s.DPI, s.Skew)
	switch ((s.Rotate % 360) + 360) % 360 {
	case 90:
		img = Rotate90(img)
	case 180:
		img = Rotate90(Rotate90(img))
	case 270:
		img = Rotate90(Rotate90(Rotate90(img)))
	}
	rng := rand.New(rand.NewPCG(s.Seed, 0x5ca))
	if s.Noise > 0 {
		a := uint64(s.Noise + 1)
		for i := range img.Pix {
			n := int(rng.Uint64N(a))
			img.Pix[i] = uint8(max(int(img.Pix[i])-n, 0))
		}
	}
	b := img.Bounds()
	for range 30 {
		x, y := rng.IntN(b.Dx()-3), rng.IntN(b.Dy()-3)
		img.Pix[y*img.Stride+x] = uint8(40 + rng.IntN(60))
	}
	return img
}

// Rotate90 turns an image a quarter turn clockwise.
func Rotate90(src *image.Gray) *image.Gray {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewGray(image.Rect(0, 0, h, w))
	for y := range h {
		for x := range w {
			dst.Pix[x*dst.Stride+(h-1-y)] = src.Pix[y*src.Stride+x]
		}
	}
	return dst
}

// PDF encodes scanned images as JPEG at their DPI and wraps them into an A4
// PDF, one page each, as scanner software writes it.
func PDF(imgs []*image.Gray, s Scan) ([]byte, error) {
	s = s.withDefaults()
	jpegs, err := scantest.EncodeJPEGs(imgs, s.DPI, s.Quality)
	if err != nil {
		return nil, err
	}
	return scantest.PDF(jpegs)
}

// Specimen returns the n-th made-up card: a valid 12-digit ID whose digits
// agree with the birth year and sex, a name from a list, an expiry date.
func Specimen(n int) Card {
	rng := rand.New(rand.NewPCG(uint64(n), 0xcccd))
	provinces := []string{"001", "079", "031", "048", "038", "092", "026", "036"}
	surnames := []string{"NGUYỄN", "TRẦN", "LÊ", "PHẠM", "HOÀNG", "VŨ", "ĐẶNG", "BÙI", "ĐỖ", "HỒ"}
	middles := []string{"VĂN", "THỊ", "HỮU", "MINH", "THANH", "ĐỨC", "NGỌC", "QUỐC"}
	givens := []string{"AN", "BÌNH", "CƯỜNG", "DUNG", "GIANG", "HÀ", "KHOA", "LINH", "MAI", "NAM", "PHƯƠNG", "QUÂN", "THẢO", "TUẤN", "YẾN"}
	year := 1950 + rng.IntN(56)
	sex := "M"
	if rng.IntN(2) == 1 {
		sex = "F"
	}
	cg := 2 * ((year - 1900) / 100)
	if sex == "F" {
		cg++
	}
	id := fmt.Sprintf("%s%d%02d%06d", provinces[rng.IntN(len(provinces))], cg, year%100, rng.IntN(1_000_000))
	birth := mrz.Date{Year: year, Month: 1 + rng.IntN(12), Day: 1 + rng.IntN(28)}
	exp := &mrz.Date{Year: 2027 + rng.IntN(20), Month: birth.Month, Day: birth.Day}
	if year < 1965 {
		exp = nil
	}
	return Card{
		ID:          id,
		Name:        surnames[rng.IntN(len(surnames))] + " " + middles[rng.IntN(len(middles))] + " " + givens[rng.IntN(len(givens))],
		Birth:       birth,
		Sex:         sex,
		Expiry:      exp,
		Nationality: "Việt Nam",
		Hometown:    "xã Đông Hưng, tỉnh Thái Bình",
		Residence:   "số 12 ngõ 34 phố Quán Thánh, Ba Đình, Hà Nội",
	}
}

// BirthDeclaration is a filled birth-registration declaration (TKKS, the form
// of Circular 04/2024/TT-BTP) with made-up data, one string a printed line.
var BirthDeclaration = []string{
	"Kính gửi: Uỷ ban nhân dân phường Ba Đình, thành phố Hà Nội",
	"Họ, chữ đệm, tên người yêu cầu: Nguyễn Thị Thuỳ Dương",
	"Nơi cư trú: số 12 ngõ 34 phố Quán Thánh, phường Ba Đình",
	"Giấy tờ tuỳ thân: Căn cước số 001189012345",
	"Quan hệ với người được khai sinh: mẹ đẻ",
	"Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:",
	"Họ, chữ đệm, tên: Trần Minh Khôi",
	"Ngày, tháng, năm sinh: 15/08/2025",
	"ghi bằng chữ: ngày mười lăm tháng tám năm hai nghìn hai mươi lăm",
	"Giới tính: Nam   Dân tộc: Kinh   Quốc tịch: Việt Nam",
	"Nơi sinh: Bệnh viện Phụ sản Hà Nội",
	"Quê quán: xã Đông Hưng, tỉnh Thái Bình",
	"Họ, chữ đệm, tên người mẹ: Nguyễn Thị Thuỳ Dương",
	"Năm sinh: 1989   Dân tộc: Kinh   Quốc tịch: Việt Nam",
	"Họ, chữ đệm, tên người cha: Trần Văn Lĩnh",
	"Năm sinh: 1987   Dân tộc: Kinh   Quốc tịch: Việt Nam",
	"Tôi cam đoan nội dung đề nghị đăng ký trên đây là đúng sự thật.",
	"Làm tại: Hà Nội, ngày 20 tháng 8 năm 2025",
}

// BirthDeclarationTitle is the title printed above BirthDeclaration.
const BirthDeclarationTitle = "TỜ KHAI ĐĂNG KÝ KHAI SINH"

// CriminalRecordRequest is a filled request for a criminal record
// certificate (TKLLTP, form 03/2024/LLTP) with made-up data.
var CriminalRecordRequest = []string{
	"Kính gửi: Sở Tư pháp thành phố Hà Nội",
	"Họ và tên: Lê Hoàng Yến",
	"Giới tính: Nữ",
	"Ngày, tháng, năm sinh: 02/03/1995",
	"Nơi sinh: thành phố Huế",
	"Số định danh cá nhân: 046195012345",
	"Nơi thường trú: số 5 đường Lê Lợi, phường Phú Hội, Huế",
	"Tình trạng án tích: không",
	"Mục đích sử dụng Phiếu lý lịch tư pháp: bổ sung hồ sơ xin việc",
	"Làm tại: Hà Nội, ngày 10 tháng 11 năm 2026",
}

// CriminalRecordRequestTitle is the title printed above CriminalRecordRequest.
const CriminalRecordRequestTitle = "TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP"
