package textfold_test

import (
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/pkg/format/textfold"
)

func TestFold(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"plain ASCII 123", "plain ASCII 123"},
		{"Đặng Thị Ưng", "Dang Thi Ung"},
		{"đường Nguyễn Huệ", "duong Nguyen Hue"},
		{"ĐỒNG Ý", "DONG Y"},
		{"Ủy ban nhân dân phường Bến Nghé", "Uy ban nhan dan phuong Ben Nghe"},
		{"aàáảãạăằắẳẵặâầấẩẫậ", "aaaaaaaaaaaaaaaaaa"},
		{"oòóỏõọôồốổỗộơờớởỡợ", "oooooooooooooooooo"},
		{"uùúủũụưừứửữự", "uuuuuuuuuuuu"},
		{"yỳýỷỹỵ iìíỉĩị eèéẻẽẹêềếểễệ", "yyyyyy iiiiii eeeeeeeeeeee"},
		// Decomposed input: base letters followed by combining marks.
		{"Nguye\u0302\u0303n", "Nguyen"},
		{norm.NFD.String("Trần Thị Lĩnh"), "Tran Thi Linh"},
		{norm.NFD.String("ĐẶNG"), "DANG"},
		// Other scripts and symbols pass through.
		{"số 12/2025 – 100%", "so 12/2025 – 100%"},
	} {
		if got := textfold.Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
