// Package records declares the port through which Sohoa keeps its records
// (dossiers, components, vault index, shares, audit, idempotency keys): a
// single-table item store with DynamoDB's semantics — items addressed by a
// partition key and a sort key, two secondary indexes, optimistic concurrency by
// version, all-or-nothing transactions and TTL.
//
// Domain packages encode their types into Items; adapters (SQLite locally,
// DynamoDB on AWS) implement Table and pass records/recordstest.
// This package is not for blobs (file contents): see the blob port.
package records

import (
	"context"
	"time"
)

// Item is one record. Data is opaque to the store (JSON by convention).
type Item struct {
	PK, SK string
	// GSI1 and GSI2 are optional secondary index keys; an item with an empty
	// GSI1PK is not in index GSI1 (a sparse index, as in DynamoDB).
	GSI1PK, GSI1SK string
	GSI2PK, GSI2SK string
	// Version is the optimistic-concurrency counter. On Put, Version 0 means
	// "create; the item must not exist", Version n>0 means "replace; the stored
	// item must have version n". A stored item's version is n+1 after the write.
	Version int64
	// ExpiresAt, if not zero, is when the item expires (TTL). Expired items are
	// never returned, whether or not the backend has deleted them yet.
	ExpiresAt time.Time
	Data      []byte
}

// Index names a secondary index in a Query.
type Index string

// The indexes every Table has. Primary queries the PK/SK.
const (
	Primary Index = ""
	GSI1    Index = "GSI1"
	GSI2    Index = "GSI2"
)

// Query selects items by partition key and, optionally, a sort-key prefix,
// in ascending sort-key order unless Desc. Limit 0 means no limit.
type Query struct {
	Index    Index
	PK       string
	SKPrefix string
	// SKFrom and SKTo, if set, bound the sort key (inclusive) instead of SKPrefix.
	SKFrom, SKTo string
	Desc         bool
	Limit        int
}

// Table is the records port.
//
// Errors: a missing item is errs.NotFound; a failed version condition (on Put,
// Delete or any item of a Transact) is errs.Conflict; a backend failure is any
// other error.
type Table interface {
	// Get returns the item, errs.NotFound if absent or expired.
	Get(ctx context.Context, pk, sk string) (Item, error)
	// Put creates or replaces the item under the version condition of Item.Version
	// and returns the stored item (with its new version).
	Put(ctx context.Context, it Item) (Item, error)
	// Transact puts every item under its version condition, all or none.
	// At most 25 items (DynamoDB's limit was 25, then 100; we keep the lower).
	Transact(ctx context.Context, items []Item) error
	// Delete removes the item if its stored version is version (0: any version).
	Delete(ctx context.Context, pk, sk string, version int64) error
	// Query returns the items that match q.
	Query(ctx context.Context, q Query) ([]Item, error)
}

// MaxTransactItems is the most items one Transact may hold.
const MaxTransactItems = 25
