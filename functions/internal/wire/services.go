package wire

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	pdfcpu "github.com/pdfcpu/pdfcpu/pkg/api"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/sohoa/sohoa/pkg/calendar"
	"github.com/sohoa/sohoa/pkg/dossier"
	"github.com/sohoa/sohoa/pkg/notify"
	"github.com/sohoa/sohoa/pkg/procedure"
	"github.com/sohoa/sohoa/pkg/queue"
	"github.com/sohoa/sohoa/pkg/records"
	"github.com/sohoa/sohoa/pkg/scan"
	"github.com/sohoa/sohoa/pkg/search"
	"github.com/sohoa/sohoa/pkg/sqs"
	"github.com/sohoa/sohoa/pkg/vault"
)

// Logger returns the functions' logger: JSON lines on stderr, which Lambda
// sends to CloudWatch Logs. Nothing logged carries personal data unmasked
// (the services mask citizen IDs themselves).
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// Core is what every function shares: the SDK configuration, the records
// table, the dossier bucket and the catalog.
type Core struct {
	Env     Env
	AWS     *AWS
	Log     *slog.Logger
	Table   records.Table
	Dossier *blob.Bucket
	Catalog *procedure.Catalog
}

// NewCore builds the shared part of a function's wiring.
func NewCore(ctx context.Context, env Env, log *slog.Logger) (*Core, error) {
	// pdfcpu must not look for a configuration folder: Lambda writes only /tmp.
	pdfcpu.DisableConfigDir()
	if err := procedure.DefaultErr(); err != nil {
		return nil, fmt.Errorf("wire: procedure catalog: %w", err)
	}
	a, err := NewAWS(ctx, env)
	if err != nil {
		return nil, err
	}
	b, err := a.Bucket(ctx, a.S3(), EnvDossierBucket)
	if err != nil {
		return nil, err
	}
	return &Core{Env: env, AWS: a, Log: log, Table: a.Table(), Dossier: b, Catalog: procedure.Default()}, nil
}

// Base is a Core with what the dossier-handling functions (api, ingest,
// signer) also share: the vault and the trust anchors.
type Base struct {
	*Core
	Vault *vault.Service
	Roots *x509.CertPool
}

// NewBase builds a Core, opens the vault and reads the trust anchors.
func NewBase(ctx context.Context, env Env) (*Base, error) {
	c, err := NewCore(ctx, env, Logger())
	if err != nil {
		return nil, err
	}
	v, err := c.OpenVault(ctx)
	if err != nil {
		return nil, err
	}
	roots, err := c.Roots(ctx)
	if err != nil {
		return nil, err
	}
	return &Base{Core: c, Vault: v, Roots: roots}, nil
}

// DossierOptions are the optional parts of a dossier service.
type DossierOptions struct {
	Vault  dossier.Vault
	Signer dossier.ResultSigner
	Sealer dossier.Sealer
	// Queue sends ingest jobs (the API's uploads); nil: a queue with no
	// topics, for functions that never send (their role may not either).
	Queue queue.Queue
}

// Dossiers returns the dossier service over the core's table and bucket.
// Scans are read by scan.SplitIsolated: the function's main must call
// scan.RunChildIfRequested first.
func (c *Core) Dossiers(o DossierOptions) (*dossier.Service, error) {
	q := o.Queue
	if q == nil {
		q = sqs.New(c.AWS.SQS(), nil, nil)
	}
	lim := scan.DefaultLimits()
	return dossier.NewService(dossier.Config{
		Records: c.Table, Blobs: c.Dossier, Queue: q, Catalog: c.Catalog, Calendar: calendar.Default(),
		Scans: func(ctx context.Context, data []byte) (*scan.Result, error) {
			return scan.SplitIsolated(ctx, data, lim)
		},
		Vault: o.Vault, Signer: o.Signer, Sealer: o.Sealer, Log: c.Log,
		Search: search.NewPartitioned(c.Table),
	})
}

// IngestQueue returns the queue on which the API sends ingest jobs: the
// ingest queue, which also carries the intake bucket's S3 events.
func (c *Core) IngestQueue() queue.Queue {
	return sqs.New(c.AWS.SQS(), map[string]sqs.Topic{
		dossier.TopicIngest: {URL: c.Env.Get(EnvIngestQueueURL)},
	}, c.Table)
}

// OpenVault opens the vault bucket and returns the vault service.
func (c *Core) OpenVault(ctx context.Context) (*vault.Service, error) {
	b, err := c.AWS.Bucket(ctx, c.AWS.S3(), EnvVaultBucket)
	if err != nil {
		return nil, err
	}
	return vault.New(c.Table, b, &vault.Options{Log: c.Log}), nil
}

// Config keys in the dossier bucket: deployment data that is too large for
// environment variables and changes without a deployment.
const (
	// DirectoryKey holds the staff to notify, as infra/local/officers.json:
	// {"officers":[{"id","name","agency","email","phone"}], "staff":[...]}.
	DirectoryKey = "config/directory.json"
	// TrustRootsKey holds the PEM trust anchors signatures are verified against.
	TrustRootsKey = "config/trust-roots.pem"
	// SealChainKey holds the PEM certificate chain (leaf first) of the agency
	// seal whose private key is the KMS key SOHOA_SEAL_KEY_ID.
	SealChainKey   = "config/seal-chain.pem"
	maxConfigBytes = 1 << 20
)

// readConfig returns a config object, or nil if there is none.
func (c *Core) readConfig(ctx context.Context, key string) ([]byte, error) {
	r, err := c.Dossier.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		c.Log.Warn("no configuration object; using none", "key", key)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("wire: read %s: %w", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("wire: read %s: %w", key, err)
	}
	if len(b) > maxConfigBytes {
		return nil, fmt.Errorf("wire: %s is larger than %d bytes", key, maxConfigBytes)
	}
	return b, nil
}

type staffMember struct {
	ID     string `json:"id"`
	Agency string `json:"agency"`
	Email  string `json:"email"`
	Phone  string `json:"phone"`
	Lang   string `json:"lang"`
}

// Directory reads the staff directory from DirectoryKey; none is an empty one.
func (c *Core) Directory(ctx context.Context) (notify.StaticDirectory, error) {
	d := notify.StaticDirectory{Officers: map[string][]notify.Recipient{}, People: map[string]notify.Recipient{}}
	b, err := c.readConfig(ctx, DirectoryKey)
	if err != nil || b == nil {
		return d, err
	}
	var f struct {
		Officers []staffMember `json:"officers"`
		Staff    []staffMember `json:"staff"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return d, fmt.Errorf("wire: %s: %w", DirectoryKey, err)
	}
	for _, o := range f.Officers {
		if o.ID == "" || o.Agency == "" {
			return d, errors.New("wire: " + DirectoryKey + ": an officer without id or agency")
		}
		d.Officers[o.Agency] = append(d.Officers[o.Agency], notify.Recipient{Subject: o.ID, Email: o.Email, Phone: o.Phone, Lang: o.Lang})
	}
	for _, s := range f.Staff {
		if s.ID == "" {
			return d, errors.New("wire: " + DirectoryKey + ": a staff member without id")
		}
		d.People[s.ID] = notify.Recipient{Subject: s.ID, Email: s.Email, Phone: s.Phone, Lang: s.Lang}
	}
	return d, nil
}
