package search_test

import (
	"testing"

	"github.com/sohoa/sohoa/pkg/domain/search"
	"github.com/sohoa/sohoa/pkg/domain/search/searchtest"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{"Giấy khai sinh": "giay khai sinh", "ĐẶNG Thị Ưng": "dang thi ung", "Hồ Chí Minh": "ho chi minh", "Gia\u0301y": "giay"} {
		if got := search.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q", in, got)
		}
	}
}

func TestPartitionedOnSQLiteRecords(t *testing.T) {
	searchtest.Run(t, search.NewPartitioned(localtest.DB(t).Table()))
}
