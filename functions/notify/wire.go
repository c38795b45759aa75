package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sohoa/sohoa/functions/internal/assemble"
	"github.com/sohoa/sohoa/pkg/aws/ses"
	"github.com/sohoa/sohoa/pkg/aws/sns"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/domain/report"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/logctx"
)

// Notify consumes the table's stream: each inserted status-change event is
// indexed for the reports and handed to the notifier. A record that fails is
// reported in BatchItemFailures (Lambda then retries from it); both steps are
// idempotent, so the records after it may be seen twice without effect.
type Notify struct {
	Handlers []notify.Handler
	Log      *slog.Logger
}

// newHandler builds the notify function's handler over AWS: email through SES
// when SOHOA_MAIL_FROM is set, SMS through SNS when SOHOA_SMS_SENDER_ID is
// set, in-app notifications always.
func newHandler(ctx context.Context, cfg assemble.Config) (*Notify, error) {
	c, err := assemble.NewStores(ctx, cfg, assemble.Logger())
	if err != nil {
		return nil, err
	}
	a, err := c.Build(ctx, assemble.Ports{})
	if err != nil {
		return nil, err
	}
	dir, err := c.Directory(ctx)
	if err != nil {
		return nil, err
	}
	senders := map[notify.Channel]notify.Sender{notify.InApp: notify.NewInbox(c.Table)}
	if from := cfg.MailFrom; from != "" {
		client := sesv2.NewFromConfig(c.AWS.SDK(), func(o *sesv2.Options) { o.BaseEndpoint = assemble.Endpoint(cfg.Endpoints.SES) })
		senders[notify.Email] = ses.New(client, from, nil)
	}
	if id := cfg.SMSSenderID; id != "" {
		client := awssns.NewFromConfig(c.AWS.SDK(), func(o *awssns.Options) { o.BaseEndpoint = assemble.Endpoint(cfg.Endpoints.SNS) })
		senders[notify.SMS] = sns.New(client, &sns.Options{SenderID: id})
	}
	// The contact on record lives in the vault's records (the same table);
	// reading it needs no vault bucket.
	contacts := vault.New(c.Table, nil, &vault.Options{Log: c.Log})
	n, err := notify.NewNotifier(notify.Config{Dossiers: a.Dossiers, Directory: dir, Records: c.Table,
		Senders: senders, PortalURL: cfg.PortalURL, Log: c.Log, Metrics: assemble.Metrics("notify"),
		Contacts: func(ctx context.Context, id string) (string, string, error) {
			ct, err := contacts.ContactOnRecord(ctx, id)
			return ct.Email, ct.Phone, err
		}})
	if err != nil {
		return nil, err
	}
	handle := func(ctx context.Context, ev dossier.StatusChanged) error {
		failed, err := n.Handle(ctx, ev)
		if err != nil {
			return err
		}
		if len(failed) > 0 {
			return fmt.Errorf("channels %v still unsent", failed)
		}
		return nil
	}
	return &Notify{Handlers: []notify.Handler{report.NewIndex(c.Table).Record, handle}, Log: c.Log}, nil
}

// Handle implements the function.
func (h *Notify) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	for _, r := range ev.Records {
		if err := h.one(ctx, r); err != nil {
			h.Log.Error("status event not handled; it will be delivered again", "sequence", r.Change.SequenceNumber, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
			// Lambda retries from the first failure: the rest come again.
			break
		}
	}
	return resp, nil
}

func (h *Notify) one(ctx context.Context, r events.DynamoDBEventRecord) error {
	if r.EventName != string(events.DynamoDBOperationTypeInsert) {
		return nil
	}
	img := r.Change.NewImage
	pk, ok := img["PK"]
	if !ok || pk.DataType() != events.DataTypeString || pk.String() != dossier.EventsPK {
		return nil
	}
	data, ok := img["Data"]
	if !ok || data.DataType() != events.DataTypeBinary {
		h.Log.Error("dropping a status event without Data", "sequence", r.Change.SequenceNumber)
		return nil
	}
	var ev dossier.StatusChanged
	if err := json.Unmarshal(data.Binary(), &ev); err != nil || ev.DossierID == "" {
		h.Log.Error("dropping an undecodable status event", "sequence", r.Change.SequenceNumber, "err", err)
		return nil
	}
	ctx = logctx.WithDossier(logctx.WithRequest(ctx, r.EventID), ev.DossierID)
	for _, hd := range h.Handlers {
		err := hd(ctx, ev)
		if errs.Is(err, errs.Invalid) {
			h.Log.Error("dropping a status event a handler refuses", "sequence", r.Change.SequenceNumber, "err", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("event %s#%d (%s): %w", ev.DossierID, ev.Seq, strings.ToLower(string(ev.Status)), err)
		}
	}
	return nil
}
