// Package searchtest is the conformance suite every search.Index passes.
package searchtest

import (
	"context"
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/search"
)

// Run checks an empty index.
func Run(t *testing.T, idx search.Index) {
	ctx := context.Background()
	put := func(e search.Entry) {
		t.Helper()
		if err := idx.Put(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	put(search.Entry{Owner: "001203012345", Ref: "doc-1", Kind: "GKS", Title: "Giấy khai sinh", Text: "Họ và tên: Trần Minh Khôi. Nơi sinh: Bệnh viện Phụ sản Hà Nội"})
	put(search.Entry{Owner: "001203012345", Ref: "doc-2", Kind: "CCCD", Title: "Thẻ căn cước", Text: "Số định danh cá nhân 001203012345 Quê quán: Đông Hưng"})
	put(search.Entry{Owner: "079090000001", Ref: "doc-3", Kind: "GKS", Title: "Giấy khai sinh", Text: "Lê Văn Bình"})
	put(search.Entry{Agency: "000.21.29.H29", Ref: "d1/TKKS", Kind: "TKKS", Title: "Tờ khai đăng ký khai sinh", Dossier: "H29-1", Text: "Trần Minh Khôi"})
	put(search.Entry{Agency: "000.00.01.H56", Ref: "d2/TKKS", Kind: "TKKS", Title: "Tờ khai đăng ký khai sinh", Dossier: "H56-1", Text: "Nguyễn Văn Nam"})
	refs := func(s search.Scope, q string) []string {
		t.Helper()
		hits, err := idx.Search(ctx, s, q, 0)
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		var out []string
		for _, h := range hits {
			out = append(out, h.Ref)
		}
		return out
	}
	citizen := search.Scope{Owner: "001203012345"}
	for _, tc := range []struct {
		s    search.Scope
		q    string
		want []string
	}{
		{citizen, "giay khai sinh", []string{"doc-1"}},
		{citizen, "Giấy khai sinh", []string{"doc-1"}},
		{citizen, "KHOI", []string{"doc-1"}},
		{citizen, "dong hung", []string{"doc-2"}},
		{citizen, "binh", nil}, // another citizen's document
		{citizen, "khai sinh cuong", nil},
		{search.Scope{Agency: "000.21.29.H29"}, "tran minh khoi", []string{"d1/TKKS"}},
		{search.Scope{Agency: "000.21.29.H29"}, "nguyen van nam", nil}, // another agency's dossier
	} {
		got := refs(tc.s, tc.q)
		if len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("%+v %q = %v, want %v", tc.s, tc.q, got, tc.want)
		}
	}
	// Put replaces.
	put(search.Entry{Owner: "001203012345", Ref: "doc-1", Kind: "GKS", Title: "Giấy khai sinh", Text: "Trần Minh Khang"})
	if got := refs(citizen, "khoi"); len(got) != 0 {
		t.Errorf("replaced entry still found: %v", got)
	}
	for _, bad := range []struct {
		s search.Scope
		q string
	}{{search.Scope{}, "giay"}, {search.Scope{Owner: "a", Agency: "b"}, "giay"}, {citizen, "  ,; "}} {
		if _, err := idx.Search(ctx, bad.s, bad.q, 0); err == nil {
			t.Errorf("search %+v %q accepted", bad.s, bad.q)
		}
	}
}
