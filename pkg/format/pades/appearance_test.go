package pades

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"github.com/sohoa/sohoa/pkg/format/pdffont"
)

// countingWriter keeps the objects the appearance writes.
type countingWriter struct{ objects, streams int }

func (w *countingWriter) Object(types.Dict) (types.IndirectRef, error) {
	w.objects++
	return *types.NewIndirectRef(100+w.objects, 0), nil
}

func (w *countingWriter) Stream(types.Dict, []byte) (types.IndirectRef, error) {
	w.streams++
	return *types.NewIndirectRef(200+w.streams, 0), nil
}

func TestAppearanceIsText(t *testing.T) {
	f, err := pdffont.NewFont()
	if err != nil {
		t.Fatal(err)
	}
	var ow countingWriter
	lĩnh, _, err := appearance(f, []string{"Ký bởi: Nguyễn Thị Lĩnh"}, boxW, boxH, &ow)
	if err != nil {
		t.Fatal(err)
	}
	linh, _, err := appearance(f, []string{"Ký bởi: Nguyen Thi Linh"}, boxW, boxH, &countingWriter{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(lĩnh, linh) {
		t.Error("diacritics are not drawn")
	}
	if !bytes.Contains(lĩnh, []byte(" Tj")) || !bytes.Contains(lĩnh, []byte("/F0 ")) {
		t.Errorf("the appearance does not set text:\n%s", lĩnh)
	}
	// Font program and ToUnicode streams; descriptor, CID font and Type0 font.
	if ow.streams != 2 || ow.objects != 3 {
		t.Errorf("font objects: %d streams, %d dictionaries", ow.streams, ow.objects)
	}
	if _, _, err := appearance(f, []string{"\U000F0000"}, boxW, boxH, &countingWriter{}); err == nil {
		t.Error("a character without a glyph was accepted")
	}
	long := []string{"Ký bởi: Nguyễn Thị Lĩnh, Chủ tịch Ủy ban nhân dân phường Bến Nghé, quận 1, Thành phố Hồ Chí Minh"}
	out, _, err := appearance(f, long, boxW, boxH, &countingWriter{})
	if err != nil {
		t.Fatalf("long text: %v", err)
	}
	if n := strings.Count(string(out), " Tj"); n < 2 {
		t.Errorf("a long line is not wrapped: %d lines", n)
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
