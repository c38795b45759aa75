// Package dynamo is the AWS adapter of Sohoa's records port: records.Table over
// one DynamoDB table (single-table design: PK/SK, two sparse GSIs, a numeric
// Version attribute for optimistic concurrency, TransactWriteItems, and a TTL
// attribute that reads also honour, since DynamoDB deletes expired items late).
//
// It passes records/recordstest against DynamoDB Local. It is not for blobs or
// queues, and domain packages never import it: only the functions' mains do.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// The table's attribute and index names; infra/template.yaml must use the same.
const (
	AttrPK      = "PK"
	AttrSK      = "SK"
	AttrGSI1PK  = "GSI1PK"
	AttrGSI1SK  = "GSI1SK"
	AttrGSI2PK  = "GSI2PK"
	AttrGSI2SK  = "GSI2SK"
	AttrVersion = "Version"
	AttrTTL     = "TTL" // Unix seconds, DynamoDB's TTL attribute
	AttrData    = "Data"

	IndexGSI1 = "GSI1"
	IndexGSI2 = "GSI2"
)

// Table is a records.Table over one DynamoDB table.
type Table struct {
	client *dynamodb.Client
	name   string
	now    func() time.Time
}

var _ records.Table = (*Table)(nil)

// New returns the records table stored in the DynamoDB table name.
func New(client *dynamodb.Client, name string) *Table {
	return &Table{client: client, name: name}
}

// WithClock returns a view of the same table whose expiry is judged by now
// instead of the wall clock (DynamoDB's own TTL sweeper still deletes items
// by the wall clock, days late; reads never rely on it). Only one clock may
// judge a record: see sqlite.Table.WithClock.
func (t *Table) WithClock(now func() time.Time) *Table {
	return &Table{client: t.client, name: t.name, now: now}
}

// unix is the table clock's time in Unix seconds.
func (t *Table) unix() int64 {
	if t.now == nil {
		return time.Now().Unix()
	}
	return t.now().Unix()
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: s(pk), AttrSK: s(sk)}
}

// encode returns the stored form of it at version v.
func encode(it records.Item, v int64) map[string]types.AttributeValue {
	m := key(it.PK, it.SK)
	if it.GSI1PK != "" {
		m[AttrGSI1PK], m[AttrGSI1SK] = s(it.GSI1PK), s(it.GSI1SK)
	}
	if it.GSI2PK != "" {
		m[AttrGSI2PK], m[AttrGSI2SK] = s(it.GSI2PK), s(it.GSI2SK)
	}
	m[AttrVersion] = n(v)
	if !it.ExpiresAt.IsZero() {
		m[AttrTTL] = n(it.ExpiresAt.Unix())
	}
	m[AttrData] = &types.AttributeValueMemberB{Value: append([]byte{}, it.Data...)}
	return m
}

func str(m map[string]types.AttributeValue, k string) string {
	if v, ok := m[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func num(m map[string]types.AttributeValue, k string) (int64, bool, error) {
	v, ok := m[k].(*types.AttributeValueMemberN)
	if !ok {
		return 0, false, nil
	}
	x, err := strconv.ParseInt(v.Value, 10, 64)
	return x, true, err
}

// decode returns the item stored as m, and whether it is live at now.
func decode(m map[string]types.AttributeValue, now int64) (records.Item, bool, error) {
	it := records.Item{
		PK: str(m, AttrPK), SK: str(m, AttrSK),
		GSI1PK: str(m, AttrGSI1PK), GSI1SK: str(m, AttrGSI1SK),
		GSI2PK: str(m, AttrGSI2PK), GSI2SK: str(m, AttrGSI2SK),
	}
	v, ok, err := num(m, AttrVersion)
	if err != nil || !ok {
		return records.Item{}, false, fmt.Errorf("dynamo: item %s/%s has no valid %s", it.PK, it.SK, AttrVersion)
	}
	it.Version = v
	ttl, ok, err := num(m, AttrTTL)
	if err != nil {
		return records.Item{}, false, fmt.Errorf("dynamo: item %s/%s has a bad %s: %w", it.PK, it.SK, AttrTTL, err)
	}
	live := true
	if ok {
		it.ExpiresAt = time.Unix(ttl, 0)
		live = ttl > now
	}
	if b, ok := m[AttrData].(*types.AttributeValueMemberB); ok {
		it.Data = b.Value
	}
	return it, live, nil
}

// condition returns the condition under which it may be written at now.
// An item is absent if it does not exist or its TTL has passed.
func condition(it records.Item, now int64) (string, map[string]string, map[string]types.AttributeValue) {
	values := map[string]types.AttributeValue{":now": n(now)}
	if it.Version == 0 {
		return "attribute_not_exists(#pk) OR #ttl <= :now", map[string]string{"#pk": AttrPK, "#ttl": AttrTTL}, values
	}
	values[":v"] = n(it.Version)
	return "#v = :v AND (attribute_not_exists(#ttl) OR #ttl > :now)", map[string]string{"#v": AttrVersion, "#ttl": AttrTTL}, values
}

// Get implements records.Table.
func (t *Table) Get(ctx context.Context, pk, sk string) (records.Item, error) {
	if pk == "" || sk == "" || !utf8.ValidString(pk) || !utf8.ValidString(sk) {
		return records.Item{}, errs.E(errs.NotFound, "records: no item %s/%s", pk, sk)
	}
	out, err := t.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &t.name,
		Key:            key(pk, sk),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return records.Item{}, mapErr(err, "get %s/%s", pk, sk)
	}
	if out.Item == nil {
		return records.Item{}, errs.E(errs.NotFound, "records: no item %s/%s", pk, sk)
	}
	it, live, err := decode(out.Item, t.unix())
	if err != nil {
		return records.Item{}, err
	}
	if !live {
		return records.Item{}, errs.E(errs.NotFound, "records: no item %s/%s", pk, sk)
	}
	return it, nil
}

// Put implements records.Table.
func (t *Table) Put(ctx context.Context, it records.Item) (records.Item, error) {
	if err := records.CheckItem(it); err != nil {
		return records.Item{}, err
	}
	cond, names, values := condition(it, t.unix())
	_, err := t.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 &t.name,
		Item:                      encode(it, it.Version+1),
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	})
	if err != nil {
		return records.Item{}, mapErr(err, "put %s/%s version %d", it.PK, it.SK, it.Version)
	}
	it.Version++
	if !it.ExpiresAt.IsZero() {
		it.ExpiresAt = time.Unix(it.ExpiresAt.Unix(), 0)
	}
	it.Data = append([]byte{}, it.Data...)
	return it, nil
}

// Transact implements records.Table with one TransactWriteItems call.
func (t *Table) Transact(ctx context.Context, items []records.Item) error {
	if err := records.CheckTransact(items); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	now := t.unix()
	tx := make([]types.TransactWriteItem, len(items))
	for i, it := range items {
		cond, names, values := condition(it, now)
		tx[i] = types.TransactWriteItem{Put: &types.Put{
			TableName:                 &t.name,
			Item:                      encode(it, it.Version+1),
			ConditionExpression:       aws.String(cond),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}}
	}
	_, err := t.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tx})
	if err != nil {
		return mapErr(err, "transaction of %d items", len(items))
	}
	return nil
}

// Delete implements records.Table.
func (t *Table) Delete(ctx context.Context, pk, sk string, version int64) error {
	if version < 0 {
		return errs.E(errs.Invalid, "records: negative version")
	}
	if pk == "" || sk == "" || !utf8.ValidString(pk) || !utf8.ValidString(sk) {
		return errs.E(errs.NotFound, "records: no item %s/%s", pk, sk)
	}
	now := t.unix()
	names := map[string]string{"#pk": AttrPK, "#ttl": AttrTTL}
	values := map[string]types.AttributeValue{":now": n(now)}
	cond := "attribute_exists(#pk) AND (attribute_not_exists(#ttl) OR #ttl > :now)"
	if version != 0 {
		cond += " AND #v = :v"
		names["#v"] = AttrVersion
		values[":v"] = n(version)
	}
	_, err := t.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                           &t.name,
		Key:                                 key(pk, sk),
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		// Tell a missing (or expired) item from a version mismatch.
		if ccf.Item != nil {
			if old, live, derr := decode(ccf.Item, now); derr == nil && live {
				return errs.Wrap(errs.Conflict, err, "records: item %s/%s is at version %d, not %d", pk, sk, old.Version, version)
			}
		}
		return errs.Wrap(errs.NotFound, err, "records: no item %s/%s", pk, sk)
	}
	if err != nil {
		return mapErr(err, "delete %s/%s", pk, sk)
	}
	return nil
}

// Query implements records.Table. Expired items are filtered out, and Limit
// counts only the items returned, so it may read several pages.
func (t *Table) Query(ctx context.Context, q records.Query) ([]records.Item, error) {
	if err := records.CheckQuery(q); err != nil {
		return nil, err
	}
	now := t.unix()
	pkAttr, skAttr := AttrPK, AttrSK
	var index *string
	switch q.Index {
	case records.GSI1:
		pkAttr, skAttr, index = AttrGSI1PK, AttrGSI1SK, aws.String(IndexGSI1)
	case records.GSI2:
		pkAttr, skAttr, index = AttrGSI2PK, AttrGSI2SK, aws.String(IndexGSI2)
	}
	names := map[string]string{"#pk": pkAttr, "#ttl": AttrTTL}
	values := map[string]types.AttributeValue{":pk": s(q.PK), ":now": n(now)}
	cond := "#pk = :pk"
	switch {
	case q.SKPrefix != "":
		cond += " AND begins_with(#sk, :prefix)"
		names["#sk"] = skAttr
		values[":prefix"] = s(q.SKPrefix)
	case q.SKFrom != "" && q.SKTo != "":
		if q.SKFrom > q.SKTo {
			return []records.Item{}, nil // DynamoDB refuses an inverted BETWEEN
		}
		cond += " AND #sk BETWEEN :from AND :to"
		names["#sk"] = skAttr
		values[":from"], values[":to"] = s(q.SKFrom), s(q.SKTo)
	case q.SKFrom != "":
		cond += " AND #sk >= :from"
		names["#sk"] = skAttr
		values[":from"] = s(q.SKFrom)
	case q.SKTo != "":
		cond += " AND #sk <= :to"
		names["#sk"] = skAttr
		values[":to"] = s(q.SKTo)
	}
	in := &dynamodb.QueryInput{
		TableName:                 &t.name,
		IndexName:                 index,
		KeyConditionExpression:    &cond,
		FilterExpression:          aws.String("attribute_not_exists(#ttl) OR #ttl > :now"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(!q.Desc),
		ConsistentRead:            aws.Bool(index == nil), // GSIs are eventually consistent
	}
	out := []records.Item{}
	for {
		if q.Limit > 0 {
			// Limit applies before the TTL filter: ask for a few more than needed.
			in.Limit = aws.Int32(int32(min(q.Limit-len(out)+10, 1000)))
		}
		page, err := t.client.Query(ctx, in)
		if err != nil {
			return nil, mapErr(err, "query %s", q.PK)
		}
		for _, m := range page.Items {
			it, live, err := decode(m, now)
			if err != nil {
				return nil, err
			}
			if !live {
				continue
			}
			out = append(out, it)
			if q.Limit > 0 && len(out) == q.Limit {
				return out, nil
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// mapErr turns a DynamoDB error into an errs kind: failed conditions and
// transaction conflicts are Conflict, throttling is Unavailable, a request
// DynamoDB finds invalid (an item over 400 KB) is Invalid.
func mapErr(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var (
		ccf      *types.ConditionalCheckFailedException
		canceled *types.TransactionCanceledException
		conflict *types.TransactionConflictException
		inprog   *types.TransactionInProgressException
		thr      *types.ProvisionedThroughputExceededException
		lim      *types.RequestLimitExceeded
		api      smithy.APIError
	)
	switch {
	case errors.As(err, &ccf), errors.As(err, &conflict):
		return errs.Wrap(errs.Conflict, err, "records: %s: condition failed", what)
	case errors.As(err, &canceled):
		for _, r := range canceled.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed", "TransactionConflict":
				return errs.Wrap(errs.Conflict, err, "records: %s: condition failed", what)
			case "ValidationError":
				return errs.Wrap(errs.Invalid, err, "records: %s: refused", what)
			case "ThrottlingError", "ProvisionedThroughputExceeded":
				return errs.Wrap(errs.Unavailable, err, "records: %s: throttled", what)
			}
		}
		return errs.Wrap(errs.Unavailable, err, "records: %s: cancelled", what)
	case errors.As(err, &inprog), errors.As(err, &thr), errors.As(err, &lim):
		return errs.Wrap(errs.Unavailable, err, "records: %s: busy", what)
	case errors.As(err, &api) && api.ErrorCode() == "ValidationException":
		return errs.Wrap(errs.Invalid, err, "records: %s: refused", what)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("records: %s: %w", what, err)
	}
	return errs.Wrap(errs.Unavailable, err, "records: %s", what)
}
