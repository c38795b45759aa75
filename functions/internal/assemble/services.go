package assemble

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/sohoa/sohoa/pkg/app"
	"github.com/sohoa/sohoa/pkg/aws/kms"
	"github.com/sohoa/sohoa/pkg/aws/s3"
	"github.com/sohoa/sohoa/pkg/aws/sqs"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/notify"
	"github.com/sohoa/sohoa/pkg/domain/search"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/errs"
	"github.com/sohoa/sohoa/pkg/logctx"
	"github.com/sohoa/sohoa/pkg/port/metrics"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/port/records"
)

// Logger returns the functions' logger: JSON lines on stderr, which Lambda
// sends to CloudWatch Logs, each with the dossier and request IDs of its
// context (logctx). Nothing logged carries personal data unmasked (the
// services mask citizen IDs themselves).
func Logger() *slog.Logger {
	return slog.New(logctx.NewHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
}

// Metrics returns the functions' metrics: Embedded Metric Format lines on
// stdout, which CloudWatch Logs turns into metrics of namespace
// metrics.Namespace, each with the dimension Function.
func Metrics(fn string) metrics.Sink { return metrics.NewEMF(os.Stdout, "Function", fn) }

// Stores is what every function shares: the SDK configuration, the records
// table and the dossier bucket.
type Stores struct {
	Config  Config
	AWS     *AWS
	Log     *slog.Logger
	Table   records.Table
	Dossier *blob.Bucket
}

// NewStores builds the shared part of a function's wiring.
func NewStores(ctx context.Context, cfg Config, log *slog.Logger) (*Stores, error) {
	a, err := NewAWS(ctx, cfg)
	if err != nil {
		return nil, err
	}
	b, err := a.Bucket(ctx, a.S3(), cfg.DossierBucket)
	if err != nil {
		return nil, err
	}
	return &Stores{Config: cfg, AWS: a, Log: log, Table: a.Table(), Dossier: b}, nil
}

// VaultStores is a Stores with what the dossier-handling functions (api, ingest,
// signer) also share: the vault bucket and the trust anchors.
type VaultStores struct {
	*Stores
	VaultBucket *blob.Bucket
	Roots       *x509.CertPool
}

// NewVaultStores builds a Stores, opens the vault bucket and reads the trust anchors.
// Its Build hands the assembly the vault with its access-log key and lock.
func NewVaultStores(ctx context.Context, cfg Config) (*VaultStores, error) {
	c, err := NewStores(ctx, cfg, Logger())
	if err != nil {
		return nil, err
	}
	vb, err := c.AWS.Bucket(ctx, c.AWS.S3(), cfg.VaultBucket)
	if err != nil {
		return nil, err
	}
	roots, err := c.Roots(ctx)
	if err != nil {
		return nil, err
	}
	return &VaultStores{Stores: c, VaultBucket: vb, Roots: roots}, nil
}

// Build hands the core's adapters, the vault and p to the one assembly. The
// access log's chain is anchored by a KMS HMAC key (SOHOA_AUDIT_KEY_ID: the
// table and whoever can write it never hold the key), and with
// SOHOA_VAULT_LOCK each document's bytes are locked (Object Lock
// COMPLIANCE) for its kind's retention, beyond the bucket's default.
func (b *VaultStores) Build(ctx context.Context, p Ports) (*app.App, error) {
	p.vault = b.VaultBucket
	if id := b.Config.AuditKeyID; id != "" {
		client := awskms.NewFromConfig(b.AWS.SDK(), func(o *awskms.Options) { o.BaseEndpoint = Endpoint(b.Config.Endpoints.KMS) })
		m, err := kms.NewMAC(client, id)
		if err != nil {
			return nil, err
		}
		p.mac = m
	} else {
		b.Log.Warn("no access-log key (" + EnvAuditKeyID + "): the access log is hash-chained but not keyed")
	}
	if b.Config.VaultLock {
		p.lock, p.retention = s3.RetainUntil, VaultRetention
	}
	return b.Stores.Build(ctx, p)
}

// Ports are the optional ports a function adds to the core's.
type Ports struct {
	vault     *blob.Bucket
	mac       vault.MAC
	lock      func(until time.Time) func(asFunc func(any) bool) error
	retention func(kind string, signed bool) time.Duration
	Signer    dossier.ResultSigner
	Sealer    dossier.Sealer
	// Queue sends ingest jobs (the API's uploads) or OCR jobs (the ingest
	// function's long components); nil: a queue with no topics, for
	// functions that never send (their role may not either).
	Queue queue.Queue
	// Extractor reads components' text (the ingest function's, through the
	// OCR function); nil: components carry no text layer.
	Extractor dossier.Extractor
	// Links hands files out as presigned S3 URLs and lets results be
	// uploaded by one (the api function: its answers and requests are
	// capped at 6 MB).
	Links bool
	// Results checks results uploaded by presigned URL when they land (the
	// ingest function, which their S3 events reach).
	Results dossier.ResultChecker
}

// Build hands the core's adapters and p to the one assembly, app.Build.
// Scans are read by scan.SplitIsolatedStream: the function's main must call
// scan.RunChildIfRequested first.
func (c *Stores) Build(ctx context.Context, p Ports) (*app.App, error) {
	q := p.Queue
	if q == nil {
		q = sqs.New(c.AWS.SQS(), nil, nil)
	}
	ports := app.Ports{Records: c.Table, Dossiers: c.Dossier, Vault: p.vault, Queue: q,
		Signer: p.Signer, Sealer: p.Sealer, AuditMAC: p.mac, VaultLock: p.lock, Extractor: p.Extractor,
		Results: p.Results,
		Search:  search.NewPartitioned(c.Table), // a partition per citizen or agency: see pkg/domain/search
		// A scan stored under intake/ is announced by the bucket's
		// ObjectCreated notification to the ingest queue: nothing to send.
		Intake: func(context.Context, string) error { return nil }}
	if p.Links {
		ports.DossierLinks = s3.Presigner{Bucket: c.Dossier}
		if p.vault != nil {
			ports.VaultLinks = s3.Presigner{Bucket: p.vault}
		}
	}
	return app.Build(ctx, ports,
		app.Options{Log: c.Log, Metrics: Metrics(c.Config.Function), Retention: p.retention, OCRSyncPages: c.Config.OCRSyncPages,
			Certifiers: c.Config.Certifiers})
}

// APIQueue returns the queues on which the API sends jobs: ingest jobs on
// the ingest queue (which also carries the intake bucket's S3 events) and
// sign jobs on the sign queue, when one is configured.
func (c *Stores) APIQueue() queue.Queue {
	topics := map[string]sqs.Topic{dossier.TopicIngest: {URL: c.Config.IngestQueueURL}}
	if c.Config.SignQueueURL != "" {
		topics[dossier.TopicSign] = sqs.Topic{URL: c.Config.SignQueueURL}
	}
	return sqs.New(c.AWS.SQS(), topics, c.Table)
}

// VaultRetention is how long the vault keeps a document's bytes immutable:
// a signed result, which the agency cannot issue again from nothing, for a
// lifetime (100 years); a certified copy of a paper the citizen still holds
// for ten years, the bucket's default. A deployment decision the archives
// law bounds from below.
func VaultRetention(kind string, signed bool) time.Duration {
	const year = 365 * 24 * time.Hour
	if signed {
		return 100 * year
	}
	return 10 * year
}

// Config keys in the dossier bucket: deployment data that is too large for
// environment variables and changes without a deployment.
const (
	// DirectoryKey holds the staff to notify (notify.StaffFile, the format of
	// infra/local/officers.json).
	DirectoryKey = "config/directory.json"
	// TrustRootsKey holds the PEM trust anchors signatures are verified against.
	TrustRootsKey = "config/trust-roots.pem"
	// SealChainKey holds the PEM certificate chain (leaf first) of the agency
	// seal whose private key is the KMS key SOHOA_SEAL_KEY_ID.
	SealChainKey   = "config/seal-chain.pem"
	maxConfigBytes = 1 << 20
)

// ReadConfig returns a config object; one that is not there is an
// errs.NotFound error, which callers with a default handle themselves.
func (c *Stores) ReadConfig(ctx context.Context, key string) ([]byte, error) {
	r, err := c.Dossier.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, errs.E(errs.NotFound, "assemble: no configuration object %s", key)
	}
	if err != nil {
		return nil, fmt.Errorf("assemble: read %s: %w", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("assemble: read %s: %w", key, err)
	}
	if len(b) > maxConfigBytes {
		return nil, fmt.Errorf("assemble: %s is larger than %d bytes", key, maxConfigBytes)
	}
	return b, nil
}

// Directory reads the staff directory from DirectoryKey; none is an empty one.
func (c *Stores) Directory(ctx context.Context) (notify.StaticDirectory, error) {
	f, err := c.Staff(ctx)
	if err != nil {
		return notify.StaticDirectory{}, err
	}
	return f.Directory(), nil
}

// Staff reads the staff file at DirectoryKey: who to notify, and the names
// and units pages show for people; none is an empty one.
func (c *Stores) Staff(ctx context.Context) (notify.StaffFile, error) {
	b, err := c.ReadConfig(ctx, DirectoryKey)
	if errs.Is(err, errs.NotFound) {
		c.Log.Warn("no staff directory: officers get no notifications, pages name no one", "key", DirectoryKey)
		return notify.StaffFile{}, nil
	}
	if err != nil {
		return notify.StaffFile{}, err
	}
	f, err := notify.ParseStaff(b)
	if err != nil {
		return notify.StaffFile{}, fmt.Errorf("assemble: %s: %w", DirectoryKey, err)
	}
	return f, nil
}
