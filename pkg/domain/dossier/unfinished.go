package dossier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/metrics"
	"github.com/sohoa/sohoa/pkg/port/queue"
)

// CodeUnfinished is the finding of a dossier whose checking could not be
// finished: its job ran out of deliveries, and the operators were told.
const CodeUnfinished = FindingUnfinished

// s3Notification is the part of an S3 event notification (the body S3
// puts on the ingest queue for an object stored under intake/) that
// ingestion reads: the event's name and the object's URL-encoded key.
type s3Notification struct {
	Event   string `json:"Event"` // "s3:TestEvent" when the notification is set up
	Records []struct {
		EventName string `json:"eventName"`
		S3        struct {
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

// ParseIngestMessage decodes a message of the ingest queue: an IngestJob
// the API queued, or an S3 event notification of scans stored under
// intake/ (each becomes a job naming its IntakeKey). It is the one decoder
// of the ingest queue, for its consumers (RunIngest) and for what happens
// when a message runs out of deliveries (GiveUp). A notification that
// announces no new object (S3's test event, a deletion) is no job; a body
// that is neither shape is errs.Invalid: retrying cannot make it decode.
func ParseIngestMessage(body []byte) ([]IngestJob, error) {
	var job IngestJob
	if err := json.Unmarshal(body, &job); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "ingest message is not JSON")
	}
	if job.DossierID != "" && job.ScanKey != "" || job.IntakeKey != "" {
		return []IngestJob{job}, nil
	}
	var n s3Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "ingest message is neither a job nor an S3 event")
	}
	if n.Event == "s3:TestEvent" {
		return nil, nil
	}
	if n.Records == nil {
		return nil, errs.E(errs.Invalid, "ingest message is neither a job nor an S3 event")
	}
	var jobs []IngestJob
	for _, r := range n.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") && !strings.HasPrefix(r.EventName, "s3:ObjectCreated:") {
			continue
		}
		// S3 encodes keys as a URL query does (a space is "+").
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, err, "S3 event key %q", r.S3.Object.Key)
		}
		jobs = append(jobs, IngestJob{IntakeKey: key})
	}
	return jobs, nil
}

// dossierOf is the dossier a job is about ("" if it names none).
func (j IngestJob) dossierOf() string {
	if j.DossierID != "" {
		return j.DossierID
	}
	id, _ := DossierOfIntakeKey(j.IntakeKey)
	return id
}

// RunIngest is a queue consumer's step for one message of the ingest queue
// (the local workers' and the ingest function's alike): it decodes it and
// runs each job, telling it whether this delivery is the queue's last
// (queue.LastAttempt): a scan stored under intake/ is ingested, a result an
// officer put there by presigned PUT is checked and taken (AcceptStoredResult).
// A message that cannot be decoded is dropped, loudly.
func (s *Service) RunIngest(ctx context.Context, m queue.Message) error {
	jobs, err := ParseIngestMessage(m.Body)
	if err != nil {
		s.c.Log.ErrorContext(ctx, "dropping an ingest message that is neither an S3 event nor a job", "message", m.ID, "err", err)
		return nil
	}
	last := queue.LastAttempt(m.Attempts)
	var failed []error
	for _, job := range jobs {
		jctx := logctx.WithDossier(ctx, job.dossierOf())
		switch {
		case IsResultUploadKey(job.IntakeKey):
			err = s.AcceptStoredResult(jctx, job.IntakeKey, last)
		case job.IntakeKey != "":
			err = s.AcceptStoredScan(jctx, job.IntakeKey, last)
		default:
			err = s.Ingest(jctx, job, last)
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("%s: %w", cmpOr(job.IntakeKey, job.ScanKey), err))
		}
	}
	return errors.Join(failed...)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// GiveUp is told that a message of topic failed its last delivery (the
// queue dead-letters it next): the dossiers it is about must not wait for
// ever. An ingestion's dossier still SCANNED gets the CodeUnfinished finding,
// recorded as a counter attempt (the fault is ours: no clock stops, no
// supplement is asked, nobody is notified); every give-up is logged at error level and counted
// as metrics.JobsDeadLettered, which the operators' alarm watches. The
// operators re-run the dossier with Reingest once the cause is fixed.
func (s *Service) GiveUp(ctx context.Context, topic string, m queue.Message, cause error) {
	var ids []string
	if topic == TopicIngest {
		jobs, _ := ParseIngestMessage(m.Body)
		for _, j := range jobs {
			if id := j.dossierOf(); id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		s.c.Log.ErrorContext(ctx, "job dead-lettered: it ran out of attempts", "topic", topic, "message", m.ID,
			"attempts", m.Attempts, "err", cause)
		s.c.Metrics.Record(ctx, metrics.JobsDeadLettered, metrics.Count, 1, "Topic", topic)
		return
	}
	for _, id := range ids {
		dctx := logctx.WithDossier(ctx, id)
		s.c.Log.ErrorContext(dctx, "job dead-lettered: it ran out of attempts; the dossier is marked unfinished", "topic", topic,
			"message", m.ID, "attempts", m.Attempts, "err", cause)
		s.c.Metrics.Record(dctx, metrics.JobsDeadLettered, metrics.Count, 1, "Topic", topic)
		if err := s.markUnfinished(dctx, id); err != nil {
			s.c.Log.ErrorContext(dctx, "could not mark the dossier unfinished", "err", err)
		}
	}
}

// markUnfinished gives a dossier still SCANNED the CodeUnfinished finding,
// as the attempt of its last scan.
func (s *Service) markUnfinished(ctx context.Context, id string) error {
	_, err := s.update(ctx, id, func(d *Dossier) error {
		if d.Status != Scanned {
			return errAlreadyDone
		}
		return s.settle(d, &analysis{findings: []Finding{NewFinding(FindingUnfinished)}})
	})
	if errors.Is(err, errAlreadyDone) || errs.Is(err, errs.NotFound) {
		return nil
	}
	if err == nil {
		s.c.Metrics.Record(ctx, metrics.Findings, metrics.Count, 1, "Code", CodeUnfinished)
	}
	return err
}

// Reingest runs a dossier's ingestion again from its last scan: an
// operator's command, once what made it fail is fixed. The dossier must be
// SCANNED (stuck) or carry an open finding of an ingestion that could not
// finish (CodeUnfinished, vault.unavailable); those findings are resolved, it
// goes back to SCANNED and a fresh
// ingest job goes on the queue, with every delivery before it.
func (s *Service) Reingest(ctx context.Context, id string) error {
	ctx = logctx.WithDossier(ctx, id)
	var scanKey string
	_, err := s.update(ctx, id, func(d *Dossier) error {
		last, ok := d.LastScan()
		if !ok {
			return errs.E(errs.Conflict, "dossier %s has no scan to ingest", id)
		}
		scanKey = last.Key
		switch {
		case d.Status == Scanned:
			return errUnchanged
		case !d.Status.pastValidation() && slices.ContainsFunc(d.Findings, func(f Finding) bool { return f.Open() && unfinishedCodes[f.Code] }):
			now := s.c.Now().UTC()
			for i, f := range d.Findings {
				if f.Open() && unfinishedCodes[f.Code] {
					d.Findings[i].ResolvedAt = now
				}
			}
			return d.move(Scanned, now, "system:operator")
		}
		return errs.E(errs.Conflict, "dossier %s is %s and its ingestion did not fail: nothing to re-run", id, d.Status)
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return err
	}
	body, err := json.Marshal(IngestJob{DossierID: id, ScanKey: scanKey})
	if err != nil {
		return err
	}
	if err := s.c.Queue.Send(ctx, TopicIngest, body, ""); err != nil {
		return fmt.Errorf("re-run ingestion of %s: %w", id, err)
	}
	s.c.Log.InfoContext(ctx, "ingestion re-run by an operator", "scan", scanKey)
	return nil
}

// unfinishedCodes are the findings of an ingestion that failed for a cause
// of ours, not of the scan: Reingest may run it again.
var unfinishedCodes = map[string]bool{FindingUnfinished: true, FindingVaultUnavailable: true}

// LastChange is the event of a dossier's latest status change, as the
// notifications received it (an operator re-sends them from it).
func (s *Service) LastChange(ctx context.Context, id string) (StatusChanged, error) {
	d, err := s.st.get(ctx, id)
	if err != nil {
		return StatusChanged{}, err
	}
	if len(d.History) == 0 {
		return StatusChanged{}, errs.E(errs.Conflict, "dossier %s has no status change", id)
	}
	i := len(d.History) - 1
	h := d.History[i]
	return StatusChanged{DossierID: d.ID, Code: d.Code, Agency: d.Agency, Procedure: d.Procedure,
		Status: h.Status, At: h.At, Actor: h.Actor, Seq: i}, nil
}
