package classify

import (
	"math/rand/v2"
	"testing"
)

// The bit-parallel search gives the dynamic programme's distance.
func TestMyersAgreesWithSellers(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcd "[rng.IntN(5)]
		}
		return string(b)
	}
	for range 3000 {
		p, s := word(1+rng.IntN(64)), word(rng.IntN(120))
		if m, d := myers(p, s), sellers(p, s); m != d {
			t.Fatalf("myers(%q, %q) = %d, sellers %d", p, s, m, d)
		}
	}
}

func TestPhraseSimilarity(t *testing.T) {
	tests := []struct {
		phrase, text string
		want         float64
	}{
		{"Quá trình cư trú", "9. QUÁ TRÌNH CƯ TRÚ (tính từ khi đủ 14 tuổi)", 1},
		{"Quá trình cư trú", "9. QUA TRlNH CU TRU (tinh tu khi du 14 tuoi)", 1 - 1.0/18},
		{"Quá trình cư trú", "nơi cư trú", 1 - 8.0/18}, // " qua trinh" lost, "oi" for "u"
		{"Mẫu CT01", "", 0},
		{"", "anything", 0},
	}
	for _, tt := range tests {
		if got := phraseSimilarity(flat(tt.phrase), flat(tt.text)); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("phraseSimilarity(%q, %q) = %.3f, want %.3f", tt.phrase, tt.text, got, tt.want)
		}
	}
	long := flat("GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT")
	if got := phraseSimilarity(long, flat("... giay chung nhan quyen su dung dat, quyen so huu tai san gan lien voi dat ...")); got != 1 {
		t.Errorf("long phrase: %.3f", got)
	}
}

func TestLineSimilarity(t *testing.T) {
	title := Words("TỜ KHAI ĐĂNG KÝ KHAI SINH")
	tests := []struct {
		line string
		want float64
	}{
		{"TỜ KHAI ĐĂNG KÝ KHAI SINH", 1},
		{"TO KHAl DANG KY KHAI SlNH", 1}, // l for I: one edit a word
		{"TỜ KHAI ĐĂNG KÝ", 4.0 / 6},
		{"Đề nghị cấp bản sao giấy khai sinh cho người dưới đây", 2.0 / 12},
		{"", 0},
	}
	for _, tt := range tests {
		if got := lineSimilarity(title, Words(tt.line)); got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("lineSimilarity(%q) = %.3f, want %.3f", tt.line, got, tt.want)
		}
	}
	for _, tt := range []struct {
		p, w string
		want bool
	}{{"ky", "ky", true}, {"ky", "ki", false}, {"khai", "khal", true}, {"khai", "kbal", false}, {"chungnhan", "chungnbam", true}} {
		if got := sameWord(tt.p, tt.w); got != tt.want {
			t.Errorf("sameWord(%q, %q) = %v", tt.p, tt.w, got)
		}
	}
}
