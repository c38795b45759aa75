package dossier

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Record keys of dossiers in the single table.
//
//	PK DOSSIER#<id>          SK META                     the dossier
//	GSI1 AGENCY#<agency>#<status>  <dueAt>#<id>          the agency's queue, earliest due first
//	GSI2 CODE#<code>         META                        lookup by code (tracking)
//	PK SEQ#<agency>#<yyMMdd> SK SEQ                      daily sequence of dossier codes
//	PK EVENTS#ALL            SK <at>#<id>#<n>            status-change events (outbox; the stream on AWS)
//	PK OFFICE#<office>#<yyyyMMdd>  SK <receivedAt>#<id>  dossiers a post office received that (local) day
const (
	skMeta    = "META"
	eventsTTL = 30 * 24 * time.Hour
)

// EventsPK is the partition of the status-change events (StatusChanged) the
// store writes with each change: the outbox the local relay reads in order,
// and on AWS the items the table's stream filter passes to the notify
// function. One partition: a few hundred events a day per province is far
// from DynamoDB's per-partition limits, and one key keeps the relay a single
// ordered query.
const EventsPK = "EVENTS#ALL"

func dossierPK(id string) string { return "DOSSIER#" + id }

// store keeps dossiers in a records.Table.
type store struct {
	t records.Table
}

func (s store) item(d *Dossier) (records.Item, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return records.Item{}, fmt.Errorf("encode dossier %s: %w", d.ID, err)
	}
	return records.Item{
		PK: dossierPK(d.ID), SK: skMeta,
		GSI1PK: "AGENCY#" + d.Agency + "#" + string(d.Status),
		GSI1SK: d.DueAt.UTC().Format(time.RFC3339) + "#" + d.ID,
		GSI2PK: "CODE#" + d.Code, GSI2SK: skMeta,
		Version: d.version,
		Data:    data,
	}, nil
}

func decode(it records.Item) (*Dossier, error) {
	var d Dossier
	if err := json.Unmarshal(it.Data, &d); err != nil {
		return nil, fmt.Errorf("decode dossier %s: %w", it.PK, err)
	}
	d.version = it.Version
	return &d, nil
}

// get returns the dossier with id, errs.NotFound if there is none.
func (s store) get(ctx context.Context, id string) (*Dossier, error) {
	it, err := s.t.Get(ctx, dossierPK(id), skMeta)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.E(errs.NotFound, "no dossier %s", id)
		}
		return nil, fmt.Errorf("get dossier: %w", err)
	}
	return decode(it)
}

// byCode returns the dossier with the given code.
func (s store) byCode(ctx context.Context, code string) (*Dossier, error) {
	its, err := s.t.Query(ctx, records.Query{Index: records.GSI2, PK: "CODE#" + code, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("find dossier by code: %w", err)
	}
	if len(its) == 0 {
		return nil, errs.E(errs.NotFound, "no dossier with code %s", code)
	}
	// Index items may be projections; read the base item for its version.
	return s.get(ctx, its[0].PK[len("DOSSIER#"):])
}

// queue returns an agency's dossiers in a status, earliest due first.
func (s store) queue(ctx context.Context, agency string, st Status) ([]*Dossier, error) {
	its, err := s.t.Query(ctx, records.Query{Index: records.GSI1, PK: "AGENCY#" + agency + "#" + string(st)})
	if err != nil {
		return nil, fmt.Errorf("agency queue: %w", err)
	}
	out := make([]*Dossier, 0, len(its))
	for _, it := range its {
		d, err := decode(it)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// save writes d under its version condition together with an event for each
// history entry not yet published (from index published on), all or nothing.
// On success d carries its new version. A concurrent change is errs.Conflict.
func (s store) save(ctx context.Context, d *Dossier, published int) error {
	it, err := s.item(d)
	if err != nil {
		return err
	}
	items := []records.Item{it}
	if d.version == 0 && d.PostOffice != "" {
		day, err := officeDayItem(d)
		if err != nil {
			return err
		}
		items = append(items, day)
	}
	for i := published; i < len(d.History); i++ {
		ev, err := eventItem(d, i)
		if err != nil {
			return err
		}
		items = append(items, ev)
	}
	if err := s.t.Transact(ctx, items); err != nil {
		if errs.Is(err, errs.Conflict) {
			return errs.Wrap(errs.Conflict, err, "dossier %s was changed by someone else; try again", d.Code)
		}
		return fmt.Errorf("save dossier %s: %w", d.ID, err)
	}
	d.version++
	return nil
}

// officeDayTTL is how long a post office's day list keeps a dossier.
const officeDayTTL = 92 * 24 * time.Hour

func officeDayPK(office string, day time.Time) string {
	return "OFFICE#" + office + "#" + day.In(calendar.Location()).Format("20060102")
}

// officeDayItem puts a new dossier in its post office's list of the day it
// was received. It holds the dossier's ID only: the list reads each dossier
// for its current status.
func officeDayItem(d *Dossier) (records.Item, error) {
	data, err := json.Marshal(map[string]string{"id": d.ID})
	if err != nil {
		return records.Item{}, err
	}
	return records.Item{PK: officeDayPK(d.PostOffice, d.ReceivedAt),
		SK:        d.ReceivedAt.UTC().Format("20060102T150405.000000000Z") + "#" + d.ID,
		ExpiresAt: d.ReceivedAt.Add(officeDayTTL), Data: data}, nil
}

// officeDay returns the IDs of the dossiers a post office received on the
// local day of day, newest first, at most limit.
func (s store) officeDay(ctx context.Context, office string, day time.Time, limit int) ([]string, error) {
	its, err := s.t.Query(ctx, records.Query{PK: officeDayPK(office, day), Desc: true, Limit: limit})
	if err != nil {
		return nil, fmt.Errorf("post office day list: %w", err)
	}
	ids := make([]string, 0, len(its))
	for _, it := range its {
		var v struct{ ID string }
		if err := json.Unmarshal(it.Data, &v); err != nil || v.ID == "" {
			return nil, fmt.Errorf("post office day list item %s: %v", it.SK, err)
		}
		ids = append(ids, v.ID)
	}
	return ids, nil
}

// StatusChanged is the event written with every status change of a dossier.
// It carries no personal data: consumers read the dossier if they need it.
type StatusChanged struct {
	DossierID string    `json:"dossierId"`
	Code      string    `json:"code"`
	Agency    string    `json:"agency"`
	Procedure string    `json:"procedure"`
	Status    Status    `json:"status"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor,omitempty"`
	// Seq is the index of the change in the dossier's history: (DossierID, Seq)
	// identifies an event, so a consumer can drop a duplicate delivery.
	Seq int `json:"seq"`
}

func eventItem(d *Dossier, i int) (records.Item, error) {
	h := d.History[i]
	ev := StatusChanged{DossierID: d.ID, Code: d.Code, Agency: d.Agency, Procedure: d.Procedure,
		Status: h.Status, At: h.At, Actor: h.Actor, Seq: i}
	data, err := json.Marshal(ev)
	if err != nil {
		return records.Item{}, err
	}
	return records.Item{
		PK:        EventsPK,
		SK:        h.At.UTC().Format("20060102T150405.000000000Z") + "#" + d.ID + "#" + strconv.Itoa(i),
		ExpiresAt: h.At.Add(eventsTTL),
		Data:      data,
	}, nil
}

// nextSeq returns the next number of the daily sequence of agency's dossier codes
// for the local day of at, using a conditional counter so that two clerks never get
// the same number.
func (s store) nextSeq(ctx context.Context, agency string, at time.Time) (int, error) {
	pk := "SEQ#" + agency + "#" + at.In(calendar.Location()).Format("060102")
	for attempt := 0; attempt < 20; attempt++ {
		cur, err := s.t.Get(ctx, pk, "SEQ")
		var n int
		var ver int64
		switch {
		case err == nil:
			if n, err = strconv.Atoi(string(cur.Data)); err != nil {
				return 0, fmt.Errorf("sequence %s is corrupt: %w", pk, err)
			}
			ver = cur.Version
		case errs.Is(err, errs.NotFound):
		default:
			return 0, fmt.Errorf("read sequence: %w", err)
		}
		n++
		_, err = s.t.Put(ctx, records.Item{PK: pk, SK: "SEQ", Version: ver,
			ExpiresAt: at.Add(7 * 24 * time.Hour), Data: []byte(strconv.Itoa(n))})
		if err == nil {
			return n, nil
		}
		if !errs.Is(err, errs.Conflict) {
			return 0, fmt.Errorf("advance sequence: %w", err)
		}
	}
	return 0, errs.E(errs.Unavailable, "too many concurrent dossiers for %s; try again", agency)
}
