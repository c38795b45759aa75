// Package recordstest is the conformance suite of the records port: every
// adapter of records.Table (SQLite locally, DynamoDB on AWS) runs
// RunConformance from its own tests, so that both are proven to behave alike.
//
// Where records.go is silent, the suite fixes the behaviour:
//   - PK and SK must not be empty, and an item with GSInPK set must also set
//     GSInSK (DynamoDB cannot index an empty key): errs.Invalid.
//   - Put with Version n>0 on an absent (or expired) item is errs.Conflict; Put
//     with Version 0 on an expired item succeeds (expired items are absent).
//   - Delete of an absent or expired item is errs.NotFound, whatever the version.
//   - Transact with more than records.MaxTransactItems items, or with the same
//     key twice, is errs.Invalid; an empty Transact does nothing.
//   - Query with SKPrefix and a range, an empty PK or an unknown index is
//     errs.Invalid. SKFrom or SKTo alone bound one side only.
//   - ExpiresAt is kept to the second.
//
// It is not for testing code that uses a Table: use an adapter (sqlite) there.
package recordstest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// RunConformance runs the conformance suite against tables made by newTable.
// newTable is called once per subtest and must return an empty table (or one
// whose keys cannot collide with another subtest's) that stays usable until
// the end of that subtest; it registers its own cleanup with t.Cleanup.
// Subtests run in parallel.
func RunConformance(t *testing.T, newTable func(t *testing.T) records.Table) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, tb records.Table)
	}{
		{"PutCreateGet", testPutCreateGet},
		{"CreateIfAbsent", testCreateIfAbsent},
		{"ReplaceVersion", testReplaceVersion},
		{"GetNotFound", testGetNotFound},
		{"InvalidItems", testInvalidItems},
		{"Delete", testDelete},
		{"Transact", testTransact},
		{"TransactAllOrNothing", testTransactAllOrNothing},
		{"TransactInvalid", testTransactInvalid},
		{"QueryPrimary", testQueryPrimary},
		{"QueryRanges", testQueryRanges},
		{"QueryIndexes", testQueryIndexes},
		{"QueryInvalid", testQueryInvalid},
		{"QueryLimitSkipsExpired", testQueryLimitSkipsExpired},
		{"TTL", testTTL},
		{"ConcurrentReplace", testConcurrentReplace},
		{"ConcurrentCreate", testConcurrentCreate},
		{"ConcurrentTransact", testConcurrentTransact},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newTable(t))
		})
	}
}

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantKind fails t unless err is of kind k.
func wantKind(t *testing.T, what string, err error, k errs.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %v", what, k)
	}
	if !errs.Is(err, k) {
		t.Fatalf("%s: got error %v (kind %v), want kind %v", what, err, errs.KindOf(err), k)
	}
}

func mustPut(t *testing.T, tb records.Table, it records.Item) records.Item {
	t.Helper()
	got, err := tb.Put(ctxOf(t), it)
	if err != nil {
		t.Fatalf("Put(%s/%s v%d): %v", it.PK, it.SK, it.Version, err)
	}
	return got
}

// sameItem fails t unless got equals want in every field but Version.
func sameItem(t *testing.T, what string, got, want records.Item) {
	t.Helper()
	if got.PK != want.PK || got.SK != want.SK || got.GSI1PK != want.GSI1PK || got.GSI1SK != want.GSI1SK ||
		got.GSI2PK != want.GSI2PK || got.GSI2SK != want.GSI2SK || string(got.Data) != string(want.Data) ||
		!got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Fatalf("%s: got %s, want %s", what, show(got), show(want))
	}
}

func show(it records.Item) string {
	exp := "-"
	if !it.ExpiresAt.IsZero() {
		exp = it.ExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("{%s/%s gsi1=%s/%s gsi2=%s/%s v%d exp=%s data=%q}",
		it.PK, it.SK, it.GSI1PK, it.GSI1SK, it.GSI2PK, it.GSI2SK, it.Version, exp, it.Data)
}

func keysOf(items []records.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.SK
	}
	return out
}

func testPutCreateGet(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	cases := []records.Item{
		{PK: "DOSSIER#1", SK: "META", Data: []byte(`{"status":"RECEIVED"}`)},
		{PK: "DOSSIER#1", SK: "COMP#01", GSI1PK: "CITIZEN#0790", GSI1SK: "2026-01-02", Data: []byte("x")},
		{PK: "DOSSIER#1", SK: "COMP#02", GSI1PK: "A", GSI1SK: "B", GSI2PK: "C", GSI2SK: "D", ExpiresAt: exp},
		{PK: "Hồ sơ#ĐỒNG", SK: "thành phần/ü", Data: []byte{0, 1, 2, 255}},
		{PK: "EMPTY", SK: "DATA"},
	}
	for _, it := range cases {
		got := mustPut(t, tb, it)
		if got.Version != 1 {
			t.Errorf("Put(%s) returned version %d, want 1", show(it), got.Version)
		}
		sameItem(t, "Put result", got, it)
		read, err := tb.Get(ctx, it.PK, it.SK)
		if err != nil {
			t.Fatalf("Get(%s/%s): %v", it.PK, it.SK, err)
		}
		if read.Version != 1 {
			t.Errorf("Get(%s/%s) version %d, want 1", it.PK, it.SK, read.Version)
		}
		sameItem(t, "Get", read, it)
	}
}

func testCreateIfAbsent(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	mustPut(t, tb, records.Item{PK: "P", SK: "S", Data: []byte("first")})
	_, err := tb.Put(ctx, records.Item{PK: "P", SK: "S", Data: []byte("second")})
	wantKind(t, "second create", err, errs.Conflict)
	got, err := tb.Get(ctx, "P", "S")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data) != "first" || got.Version != 1 {
		t.Fatalf("after failed create: %s, want data first v1", show(got))
	}
	// Same PK, other SK, and same SK, other PK, are other items.
	mustPut(t, tb, records.Item{PK: "P", SK: "S2"})
	mustPut(t, tb, records.Item{PK: "P2", SK: "S"})
}

func testReplaceVersion(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	v1 := mustPut(t, tb, records.Item{PK: "P", SK: "S", GSI1PK: "G", GSI1SK: "1", Data: []byte("one")})
	v2 := mustPut(t, tb, records.Item{PK: "P", SK: "S", Version: v1.Version, Data: []byte("two")})
	if v2.Version != 2 {
		t.Fatalf("replace: version %d, want 2", v2.Version)
	}
	got, err := tb.Get(ctx, "P", "S")
	if err != nil {
		t.Fatal(err)
	}
	// A replace is a whole item: the GSI1 keys not given are gone.
	sameItem(t, "after replace", got, records.Item{PK: "P", SK: "S", Data: []byte("two")})
	if got.Version != 2 {
		t.Fatalf("Get after replace: version %d, want 2", got.Version)
	}
	idx, err := tb.Query(ctx, records.Query{Index: records.GSI1, PK: "G"})
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) != 0 {
		t.Fatalf("GSI1 still holds the replaced item's old keys: %v", keysOf(idx))
	}

	for _, stale := range []int64{1, 3, 100} {
		_, err := tb.Put(ctx, records.Item{PK: "P", SK: "S", Version: stale, Data: []byte("stale")})
		wantKind(t, fmt.Sprintf("replace with version %d of a v2 item", stale), err, errs.Conflict)
	}
	_, err = tb.Put(ctx, records.Item{PK: "P", SK: "absent", Version: 1})
	wantKind(t, "replace of an absent item", err, errs.Conflict)
	if _, err := tb.Get(ctx, "P", "absent"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("a failed replace created the item: Get err %v", err)
	}
	got, err = tb.Get(ctx, "P", "S")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data) != "two" || got.Version != 2 {
		t.Fatalf("a failed replace changed the item: %s", show(got))
	}
}

func testGetNotFound(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	mustPut(t, tb, records.Item{PK: "P", SK: "S"})
	for _, k := range [][2]string{{"P", "T"}, {"Q", "S"}, {"P", "s"}, {"P", "S "}} {
		_, err := tb.Get(ctx, k[0], k[1])
		wantKind(t, "Get "+k[0]+"/"+k[1], err, errs.NotFound)
	}
}

func testInvalidItems(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	cases := []struct {
		name string
		it   records.Item
	}{
		{"empty PK", records.Item{SK: "S"}},
		{"empty SK", records.Item{PK: "P"}},
		{"GSI1PK without GSI1SK", records.Item{PK: "P", SK: "S", GSI1PK: "G"}},
		{"GSI2PK without GSI2SK", records.Item{PK: "P", SK: "S", GSI2PK: "G"}},
		{"negative version", records.Item{PK: "P", SK: "S", Version: -1}},
	}
	for _, c := range cases {
		_, err := tb.Put(ctx, c.it)
		wantKind(t, "Put "+c.name, err, errs.Invalid)
		err = tb.Transact(ctx, []records.Item{{PK: "OK", SK: "OK"}, c.it})
		wantKind(t, "Transact "+c.name, err, errs.Invalid)
	}
	if _, err := tb.Get(ctx, "OK", "OK"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("an invalid Transact wrote its valid item: %v", err)
	}
}

func testDelete(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	mustPut(t, tb, records.Item{PK: "P", SK: "any"})
	if err := tb.Delete(ctx, "P", "any", 0); err != nil {
		t.Fatalf("Delete version 0: %v", err)
	}
	_, err := tb.Get(ctx, "P", "any")
	wantKind(t, "Get after Delete", err, errs.NotFound)
	wantKind(t, "Delete again", tb.Delete(ctx, "P", "any", 0), errs.NotFound)
	wantKind(t, "Delete absent with version", tb.Delete(ctx, "P", "never", 1), errs.NotFound)

	v1 := mustPut(t, tb, records.Item{PK: "P", SK: "versioned", GSI1PK: "G", GSI1SK: "1"})
	v2 := mustPut(t, tb, records.Item{PK: "P", SK: "versioned", GSI1PK: "G", GSI1SK: "1", Version: v1.Version})
	wantKind(t, "Delete with stale version", tb.Delete(ctx, "P", "versioned", v1.Version), errs.Conflict)
	if _, err := tb.Get(ctx, "P", "versioned"); err != nil {
		t.Fatalf("a failed Delete removed the item: %v", err)
	}
	if err := tb.Delete(ctx, "P", "versioned", v2.Version); err != nil {
		t.Fatalf("Delete with current version: %v", err)
	}
	idx, err := tb.Query(ctx, records.Query{Index: records.GSI1, PK: "G"})
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) != 0 {
		t.Fatalf("GSI1 still holds a deleted item: %v", keysOf(idx))
	}
	// After a delete, the key can be created again, from version 1.
	again := mustPut(t, tb, records.Item{PK: "P", SK: "versioned"})
	if again.Version != 1 {
		t.Fatalf("re-created item has version %d, want 1", again.Version)
	}
}

func testTransact(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	if err := tb.Transact(ctx, nil); err != nil {
		t.Fatalf("empty Transact: %v", err)
	}
	a := mustPut(t, tb, records.Item{PK: "D#1", SK: "META", Data: []byte("a1")})
	items := []records.Item{
		{PK: "D#1", SK: "META", Version: a.Version, Data: []byte("a2"), GSI2PK: "AGENCY#1", GSI2SK: "2026-02-01"},
		{PK: "D#1", SK: "HIST#0002", Data: []byte("h")},
		{PK: "IDEM#x", SK: "IDEM", ExpiresAt: time.Now().Add(time.Hour).Truncate(time.Second)},
	}
	if err := tb.Transact(ctx, items); err != nil {
		t.Fatalf("Transact: %v", err)
	}
	for i, want := range items {
		got, err := tb.Get(ctx, want.PK, want.SK)
		if err != nil {
			t.Fatalf("item %d after Transact: %v", i, err)
		}
		sameItem(t, "after Transact", got, want)
		if got.Version != want.Version+1 {
			t.Fatalf("item %d version %d, want %d", i, got.Version, want.Version+1)
		}
	}
	q, err := tb.Query(ctx, records.Query{Index: records.GSI2, PK: "AGENCY#1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].PK != "D#1" {
		t.Fatalf("GSI2 after Transact: %v", q)
	}
	// The maximum number of items is allowed.
	full := make([]records.Item, records.MaxTransactItems)
	for i := range full {
		full[i] = records.Item{PK: "FULL", SK: fmt.Sprintf("%03d", i)}
	}
	if err := tb.Transact(ctx, full); err != nil {
		t.Fatalf("Transact of %d items: %v", len(full), err)
	}
	got, err := tb.Query(ctx, records.Query{PK: "FULL"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != records.MaxTransactItems {
		t.Fatalf("after a full Transact, %d items, want %d", len(got), records.MaxTransactItems)
	}
}

func testTransactAllOrNothing(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	exist := mustPut(t, tb, records.Item{PK: "D", SK: "META", Data: []byte("v1")})
	mustPut(t, tb, records.Item{PK: "D", SK: "TAKEN", Data: []byte("taken")})
	cases := []struct {
		name  string
		items []records.Item
	}{
		{"stale version last", []records.Item{
			{PK: "D", SK: "NEW1"},
			{PK: "D", SK: "META", Version: exist.Version + 1, Data: []byte("bad")},
		}},
		{"create of an existing item first", []records.Item{
			{PK: "D", SK: "TAKEN", Data: []byte("again")},
			{PK: "D", SK: "NEW1"},
			{PK: "D", SK: "META", Version: exist.Version, Data: []byte("v2")},
		}},
		{"replace of an absent item", []records.Item{
			{PK: "D", SK: "META", Version: exist.Version, Data: []byte("v2")},
			{PK: "D", SK: "NEW2", Version: 1},
		}},
	}
	for _, c := range cases {
		wantKind(t, "Transact "+c.name, tb.Transact(ctx, c.items), errs.Conflict)
		got, err := tb.Get(ctx, "D", "META")
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != exist.Version || string(got.Data) != "v1" {
			t.Fatalf("%s: a failed Transact changed META: %s", c.name, show(got))
		}
		for _, sk := range []string{"NEW1", "NEW2"} {
			if _, err := tb.Get(ctx, "D", sk); !errs.Is(err, errs.NotFound) {
				t.Fatalf("%s: a failed Transact created %s (Get err %v)", c.name, sk, err)
			}
		}
		taken, err := tb.Get(ctx, "D", "TAKEN")
		if err != nil || string(taken.Data) != "taken" {
			t.Fatalf("%s: a failed Transact changed TAKEN: %s %v", c.name, show(taken), err)
		}
	}
}

func testTransactInvalid(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	tooMany := make([]records.Item, records.MaxTransactItems+1)
	for i := range tooMany {
		tooMany[i] = records.Item{PK: "MANY", SK: fmt.Sprintf("%03d", i)}
	}
	wantKind(t, "Transact over the limit", tb.Transact(ctx, tooMany), errs.Invalid)
	dup := []records.Item{{PK: "DUP", SK: "S", Data: []byte("1")}, {PK: "DUP", SK: "S", Data: []byte("2")}}
	wantKind(t, "Transact with one key twice", tb.Transact(ctx, dup), errs.Invalid)
	for _, pk := range []string{"MANY", "DUP"} {
		got, err := tb.Query(ctx, records.Query{PK: pk})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Fatalf("an invalid Transact wrote %v", keysOf(got))
		}
	}
}

// seed puts the items of a small dossier partition and returns its sort keys.
func seed(t *testing.T, tb records.Table) {
	t.Helper()
	for _, sk := range []string{"COMP#01", "COMP#02", "COMP#03", "COMP#10", "HIST#2026-01-01", "HIST#2026-01-02", "META", "COMP", "COMQ"} {
		mustPut(t, tb, records.Item{PK: "D#1", SK: sk, Data: []byte(sk)})
	}
	mustPut(t, tb, records.Item{PK: "D#2", SK: "COMP#01"})
	mustPut(t, tb, records.Item{PK: "D#", SK: "COMP#01"})
}

func testQueryPrimary(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	seed(t, tb)
	cases := []struct {
		name string
		q    records.Query
		want []string
	}{
		{"whole partition", records.Query{PK: "D#1"},
			[]string{"COMP", "COMP#01", "COMP#02", "COMP#03", "COMP#10", "COMQ", "HIST#2026-01-01", "HIST#2026-01-02", "META"}},
		{"prefix", records.Query{PK: "D#1", SKPrefix: "COMP#"}, []string{"COMP#01", "COMP#02", "COMP#03", "COMP#10"}},
		{"prefix equal to a key", records.Query{PK: "D#1", SKPrefix: "COMP"}, []string{"COMP", "COMP#01", "COMP#02", "COMP#03", "COMP#10"}},
		{"prefix desc", records.Query{PK: "D#1", SKPrefix: "COMP#", Desc: true}, []string{"COMP#10", "COMP#03", "COMP#02", "COMP#01"}},
		{"prefix limit", records.Query{PK: "D#1", SKPrefix: "COMP#", Limit: 2}, []string{"COMP#01", "COMP#02"}},
		{"prefix desc limit", records.Query{PK: "D#1", SKPrefix: "HIST#", Desc: true, Limit: 1}, []string{"HIST#2026-01-02"}},
		{"whole partition desc limit", records.Query{PK: "D#1", Desc: true, Limit: 3}, []string{"META", "HIST#2026-01-02", "HIST#2026-01-01"}},
		{"limit over count", records.Query{PK: "D#1", SKPrefix: "HIST#", Limit: 50}, []string{"HIST#2026-01-01", "HIST#2026-01-02"}},
		{"prefix matching nothing", records.Query{PK: "D#1", SKPrefix: "ZZZ"}, []string{}},
		{"prefix with SQL wildcards", records.Query{PK: "D#1", SKPrefix: "COMP%"}, []string{}},
		{"prefix with glob", records.Query{PK: "D#1", SKPrefix: "COMP*"}, []string{}},
		{"prefix with underscore", records.Query{PK: "D#1", SKPrefix: "COMP_"}, []string{}},
		{"absent partition", records.Query{PK: "D#3"}, []string{}},
		{"partition is exact", records.Query{PK: "D#"}, []string{"COMP#01"}},
	}
	for _, c := range cases {
		got, err := tb.Query(ctx, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if k := keysOf(got); !slices.Equal(k, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, k, c.want)
		}
		for _, it := range got {
			if it.PK != c.q.PK || it.Version != 1 || (c.q.PK == "D#1" && string(it.Data) != it.SK) {
				t.Errorf("%s: bad item %s", c.name, show(it))
			}
		}
	}
}

func testQueryRanges(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	seed(t, tb)
	cases := []struct {
		name string
		q    records.Query
		want []string
	}{
		{"inclusive range", records.Query{PK: "D#1", SKFrom: "COMP#02", SKTo: "COMP#10"}, []string{"COMP#02", "COMP#03", "COMP#10"}},
		{"range desc", records.Query{PK: "D#1", SKFrom: "COMP#02", SKTo: "COMP#10", Desc: true}, []string{"COMP#10", "COMP#03", "COMP#02"}},
		{"range limit", records.Query{PK: "D#1", SKFrom: "COMP#02", SKTo: "COMP#10", Limit: 2}, []string{"COMP#02", "COMP#03"}},
		{"range desc limit", records.Query{PK: "D#1", SKFrom: "COMP#02", SKTo: "COMP#10", Desc: true, Limit: 2}, []string{"COMP#10", "COMP#03"}},
		{"range between keys", records.Query{PK: "D#1", SKFrom: "HIST#2026-01-01T", SKTo: "HIST#2026-01-03"}, []string{"HIST#2026-01-02"}},
		{"single key range", records.Query{PK: "D#1", SKFrom: "META", SKTo: "META"}, []string{"META"}},
		{"from only", records.Query{PK: "D#1", SKFrom: "HIST#"}, []string{"HIST#2026-01-01", "HIST#2026-01-02", "META"}},
		{"to only", records.Query{PK: "D#1", SKTo: "COMP#01"}, []string{"COMP", "COMP#01"}},
		{"empty range", records.Query{PK: "D#1", SKFrom: "X", SKTo: "Y"}, []string{}},
	}
	for _, c := range cases {
		got, err := tb.Query(ctx, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if k := keysOf(got); !slices.Equal(k, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, k, c.want)
		}
	}
}

func testQueryIndexes(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	items := []records.Item{
		{PK: "D#1", SK: "META", GSI1PK: "CITIZEN#1", GSI1SK: "2026-03-01#D#1", GSI2PK: "AGENCY#A", GSI2SK: "2026-04-10#D#1"},
		{PK: "D#2", SK: "META", GSI1PK: "CITIZEN#1", GSI1SK: "2026-01-15#D#2", GSI2PK: "AGENCY#A", GSI2SK: "2026-04-01#D#2"},
		{PK: "D#3", SK: "META", GSI1PK: "CITIZEN#2", GSI1SK: "2026-02-01#D#3", GSI2PK: "AGENCY#B", GSI2SK: "2026-04-05#D#3"},
		{PK: "D#4", SK: "META", GSI1PK: "CITIZEN#1", GSI1SK: "2026-02-20#D#4"},
		{PK: "V#1", SK: "DOC#1", GSI1PK: "CITIZEN#1", GSI1SK: "DOC#2026-01-01"},
		{PK: "D#5", SK: "META"},
		// The index keys of one item never match the primary keys of another.
		{PK: "CITIZEN#1", SK: "2026-03-01#D#1"},
	}
	for _, it := range items {
		mustPut(t, tb, it)
	}
	cases := []struct {
		name string
		q    records.Query
		want []string // PKs
	}{
		{"GSI1 all", records.Query{Index: records.GSI1, PK: "CITIZEN#1"}, []string{"D#2", "D#4", "D#1", "V#1"}},
		{"GSI1 prefix", records.Query{Index: records.GSI1, PK: "CITIZEN#1", SKPrefix: "2026-"}, []string{"D#2", "D#4", "D#1"}},
		{"GSI1 prefix desc limit", records.Query{Index: records.GSI1, PK: "CITIZEN#1", SKPrefix: "2026-", Desc: true, Limit: 2}, []string{"D#1", "D#4"}},
		{"GSI1 range", records.Query{Index: records.GSI1, PK: "CITIZEN#1", SKFrom: "2026-02", SKTo: "2026-03-31"}, []string{"D#4", "D#1"}},
		{"GSI1 other", records.Query{Index: records.GSI1, PK: "CITIZEN#2"}, []string{"D#3"}},
		{"GSI2 due date", records.Query{Index: records.GSI2, PK: "AGENCY#A"}, []string{"D#2", "D#1"}},
		{"GSI2 due before", records.Query{Index: records.GSI2, PK: "AGENCY#A", SKTo: "2026-04-05"}, []string{"D#2"}},
		{"GSI2 desc", records.Query{Index: records.GSI2, PK: "AGENCY#B", Desc: true}, []string{"D#3"}},
		{"GSI2 does not see GSI1 keys", records.Query{Index: records.GSI2, PK: "CITIZEN#1"}, []string{}},
		{"GSI1 does not see GSI2 keys", records.Query{Index: records.GSI1, PK: "AGENCY#A"}, []string{}},
		{"Primary does not see GSI1 keys", records.Query{PK: "CITIZEN#1"}, []string{"CITIZEN#1"}},
	}
	for _, c := range cases {
		got, err := tb.Query(ctx, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		pks := make([]string, len(got))
		for i, it := range got {
			pks[i] = it.PK
		}
		if !slices.Equal(pks, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, pks, c.want)
		}
	}
	// A query by index returns whole items.
	got, err := tb.Query(ctx, records.Query{Index: records.GSI2, PK: "AGENCY#B"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Version != 1 {
		t.Fatalf("GSI2 AGENCY#B: %v", got)
	}
	sameItem(t, "item from GSI2", got[0], items[2])
}

func testQueryInvalid(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	cases := []struct {
		name string
		q    records.Query
	}{
		{"empty PK", records.Query{}},
		{"unknown index", records.Query{Index: "GSI3", PK: "P"}},
		{"prefix and range", records.Query{PK: "P", SKPrefix: "A", SKFrom: "A"}},
		{"negative limit", records.Query{PK: "P", Limit: -1}},
	}
	for _, c := range cases {
		_, err := tb.Query(ctx, c.q)
		wantKind(t, "Query "+c.name, err, errs.Invalid)
	}
}

func testQueryLimitSkipsExpired(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	// Many expired items first in sort order: Limit counts live items only.
	for i := range 30 {
		mustPut(t, tb, records.Item{PK: "L", SK: fmt.Sprintf("A%02d", i), ExpiresAt: past, GSI1PK: "G", GSI1SK: fmt.Sprintf("A%02d", i)})
	}
	for i := range 3 {
		mustPut(t, tb, records.Item{PK: "L", SK: fmt.Sprintf("B%02d", i), GSI1PK: "G", GSI1SK: fmt.Sprintf("B%02d", i)})
	}
	for _, idx := range []records.Index{records.Primary, records.GSI1} {
		pk := "L"
		if idx == records.GSI1 {
			pk = "G"
		}
		got, err := tb.Query(ctx, records.Query{Index: idx, PK: pk, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].SK != "B00" || got[1].SK != "B01" {
			t.Fatalf("index %q Limit 2 past 30 expired items: %v", idx, keysOf(got))
		}
	}
}

func testTTL(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	past := time.Now().Add(-time.Minute).Truncate(time.Second)
	future := time.Now().Add(time.Hour).Truncate(time.Second)
	mustPut(t, tb, records.Item{PK: "S", SK: "expired", ExpiresAt: past, GSI1PK: "G", GSI1SK: "1", GSI2PK: "H", GSI2SK: "1"})
	live := mustPut(t, tb, records.Item{PK: "S", SK: "live", ExpiresAt: future, GSI1PK: "G", GSI1SK: "2", GSI2PK: "H", GSI2SK: "2"})
	mustPut(t, tb, records.Item{PK: "S", SK: "forever", GSI1PK: "G", GSI1SK: "3", GSI2PK: "H", GSI2SK: "3"})

	_, err := tb.Get(ctx, "S", "expired")
	wantKind(t, "Get expired", err, errs.NotFound)
	got, err := tb.Get(ctx, "S", "live")
	if err != nil {
		t.Fatalf("Get live: %v", err)
	}
	if !got.ExpiresAt.Equal(future) {
		t.Fatalf("ExpiresAt %v, want %v", got.ExpiresAt, future)
	}
	for _, q := range []records.Query{
		{PK: "S"}, {PK: "S", Desc: true}, {PK: "S", SKFrom: "a", SKTo: "z"}, {PK: "S", SKPrefix: "e"},
		{Index: records.GSI1, PK: "G"}, {Index: records.GSI2, PK: "H"},
	} {
		items, err := tb.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.SK == "expired" {
				t.Fatalf("Query %+v returned an expired item", q)
			}
		}
	}
	// An expired item is absent: replacing or deleting it fails, creating it works.
	_, err = tb.Put(ctx, records.Item{PK: "S", SK: "expired", Version: 1})
	wantKind(t, "replace expired", err, errs.Conflict)
	wantKind(t, "Delete expired", tb.Delete(ctx, "S", "expired", 0), errs.NotFound)
	wantKind(t, "Transact replace of expired", tb.Transact(ctx, []records.Item{{PK: "S", SK: "expired", Version: 1}}), errs.Conflict)
	re := mustPut(t, tb, records.Item{PK: "S", SK: "expired", Data: []byte("again")})
	if re.Version != 1 || !re.ExpiresAt.IsZero() {
		t.Fatalf("re-created expired item: %s", show(re))
	}
	// Expiry can be set by a replace and removed by a replace.
	ended := mustPut(t, tb, records.Item{PK: "S", SK: "live", Version: live.Version, ExpiresAt: past})
	if ended.Version != 2 {
		t.Fatalf("replace with past expiry: version %d", ended.Version)
	}
	_, err = tb.Get(ctx, "S", "live")
	wantKind(t, "Get after expiring replace", err, errs.NotFound)
	if err := tb.Transact(ctx, []records.Item{{PK: "S", SK: "live", Data: []byte("reborn")}}); err != nil {
		t.Fatalf("Transact create over an expired item: %v", err)
	}
	got, err = tb.Get(ctx, "S", "live")
	if err != nil || got.Version != 1 || string(got.Data) != "reborn" {
		t.Fatalf("after Transact create over expired: %s %v", show(got), err)
	}
}

// race runs n goroutines of fn at once and returns how many succeeded and the
// errors of the others.
func race(n int, fn func(i int) error) (int, []error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		wins  int
		fails []error
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := fn(i)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else {
				fails = append(fails, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return wins, fails
}

const racers = 8

func checkOneWinner(t *testing.T, what string, wins int, fails []error) {
	t.Helper()
	if wins != 1 {
		t.Fatalf("%s: %d writers won, want exactly 1 (errors: %v)", what, wins, fails)
	}
	for _, err := range fails {
		if !errs.Is(err, errs.Conflict) {
			t.Fatalf("%s: a losing writer got %v, want errs.Conflict", what, err)
		}
	}
}

func testConcurrentReplace(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	for round := range 3 {
		sk := fmt.Sprintf("R%d", round)
		base := mustPut(t, tb, records.Item{PK: "C", SK: sk, Data: []byte("base")})
		var winner []byte
		var mu sync.Mutex
		wins, fails := race(racers, func(i int) error {
			data := []byte(fmt.Sprintf("writer %d", i))
			_, err := tb.Put(ctx, records.Item{PK: "C", SK: sk, Version: base.Version, Data: data})
			if err == nil {
				mu.Lock()
				winner = data
				mu.Unlock()
			}
			return err
		})
		checkOneWinner(t, "concurrent replace", wins, fails)
		got, err := tb.Get(ctx, "C", sk)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 || string(got.Data) != string(winner) {
			t.Fatalf("after concurrent replace: %s, winner wrote %q", show(got), winner)
		}
	}
}

func testConcurrentCreate(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	wins, fails := race(racers, func(i int) error {
		_, err := tb.Put(ctx, records.Item{PK: "C", SK: "IDEM", Data: []byte(fmt.Sprint(i))})
		return err
	})
	checkOneWinner(t, "concurrent create", wins, fails)
}

// testConcurrentTransact is two ingests of one dossier: each moves the status
// item from version 1 and writes its own history item; only one may win.
func testConcurrentTransact(t *testing.T, tb records.Table) {
	ctx := ctxOf(t)
	base := mustPut(t, tb, records.Item{PK: "D", SK: "META", Data: []byte("RECEIVED")})
	wins, fails := race(racers, func(i int) error {
		return tb.Transact(ctx, []records.Item{
			{PK: "D", SK: "META", Version: base.Version, Data: []byte("VALIDATED")},
			{PK: "D", SK: fmt.Sprintf("HIST#%02d", i)},
		})
	})
	checkOneWinner(t, "concurrent Transact", wins, fails)
	hist, err := tb.Query(ctx, records.Query{PK: "D", SKPrefix: "HIST#"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 {
		t.Fatalf("after concurrent Transact, %d history items, want 1: %v", len(hist), keysOf(hist))
	}
}

// RunClock checks that a table judges expiry by its own injected clock, which
// reads at, and never by the wall clock: the services of a test pinned to a
// date write ExpiresAt from that date, and an adapter that compared them with
// time.Now would turn the test into a time bomb. Adapters call it with a
// table whose clock is pinned years away from today, before and after.
func RunClock(t *testing.T, tb records.Table, at time.Time) {
	t.Helper()
	ctx := ctxOf(t)
	at = at.Truncate(time.Second)
	mustPut(t, tb, records.Item{PK: "CLOCK", SK: "live", ExpiresAt: at.Add(time.Hour), GSI1PK: "CG", GSI1SK: "1"})
	mustPut(t, tb, records.Item{PK: "CLOCK", SK: "expired", ExpiresAt: at.Add(-time.Hour), GSI1PK: "CG", GSI1SK: "2"})
	if _, err := tb.Get(ctx, "CLOCK", "live"); err != nil {
		t.Fatalf("at %v, an item expiring an hour later: Get = %v", at, err)
	}
	_, err := tb.Get(ctx, "CLOCK", "expired")
	wantKind(t, "Get an item expired by the table's clock", err, errs.NotFound)
	for _, q := range []records.Query{{PK: "CLOCK"}, {Index: records.GSI1, PK: "CG"}} {
		got, err := tb.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].SK != "live" {
			t.Fatalf("Query %+v at %v: %v, want only the live item", q, at, keysOf(got))
		}
	}
	// Writing over the expired item is a create, by the same clock.
	mustPut(t, tb, records.Item{PK: "CLOCK", SK: "expired", ExpiresAt: at.Add(time.Hour)})
	if err := tb.Delete(ctx, "CLOCK", "live", 0); err != nil {
		t.Fatalf("Delete a live item: %v", err)
	}
}
