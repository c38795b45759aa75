package pades

import (
	"bytes"
	"testing"
)

func TestRenderAppearance(t *testing.T) {
	lĩnh, err := renderAppearance([]string{"Ký bởi: Nguyễn Thị Lĩnh"}, boxW, boxH)
	if err != nil {
		t.Fatal(err)
	}
	linh, err := renderAppearance([]string{"Ký bởi: Nguyen Thi Linh"}, boxW, boxH)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(lĩnh.img.Pix, linh.img.Pix) {
		t.Error("diacritics are not drawn")
	}
	inked := 0
	for i := 3; i < len(lĩnh.img.Pix); i += 4 {
		if lĩnh.img.Pix[i] != 0 && lĩnh.img.Pix[i-1] > lĩnh.img.Pix[i-3] { // blue ink
			inked++
		}
	}
	if inked < 500 {
		t.Errorf("only %d text pixels", inked)
	}
	if _, err := renderAppearance([]string{"\U000F0000"}, boxW, boxH); err == nil {
		t.Error("a character without a glyph was accepted")
	}
	long := []string{"Ký bởi: Nguyễn Thị Lĩnh, Chủ tịch Ủy ban nhân dân phường Bến Nghé, quận 1, Thành phố Hồ Chí Minh"}
	if _, err := renderAppearance(long, boxW, boxH); err != nil {
		t.Errorf("long text: %v", err)
	}
}

func TestTextString(t *testing.T) {
	for _, s := range []string{"Nguyễn Thị Lĩnh", "Ĩ(", "ascii", ""} {
		enc := textString(s)
		if bytes.ContainsAny([]byte(enc), "()\\") {
			t.Errorf("%q → %s has literal-string delimiters", s, enc)
		}
	}
}
