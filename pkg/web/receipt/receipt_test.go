package receipt

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
	"github.com/sohoa/sohoa/pkg/testkit/pdftool"
)

var issued = time.Date(2026, 11, 23, 2, 16, 0, 0, time.UTC) // 09:16 in Vietnam

func birthRegistration() procedure.Procedure {
	return procedure.Procedure{
		Code: "1.001193", Name: "Đăng ký khai sinh", Agency: "000.00.01.H29",
		AgencyName: "Ủy ban nhân dân phường Hoàn Kiếm",
		Components: []procedure.Component{
			{Code: "TOKHAI", Name: "Tờ khai đăng ký khai sinh theo mẫu", Required: true},
			{Code: "GCS", Name: "Giấy chứng sinh", Required: true},
			{Code: "UQ", Name: "Văn bản ủy quyền (nếu có)"},
		},
	}
}

func sampleDossier() *dossier.Dossier {
	return &dossier.Dossier{
		ID: "d1", Code: "000.00.01.H29-261123-0001", Procedure: "1.001193",
		Citizen:    dossier.Citizen{ID: "001199012345", Name: "Nguyễn Thị Lĩnh", Phone: "0912345678"},
		PostOffice: "Bưu cục Hoàn Kiếm, Hà Nội", ReturnByPost: true, ClerkName: "Trần Văn Đức",
		ReceivedAt: time.Date(2026, 11, 23, 2, 15, 0, 0, time.UTC),
		DueAt:      time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), // 16:00 in Vietnam
		Components: []dossier.Component{
			{Code: "TOKHAI", Pages: 2, Source: dossier.SourceScan},
			{Code: "GCS", Pages: 1, Source: dossier.SourceScan},
			{Code: "CCCD", Name: "Căn cước công dân của người đi đăng ký", Source: dossier.SourceVault, DocumentID: "doc-1"},
		},
	}
}

func TestRender(t *testing.T) {
	noComponents := sampleDossier()
	noComponents.Components = nil
	noComponents.ReturnByPost = false
	noComponents.DueAt = time.Time{}

	many := sampleDossier()
	many.Components = nil
	for i := range 70 {
		many.Components = append(many.Components, dossier.Component{
			Code: fmt.Sprintf("C%02d", i), Name: strings.Repeat("Giấy tờ kèm theo số ", 1+i%4) + fmt.Sprint(i), Pages: i + 1, Source: dossier.SourceScan,
		})
	}

	tests := []struct {
		name  string
		d     *dossier.Dossier
		pages int
		want  []string // substrings of pdftotext's output, whitespace-normalized
		not   []string
	}{
		{
			name:  "received components",
			d:     sampleDossier(),
			pages: 1,
			want: []string{
				"GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "Mã hồ sơ: 000.00.01.H29-261123-0001",
				"Đăng ký khai sinh", "1.001193", "Nguyễn Thị Lĩnh", "001199012345", "Bưu cục Hoàn Kiếm, Hà Nội",
				"Ủy ban nhân dân phường Hoàn Kiếm",
				"Thời gian tiếp nhận: 09:15 ngày 23/11/2026", "Thời gian hẹn trả kết quả: 16:00 ngày 25/11/2026",
				"1 TOKHAI Tờ khai đăng ký khai sinh theo mẫu 2 Bản quét", "2 GCS Giấy chứng sinh 1 Bản quét",
				"3 CCCD Căn cước công dân của người đi đăng ký — Kho dữ liệu",
				"Trả kết quả qua bưu chính: Có", "Hệ thống cấp: Sohoa", "Trần Văn Đức",
				"In lúc 09:16 ngày 23/11/2026", "Trang 1/1",
			},
			not: []string{"chưa quét"},
		},
		{
			name:  "before the scan: the procedure's list",
			d:     noComponents,
			pages: 1,
			want: []string{
				"Thành phần hồ sơ theo danh mục (chưa quét):", "1 TOKHAI Tờ khai đăng ký khai sinh theo mẫu — Bản giấy",
				"3 UQ Văn bản ủy quyền (nếu có) — Nếu có", "Thời gian hẹn trả kết quả: chưa xác định",
				"Trả kết quả qua bưu chính: Không",
			},
		},
		{
			name:  "many components flow onto more pages",
			d:     many,
			pages: 3,
			want:  []string{"70 C69", "Trang 1/3", "Trang 3/3", "NHÂN VIÊN BƯU ĐIỆN"},
		},
	}
	font, err := pdffont.NewFont()
	if err != nil {
		t.Fatal(err)
	}
	bold, err := pdffont.NewBoldFont()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdf, err := Render(tt.d, birthRegistration(), Options{Now: issued, Font: font, Bold: bold})
			if err != nil {
				t.Fatal(err)
			}
			conf := model.NewDefaultConfiguration()
			ctx, err := api.ReadValidateAndOptimize(bytes.NewReader(pdf), conf)
			if err != nil {
				t.Fatalf("pdfcpu cannot read the receipt: %v", err)
			}
			if ctx.PageCount != tt.pages {
				t.Errorf("pages = %d, want %d", ctx.PageCount, tt.pages)
			}
			path := pdftool.File(t, pdf)
			text := strings.Join(strings.Fields(pdftool.Run(t, "pdftotext", "-layout", path, "-")), " ")
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("pdftotext lacks %q in:\n%s", w, text)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(text, w) {
					t.Errorf("pdftotext has %q", w)
				}
			}
			fonts := pdftool.Run(t, "pdffonts", path)
			for _, f := range []string{"+DejaVuSans ", "+DejaVuSans-Bold "} {
				line := lineWith(fonts, f)
				// name, "CID TrueType", encoding, emb, sub, uni
				if fs := strings.Fields(line); len(fs) < 7 || fs[4] != "yes" || fs[5] != "yes" || fs[6] != "yes" {
					t.Errorf("font %s not embedded as a subset with ToUnicode:\n%s", f, fonts)
				}
			}
			if out := pdftool.Run(t, "qpdf", "--check", path); !strings.Contains(out, "No syntax or stream encoding errors") {
				t.Errorf("qpdf --check:\n%s", out)
			}
		})
	}
}

func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// TestQRCode rasterises the receipt as a printer would and reads the QR code back.
func TestQRCode(t *testing.T) {
	d := sampleDossier()
	pdf, err := Render(d, birthRegistration(), Options{Now: issued})
	if err != nil {
		t.Fatal(err)
	}
	path := pdftool.File(t, pdf)
	prefix := filepath.Join(filepath.Dir(path), "page")
	// Only the top of page 1, where the QR code is (Circular 01/2023: top-left).
	pdftool.Run(t, "pdftoppm", "-png", "-gray", "-r", "150", "-f", "1", "-l", "1", "-x", "0", "-y", "0", "-W", "700", "-H", "400", "-singlefile", path, prefix)
	f, err := os.Open(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("no QR code found on the rendered receipt: %v", err)
	}
	got, err := ParsePayload(res.GetText())
	if err != nil {
		t.Fatal(err)
	}
	vn := time.FixedZone("", 7*3600)
	want := Payload{
		Version: 1, Document: DocumentName, DossierCode: d.Code, Procedure: "1.001193",
		ApplicantID: "001199012345", System: "Sohoa",
		IssuedAt: issued.In(vn), DueAt: d.DueAt.In(vn),
	}
	if !got.IssuedAt.Equal(want.IssuedAt) || !got.DueAt.Equal(want.DueAt) {
		t.Errorf("times = %v, %v; want %v, %v", got.IssuedAt, got.DueAt, want.IssuedAt, want.DueAt)
	}
	got.IssuedAt, got.DueAt, want.IssuedAt, want.DueAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("payload = %+v\nwant      %+v", got, want)
	}
	if !strings.Contains(res.GetText(), `"thoiGian":"2026-11-23T09:16:00+07:00"`) {
		t.Errorf("issue time not in Vietnam's offset: %s", res.GetText())
	}
}

func TestRenderInvalid(t *testing.T) {
	noCode := sampleDossier()
	noCode.Code = ""
	noID := sampleDossier()
	noID.Citizen.ID = ""
	other := birthRegistration()
	other.Code = "1.000000"
	tests := []struct {
		name string
		d    *dossier.Dossier
		p    procedure.Procedure
	}{
		{"no dossier", nil, birthRegistration()},
		{"no code", noCode, birthRegistration()},
		{"no citizen ID", noID, birthRegistration()},
		{"another procedure", sampleDossier(), other},
		{"procedure without code", sampleDossier(), procedure.Procedure{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(tt.d, tt.p, Options{Now: issued})
			if errs.KindOf(err) != errs.Invalid {
				t.Errorf("err = %v, want an Invalid error", err)
			}
		})
	}
}

func TestPayload(t *testing.T) {
	vn := time.FixedZone("", 7*3600)
	tests := []struct {
		name    string
		p       Payload
		wantErr bool
	}{
		{"ascii", Payload{Version: 1, Document: DocumentName, DossierCode: "X-1", Procedure: "1.1", ApplicantID: "001", System: "Sohoa", IssuedAt: issued.In(vn)}, false},
		{"non-ASCII escaped", Payload{Version: 1, Document: "Giấy 𝔸", DossierCode: "Đ-1", Procedure: "1.1", ApplicantID: "001", System: "Sohoa", IssuedAt: issued.In(vn)}, false},
		{"missing applicant", Payload{Version: 1, DossierCode: "X", Procedure: "1.1", IssuedAt: issued}, true},
		{"wrong version", Payload{Version: 2, DossierCode: "X", Procedure: "1.1", ApplicantID: "1", IssuedAt: issued}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, err := tt.p.Encode()
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range text {
				if r > 0x7e {
					t.Fatalf("payload not ASCII: %q", text)
				}
			}
			got, err := ParsePayload(text)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParsePayload(%s) err = %v, wantErr %v", text, err, tt.wantErr)
			}
			if err == nil && (got.Document != tt.p.Document || got.DossierCode != tt.p.DossierCode || !got.IssuedAt.Equal(tt.p.IssuedAt)) {
				t.Errorf("round trip = %+v, want %+v", got, tt.p)
			}
		})
	}
	if _, err := ParsePayload(strings.Repeat(" ", maxPayload+1)); err == nil {
		t.Error("oversized payload accepted")
	}
	if _, err := ParsePayload(`{"v":1,"maHoSo":"X","maTTHC":"1","maDinhDanh":"1","extra":1}`); err == nil {
		t.Error("unknown field accepted")
	}
}

func BenchmarkRender(b *testing.B) {
	font, err := pdffont.NewFont()
	if err != nil {
		b.Fatal(err)
	}
	bold, err := pdffont.NewBoldFont()
	if err != nil {
		b.Fatal(err)
	}
	d, p := sampleDossier(), birthRegistration()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(d, p, Options{Now: issued, Font: font, Bold: bold}); err != nil {
			b.Fatal(err)
		}
	}
}
