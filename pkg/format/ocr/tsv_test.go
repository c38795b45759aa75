package ocr

import (
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/format/scan"
)

func TestParseTSV(t *testing.T) {
	in := "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n" +
		"1\t1\t0\t0\t0\t0\t0\t0\t1654\t2339\t-1\t\n" +
		"4\t1\t1\t1\t1\t0\t173\t182\t500\t30\t-1\t\n" +
		"5\t1\t1\t1\t1\t1\t173\t182\t120\t30\t96.5\tGiấy\n" +
		"5\t1\t1\t1\t1\t2\t300\t182\t100\t30\t91\tkhai\n" +
		"5\t1\t1\t1\t2\t1\t173\t230\t80\t30\t95\t \n" +
		"5\t1\t2\t1\t1\t1\t173\t300\t80\t31\t40.25\tsinh\n"
	ws, err := parseTSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 3 || ws[0].Text != "Giấy" || ws[0].Box != (box{173, 182, 120, 30}) || ws[0].Conf != 96.5 ||
		ws[2].Block != 2 || ws[2].Conf != 40.25 {
		t.Fatalf("%+v", ws)
	}
	for _, bad := range []string{"5\t1\t1\t1\t1\t1\tx\t182\t120\t30\t96\tword\n", "5\t1\t1\t1\t1\t1\t1\t182\t120\t30\tnan?\tword\n"} {
		if _, err := parseTSV(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzParseTSV(f *testing.F) {
	f.Add("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n5\t1\t1\t1\t1\t1\t173\t182\t120\t30\t96.5\tGiấy\n")
	f.Fuzz(func(t *testing.T, s string) {
		ws, err := parseTSV(strings.NewReader(s))
		if err == nil && len(ws) > maxTSVWords {
			t.Fatal("word limit not held")
		}
		_ = place(ws, &scan.PageImage{Width: 100, Height: 100, PageWidth: 595, PageHeight: 842}, 180)
	})
}
