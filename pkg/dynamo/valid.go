package dynamo

import (
	"unicode/utf8"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/records"
)

// The checks below are the same as package sqlite's, so that both adapters
// refuse alike (records/recordstest checks it); DynamoDB's own limits are
// 2048 bytes for a partition key and 1024 for a sort key.

// validItem checks what DynamoDB would refuse, so that both adapters refuse alike.
func validItem(it records.Item) error {
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
		if !utf8.ValidString(k) || len(k) > 1024 {
			return errs.E(errs.Invalid, "records: item keys must be UTF-8 of at most 1024 bytes")
		}
	}
	return nil
}

func validQuery(q records.Query) error {
	switch {
	case q.Index != records.Primary && q.Index != records.GSI1 && q.Index != records.GSI2:
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
