// Package assemble builds Sohoa's services on AWS for the Lambda functions: it
// reads a function's environment once into a typed Config, builds the SDK
// clients once per container and opens the adapters (pkg/aws/…) that every
// function shares: the records table, the dossier and vault buckets, the
// dossier service, the trust anchors. Each function's own wiring (its
// handler, and the adapters only it uses) lives in its folder, so that each
// binary links only what it runs (pkg/architecture_test.go checks it).
//
// It is not for business logic: every decision is taken in pkg/.
package assemble

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sohoa/sohoa/pkg/port/queue"
)

// Var is one environment variable a function reads.
type Var struct {
	Name     string
	Required bool
}

// The environment variables of the functions. infra/template.yaml sets them;
// the template test checks that each function gets exactly what it reads and
// that its IAM policies name the resources these variables point at.
const (
	EnvTable          = "SOHOA_TABLE"            // the DynamoDB table
	EnvDossierBucket  = "SOHOA_DOSSIER_BUCKET"   // intake/, scans/, components/, results/, config/
	EnvVaultBucket    = "SOHOA_VAULT_BUCKET"     // citizens' vault (Object Lock)
	EnvReportsBucket  = "SOHOA_REPORTS_BUCKET"   // daily SLA reports
	EnvIngestQueueURL = "SOHOA_INGEST_QUEUE_URL" // S3 intake events and ingest jobs
	EnvSignQueueURL   = "SOHOA_SIGN_QUEUE_URL"   // batch-signing jobs
	EnvDataKeyID      = "SOHOA_DATA_KEY_ID"      // KMS key for SSE-KMS writes
	EnvMaxReceive     = "SOHOA_MAX_RECEIVE"      // the queue's maxReceiveCount
	EnvCSCURL         = "SOHOA_CSC_URL"          // remote signing provider (CSC API v2)
	EnvCSCClientID    = "SOHOA_CSC_CLIENT_ID"
	EnvCSCSecret      = "SOHOA_CSC_CLIENT_SECRET"     // plain: local test servers only
	EnvCSCSecretARN   = "SOHOA_CSC_CLIENT_SECRET_ARN" // Secrets Manager secret of the CSC client (the deployment)
	EnvTSAURL         = "SOHOA_TSA_URL"               // RFC 3161 time-stamping authority
	EnvAuditKeyID     = "SOHOA_AUDIT_KEY_ID"          // KMS HMAC key anchoring the vault's access log
	EnvVaultLock      = "SOHOA_VAULT_LOCK"            // "true": lock each vault document for its kind's retention (Object Lock)
	EnvSealKeyID      = "SOHOA_SEAL_KEY_ID"           // asymmetric KMS key of the agency seal (certified copies)
	EnvBaseURL        = "SOHOA_API_BASE_URL"          // public URL of the API (links in answers)
	EnvPortalURL      = "SOHOA_PORTAL_URL"            // citizen portal, shown in notifications
	EnvMailFrom       = "SOHOA_MAIL_FROM"             // SES verified sender
	EnvSMSSenderID    = "SOHOA_SMS_SENDER_ID"
	EnvS3PathStyle    = "SOHOA_S3_PATH_STYLE" // "true" for S3-compatible servers (tests)
	// The OCR on AWS (pkg/aws/lambdaocr): the container-image function that
	// reads pages, invoked synchronously by the ingest function; the queue of
	// the OCR jobs of long components (dossier.TopicOCR), which the ingest
	// function also consumes; how many pages besides the CCCD's an ingestion
	// reads itself (dossier.DefaultOCRSyncPages when unset); and how many
	// pages one invocation reads (lambdaocr.DefaultPagesPerCall when unset).
	EnvOCRFunction     = "SOHOA_OCR_FUNCTION"
	EnvOCRQueueURL     = "SOHOA_OCR_QUEUE_URL"
	EnvOCRSyncPages    = "SOHOA_OCR_SYNC_PAGES"
	EnvOCRPagesPerCall = "SOHOA_OCR_PAGES_PER_CALL"
	// How many components of a scan the ingest function certifies at once
	// (dossier.Config.Certifiers; 1 when unset): 2 where the function has
	// two vCPUs and the memory for it.
	EnvCertifiers = "SOHOA_CERTIFIERS"
	// The web pages' sign-in (pkg/web): the key of the session cookies (at
	// least 32 bytes) and the OpenID Connect provider (Cognito's hosted UI).
	EnvSessionKey   = "SOHOA_SESSION_KEY"
	EnvSessionKeyID = "SOHOA_SESSION_KEY_ID"
	EnvOIDCIssuer   = "SOHOA_OIDC_ISSUER"    // https://cognito-idp.REGION.amazonaws.com/POOL
	EnvOIDCDomain   = "SOHOA_OIDC_DOMAIN"    // https://DOMAIN.auth.REGION.amazoncognito.com
	EnvOIDCClientID = "SOHOA_OIDC_CLIENT_ID" // the user pool client (public, PKCE)
)

// Endpoint overrides, AWS's own names (the SDK reads them too); empty on AWS.
const (
	EnvEndpointS3       = "AWS_ENDPOINT_URL_S3"
	EnvEndpointDynamoDB = "AWS_ENDPOINT_URL_DYNAMODB"
	EnvEndpointSQS      = "AWS_ENDPOINT_URL_SQS"
	EnvEndpointSES      = "AWS_ENDPOINT_URL_SESV2"
	EnvEndpointSNS      = "AWS_ENDPOINT_URL_SNS"
	EnvEndpointKMS      = "AWS_ENDPOINT_URL_KMS"
	EnvEndpointLambda   = "AWS_ENDPOINT_URL_LAMBDA"
)

// Functions names the Lambda functions, as their folders under functions/.
func Functions() []string { return []string{"api", "ingest", "notify", "report", "signer"} }

// Vars returns the Sohoa variables function fn reads (endpoint overrides and
// AWS_REGION apart), or nil for an unknown function.
func Vars(fn string) []Var {
	switch fn {
	case "api":
		return []Var{{EnvTable, true}, {EnvDossierBucket, true}, {EnvVaultBucket, true}, {EnvIngestQueueURL, true},
			{EnvSignQueueURL, false}, {EnvDataKeyID, false}, {EnvCSCURL, false}, {EnvCSCClientID, false}, {EnvCSCSecret, false},
			{EnvCSCSecretARN, false}, {EnvTSAURL, false}, {EnvBaseURL, false}, {EnvS3PathStyle, false},
			{EnvAuditKeyID, false}, {EnvVaultLock, false},
			{EnvSessionKey, false}, {EnvSessionKeyID, false}, {EnvOIDCIssuer, false}, {EnvOIDCDomain, false}, {EnvOIDCClientID, false}, {EnvPortalURL, false}}
	case "ingest":
		return []Var{{EnvTable, true}, {EnvDossierBucket, true}, {EnvVaultBucket, true},
			{EnvDataKeyID, false}, {EnvMaxReceive, false}, {EnvS3PathStyle, false}, {EnvSealKeyID, false}, {EnvTSAURL, false},
			{EnvAuditKeyID, false}, {EnvVaultLock, false},
			{EnvOCRFunction, false}, {EnvOCRQueueURL, false}, {EnvOCRSyncPages, false}, {EnvOCRPagesPerCall, false},
			{EnvCertifiers, false}}
	case "signer":
		return []Var{{EnvTable, true}, {EnvDossierBucket, true}, {EnvVaultBucket, true},
			{EnvDataKeyID, false}, {EnvCSCURL, true}, {EnvCSCClientID, false}, {EnvCSCSecret, false}, {EnvCSCSecretARN, false},
			{EnvTSAURL, true}, {EnvMaxReceive, false}, {EnvS3PathStyle, false}, {EnvAuditKeyID, false}, {EnvVaultLock, false}}
	case "notify":
		return []Var{{EnvTable, true}, {EnvDossierBucket, true}, {EnvPortalURL, false},
			{EnvMailFrom, false}, {EnvSMSSenderID, false}, {EnvS3PathStyle, false}}
	case "report":
		return []Var{{EnvTable, true}, {EnvDossierBucket, true}, {EnvReportsBucket, true},
			{EnvDataKeyID, false}, {EnvS3PathStyle, false}}
	}
	return nil
}

// Declared reports whether function fn reads the variable name.
func Declared(fn, name string) bool {
	return slices.ContainsFunc(Vars(fn), func(v Var) bool { return v.Name == name })
}

// Endpoints are the AWS endpoint overrides (empty on AWS: the SDK's own).
type Endpoints struct {
	S3, DynamoDB, SQS, SES, SNS, KMS, Lambda string
}

// Config is a function's configuration, read once from the environment by
// Load. A field of a variable the function does not declare stays zero.
type Config struct {
	Function string

	Table          string
	DossierBucket  string
	VaultBucket    string
	ReportsBucket  string
	IngestQueueURL string
	SignQueueURL   string
	DataKeyID      string
	CSCURL         string
	CSCClientID    string
	CSCSecret      string
	// CSCSecretARN names the Secrets Manager secret of the CSC client (the
	// deployment); CSCSecret is for tests against local servers only.
	CSCSecretARN string
	// AuditKeyID is the KMS HMAC key anchoring the vault's access log.
	AuditKeyID string
	// VaultLock locks each vault document for its kind's retention.
	VaultLock bool
	// SessionKey keys the web pages' session cookies (at least 32 bytes):
	// for tests and local servers. A deployment names SessionKeyID instead,
	// the KMS HMAC key the session key is derived from at init (Stores.SessionKey),
	// so the key is never in the function's environment. The OIDC fields name
	// the provider of the pages' sign-in (Cognito's hosted UI).
	SessionKey   string
	SessionKeyID string
	OIDCIssuer   string
	OIDCDomain   string
	OIDCClientID string
	TSAURL       string
	SealKeyID    string
	BaseURL      string
	PortalURL    string
	MailFrom     string
	SMSSenderID  string
	S3PathStyle  bool
	// OCRFunction names the OCR function (its name or ARN; empty: no OCR),
	// OCRQueueURL the queue of OCR jobs; OCRSyncPages and OCRPagesPerCall
	// are 0 when unset (the defaults).
	OCRFunction     string
	OCRQueueURL     string
	OCRSyncPages    int
	OCRPagesPerCall int
	// Certifiers is 0 when unset (the default).
	Certifiers int
	Region     string
	Endpoints  Endpoints
}

// Load reads the variables of function fn through getenv (os.Getenv in a
// main) and fails, naming them all, if a required one is empty or a value
// is malformed.
func Load(fn string, getenv func(string) string) (Config, error) {
	vars := Vars(fn)
	if vars == nil {
		return Config{}, fmt.Errorf("assemble: unknown function %q", fn)
	}
	values := map[string]string{}
	var missing []string
	for _, v := range vars {
		val := strings.TrimSpace(getenv(v.Name))
		if val == "" && v.Required {
			missing = append(missing, v.Name)
		}
		values[v.Name] = val
	}
	if len(missing) > 0 {
		return Config{}, fmt.Errorf("assemble: %s needs %s", fn, strings.Join(missing, ", "))
	}
	env := func(name string) string { return strings.TrimSpace(getenv(name)) }
	c := Config{
		Function: fn, Table: values[EnvTable], DossierBucket: values[EnvDossierBucket],
		VaultBucket: values[EnvVaultBucket], ReportsBucket: values[EnvReportsBucket],
		IngestQueueURL: values[EnvIngestQueueURL], SignQueueURL: values[EnvSignQueueURL], DataKeyID: values[EnvDataKeyID],
		CSCURL: values[EnvCSCURL], CSCClientID: values[EnvCSCClientID],
		CSCSecret: values[EnvCSCSecret], CSCSecretARN: values[EnvCSCSecretARN], AuditKeyID: values[EnvAuditKeyID],
		VaultLock: values[EnvVaultLock] == "true", SessionKey: values[EnvSessionKey], SessionKeyID: values[EnvSessionKeyID], OIDCIssuer: values[EnvOIDCIssuer],
		OIDCDomain: values[EnvOIDCDomain], OIDCClientID: values[EnvOIDCClientID], TSAURL: values[EnvTSAURL], SealKeyID: values[EnvSealKeyID],
		BaseURL: values[EnvBaseURL], PortalURL: values[EnvPortalURL], MailFrom: values[EnvMailFrom],
		SMSSenderID: values[EnvSMSSenderID], S3PathStyle: values[EnvS3PathStyle] == "true",
		Region: env("AWS_REGION"),
		Endpoints: Endpoints{S3: env(EnvEndpointS3), DynamoDB: env(EnvEndpointDynamoDB), SQS: env(EnvEndpointSQS),
			SES: env(EnvEndpointSES), SNS: env(EnvEndpointSNS), KMS: env(EnvEndpointKMS), Lambda: env(EnvEndpointLambda)},
		OCRFunction: values[EnvOCRFunction], OCRQueueURL: values[EnvOCRQueueURL],
	}
	// The queue's maxReceiveCount, when the deployment states it, must be
	// the deliveries the code counts on (queue.LastAttempt): with fewer, a
	// job would be dead-lettered before its last attempt records why; with
	// more, it would be given up while still retried.
	if s := values[EnvMaxReceive]; s != "" && s != strconv.Itoa(queue.MaxAttempts) {
		return Config{}, fmt.Errorf("assemble: %s=%q, but the code gives a job up on delivery %d (queue.MaxAttempts): set the queue's maxReceiveCount to %[3]d", EnvMaxReceive, s, queue.MaxAttempts)
	}
	for _, v := range []struct {
		name string
		to   *int
	}{{EnvOCRSyncPages, &c.OCRSyncPages}, {EnvOCRPagesPerCall, &c.OCRPagesPerCall}, {EnvCertifiers, &c.Certifiers}} {
		if s := values[v.name]; s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				return Config{}, fmt.Errorf("assemble: %s=%q is not a positive number", v.name, s)
			}
			*v.to = n
		}
	}
	if c.OCRFunction != "" && c.OCRQueueURL == "" {
		return Config{}, fmt.Errorf("assemble: %s is set but %s is not: long components would never be read", EnvOCRFunction, EnvOCRQueueURL)
	}
	return c, nil
}
