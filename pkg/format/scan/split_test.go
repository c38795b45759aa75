package scan_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/sohoa/sohoa/pkg/race"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/format/scan/scantest"
)

func text(n int, title string) []scantest.Sheet {
	out := make([]scantest.Sheet, n)
	for i := range out {
		out[i] = scantest.Text(title)
	}
	return out
}

func sheets(parts ...[]scantest.Sheet) []scantest.Sheet {
	return slices.Concat(parts...)
}

func one(s scantest.Sheet) []scantest.Sheet { return []scantest.Sheet{s} }

type wantComp struct {
	code  string
	pages []int
	blank []int
}

func TestSplit(t *testing.T) {
	if race.Enabled {
		t.Skip("decodes many generated pages: ~20x slower under -race; make heavy runs it without")
	}
	sep := func(code string) []scantest.Sheet {
		return one(scantest.Separator(code, "Thành phần "+code+" của hồ sơ"))
	}
	tests := []struct {
		name    string
		sheets  []scantest.Sheet
		leading []int
		want    []wantComp
	}{
		{
			name:   "three components",
			sheets: sheets(sep("TK-01"), text(2, "Tờ khai"), sep("CCCD"), text(1, "Căn cước"), sep("GCS"), text(3, "Giấy chứng sinh")),
			want: []wantComp{
				{"TK-01", []int{2, 3}, nil},
				{"CCCD", []int{5}, nil},
				{"GCS", []int{7, 8, 9}, nil},
			},
		},
		{
			name:   "last component left out",
			sheets: sheets(sep("TK-01"), text(2, "Tờ khai"), sep("CCCD"), text(1, "Căn cước")),
			want: []wantComp{
				{"TK-01", []int{2, 3}, nil},
				{"CCCD", []int{5}, nil},
			},
		},
		{
			name:   "blank sheet as a component, blank page inside another",
			sheets: sheets(sep("TK-01"), text(1, "Tờ khai"), one(scantest.Blank()), text(1, "Tờ khai"), sep("CCCD"), one(scantest.Blank())),
			want: []wantComp{
				{"TK-01", []int{2, 4}, []int{3}},
				{"CCCD", nil, []int{6}},
			},
		},
		{
			name:    "pages before the first separator, empty component",
			sheets:  sheets(text(2, "Đơn"), sep("A"), sep("B"), text(1, "x")),
			leading: []int{1, 2},
			want: []wantComp{
				{"A", nil, nil},
				{"B", []int{5}, nil},
			},
		},
		{
			name: "duplex: every sheet's back is blank, separators' too",
			sheets: sheets(sep("TK-01"), one(scantest.Blank()), text(1, "Tờ khai"), one(scantest.Blank()), text(1, "Tờ khai"), one(scantest.Blank()),
				sep("CCCD"), one(scantest.Blank()), text(1, "Căn cước"), one(scantest.Blank())),
			want: []wantComp{
				{"TK-01", []int{3, 5}, []int{2, 4, 6}},
				{"CCCD", []int{9}, []int{8, 10}},
			},
		},
		{
			name:   "no separator at all",
			sheets: text(3, "Đơn đề nghị"),
			want:   []wantComp{{"", []int{1, 2, 3}, nil}},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pdf, err := scantest.Dossier(scantest.Spec{Sheets: tt.sheets, Seed: uint64(i), DPI: testDPI})
			if err != nil {
				t.Fatal(err)
			}
			res, err := scan.Split(context.Background(), pdf, scan.DefaultLimits())
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != scan.FormatPDF || len(res.Pages) != len(tt.sheets) {
				t.Fatalf("format %q, %d pages; want pdf, %d", res.Format, len(res.Pages), len(tt.sheets))
			}
			if !slices.Equal(res.Leading, tt.leading) {
				t.Errorf("leading %v, want %v", res.Leading, tt.leading)
			}
			if len(res.Components) != len(tt.want) {
				t.Fatalf("%d components %+v, want %d", len(res.Components), res.Components, len(tt.want))
			}
			for j, w := range tt.want {
				c := res.Components[j]
				if c.Code != w.code || !slices.Equal(c.Pages, w.pages) || !slices.Equal(c.Blank, w.blank) {
					t.Errorf("component %d = %q pages %v blank %v; want %q %v %v", j, c.Code, c.Pages, c.Blank, w.code, w.pages, w.blank)
				}
				checkPDF(t, c.PDF, len(w.pages))
			}
			for k, p := range res.Pages {
				s := tt.sheets[k]
				wantSep := ""
				if s.Kind == scantest.SeparatorSheet {
					wantSep = s.Code
				}
				if p.Separator != wantSep {
					t.Errorf("page %d separator %q, want %q", p.Number, p.Separator, wantSep)
				}
				if p.DPI < float64(testDPI-1) || p.DPI > float64(testDPI+1) {
					t.Errorf("page %d dpi %.1f, want %d", p.Number, p.DPI, testDPI)
				}
			}
		})
	}
}

// checkPDF checks that b is a valid PDF of n pages (nil when n is 0).
func checkPDF(t *testing.T, b []byte, n int) {
	t.Helper()
	if n == 0 {
		if b != nil {
			t.Errorf("PDF of %d bytes for an empty component", len(b))
		}
		return
	}
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	ctx, err := api.ReadAndValidate(bytes.NewReader(b), conf)
	if err != nil {
		t.Fatalf("component PDF invalid: %v", err)
	}
	if ctx.PageCount != n {
		t.Errorf("component PDF has %d pages, want %d", ctx.PageCount, n)
	}
}
