package records

import (
	"unicode/utf8"

	"github.com/sohoa/sohoa/pkg/errs"
)

// MaxKeyBytes bounds every key of an item (DynamoDB allows 2048 bytes for a
// partition key and 1024 for a sort key; we keep the lower for all).
const MaxKeyBytes = 1024

// CheckItem reports, as errs.Invalid, what DynamoDB would refuse in an item,
// so that every adapter refuses alike (recordstest checks it).
func CheckItem(it Item) error {
	switch {
	case it.PK == "" || it.SK == "":
		return errs.E(errs.Invalid, "records: item needs a PK and an SK")
	case (it.GSI1PK == "") != (it.GSI1SK == ""):
		return errs.E(errs.Invalid, "records: item %s/%s: GSI1PK and GSI1SK go together", it.PK, it.SK)
	case (it.GSI2PK == "") != (it.GSI2SK == ""):
		return errs.E(errs.Invalid, "records: item %s/%s: GSI2PK and GSI2SK go together", it.PK, it.SK)
	case it.Version < 0:
		return errs.E(errs.Invalid, "records: item %s/%s: negative version", it.PK, it.SK)
	}
	for _, k := range []string{it.PK, it.SK, it.GSI1PK, it.GSI1SK, it.GSI2PK, it.GSI2SK} {
		if !utf8.ValidString(k) || len(k) > MaxKeyBytes {
			return errs.E(errs.Invalid, "records: item keys must be UTF-8 of at most %d bytes", MaxKeyBytes)
		}
	}
	return nil
}

// CheckTransact checks a transaction: at most MaxTransactItems items, each
// valid, no key twice.
func CheckTransact(items []Item) error {
	if len(items) > MaxTransactItems {
		return errs.E(errs.Invalid, "records: %d items in a transaction, at most %d", len(items), MaxTransactItems)
	}
	seen := make(map[[2]string]bool, len(items))
	for _, it := range items {
		if err := CheckItem(it); err != nil {
			return err
		}
		k := [2]string{it.PK, it.SK}
		if seen[k] {
			return errs.E(errs.Invalid, "records: item %s/%s twice in one transaction", it.PK, it.SK)
		}
		seen[k] = true
	}
	return nil
}

// CheckQuery reports, as errs.Invalid, a query no adapter may answer.
func CheckQuery(q Query) error {
	switch {
	case q.Index != Primary && q.Index != GSI1 && q.Index != GSI2:
		return errs.E(errs.Invalid, "records: unknown index %q", q.Index)
	case q.PK == "":
		return errs.E(errs.Invalid, "records: query needs a PK")
	case q.SKPrefix != "" && (q.SKFrom != "" || q.SKTo != ""):
		return errs.E(errs.Invalid, "records: query with both a prefix and a range")
	case q.Limit < 0:
		return errs.E(errs.Invalid, "records: negative limit")
	}
	for _, k := range []string{q.PK, q.SKPrefix, q.SKFrom, q.SKTo} {
		if !utf8.ValidString(k) {
			return errs.E(errs.Invalid, "records: query keys must be UTF-8")
		}
	}
	return nil
}
