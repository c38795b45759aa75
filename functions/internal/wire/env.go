// Package wire builds Sohoa's services on AWS for the Lambda functions: it
// reads each function's environment once, builds the SDK clients once per
// container, opens the adapters (pkg/dynamo, pkg/s3, pkg/sqs, notify/ses,
// notify/sns) and hands them to the same domain services the local stack
// (infra/local) wires to SQLite and files. It also holds the thin Lambda
// handlers that turn events into service calls, so that every function's main
// is a few lines and no function imports another.
//
// It is not for business logic: every decision is taken in pkg/.
package wire

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Var is one environment variable a function reads.
type Var struct {
	Name     string
	Required bool
}

// The environment variables of the functions. infra/template.yaml sets them;
// wire's template test checks that each function gets exactly what it reads
// and that its IAM policies name the resources these variables point at.
const (
	EnvTable          = "SOHOA_TABLE"            // the DynamoDB table
	EnvDossierBucket  = "SOHOA_DOSSIER_BUCKET"   // intake/, scans/, components/, results/, config/
	EnvVaultBucket    = "SOHOA_VAULT_BUCKET"     // citizens' vault (Object Lock)
	EnvReportsBucket  = "SOHOA_REPORTS_BUCKET"   // daily SLA reports
	EnvIngestQueueURL = "SOHOA_INGEST_QUEUE_URL" // S3 intake events and ingest jobs
	EnvDataKeyID      = "SOHOA_DATA_KEY_ID"      // KMS key for SSE-KMS writes
	EnvMaxReceive     = "SOHOA_MAX_RECEIVE"      // the queue's maxReceiveCount
	EnvCSCURL         = "SOHOA_CSC_URL"          // remote signing provider (CSC API v2)
	EnvCSCClientID    = "SOHOA_CSC_CLIENT_ID"
	EnvCSCSecret      = "SOHOA_CSC_CLIENT_SECRET"
	EnvTSAURL         = "SOHOA_TSA_URL"      // RFC 3161 time-stamping authority
	EnvSealKeyID      = "SOHOA_SEAL_KEY_ID"  // asymmetric KMS key of the agency seal (certified copies)
	EnvBaseURL        = "SOHOA_API_BASE_URL" // public URL of the API (links in answers)
	EnvPortalURL      = "SOHOA_PORTAL_URL"   // citizen portal, shown in notifications
	EnvMailFrom       = "SOHOA_MAIL_FROM"    // SES verified sender
	EnvSMSSenderID    = "SOHOA_SMS_SENDER_ID"
	EnvS3PathStyle    = "SOHOA_S3_PATH_STYLE" // "true" for S3-compatible servers (tests)
	// The web pages' sign-in (pkg/web): the key of the session cookies (at
	// least 32 bytes) and the OpenID Connect provider (Cognito's hosted UI).
	EnvSessionKey   = "SOHOA_SESSION_KEY"
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
)

// Vars lists, per function, the Sohoa variables it reads (endpoint overrides
// and AWS_REGION apart).
var Vars = map[string][]Var{
	"api": {{EnvTable, true}, {EnvDossierBucket, true}, {EnvVaultBucket, true}, {EnvIngestQueueURL, true},
		{EnvDataKeyID, false}, {EnvCSCURL, false}, {EnvCSCClientID, false}, {EnvCSCSecret, false},
		{EnvTSAURL, false}, {EnvBaseURL, false}, {EnvS3PathStyle, false},
		{EnvSessionKey, false}, {EnvOIDCIssuer, false}, {EnvOIDCDomain, false}, {EnvOIDCClientID, false}, {EnvPortalURL, false}},
	"ingest": {{EnvTable, true}, {EnvDossierBucket, true}, {EnvVaultBucket, true},
		{EnvDataKeyID, false}, {EnvMaxReceive, false}, {EnvS3PathStyle, false}, {EnvSealKeyID, false}, {EnvTSAURL, false}},
	"signer": {{EnvTable, true}, {EnvDossierBucket, true}, {EnvVaultBucket, true},
		{EnvDataKeyID, false}, {EnvCSCURL, true}, {EnvCSCClientID, false}, {EnvCSCSecret, false},
		{EnvTSAURL, true}, {EnvMaxReceive, false}, {EnvS3PathStyle, false}},
	"notify": {{EnvTable, true}, {EnvDossierBucket, true}, {EnvPortalURL, false},
		{EnvMailFrom, false}, {EnvSMSSenderID, false}, {EnvS3PathStyle, false}},
	"report": {{EnvTable, true}, {EnvDossierBucket, true}, {EnvReportsBucket, true},
		{EnvDataKeyID, false}, {EnvS3PathStyle, false}},
}

// Env is a function's configuration, read once from the environment.
type Env struct {
	fn     string
	values map[string]string
}

// Load reads the variables of function fn through getenv (os.Getenv in a
// main) and fails, naming them all, if a required one is empty.
func Load(fn string, getenv func(string) string) (Env, error) {
	vars, ok := Vars[fn]
	if !ok {
		return Env{}, fmt.Errorf("wire: unknown function %q", fn)
	}
	e := Env{fn: fn, values: map[string]string{}}
	var missing []string
	for _, v := range vars {
		val := strings.TrimSpace(getenv(v.Name))
		if val == "" && v.Required {
			missing = append(missing, v.Name)
		}
		e.values[v.Name] = val
	}
	for _, n := range []string{EnvEndpointS3, EnvEndpointDynamoDB, EnvEndpointSQS, EnvEndpointSES, EnvEndpointSNS, EnvEndpointKMS, "AWS_REGION"} {
		e.values[n] = strings.TrimSpace(getenv(n))
	}
	if len(missing) > 0 {
		return Env{}, fmt.Errorf("wire: %s needs %s", fn, strings.Join(missing, ", "))
	}
	return e, nil
}

// Get returns the value of a variable; reading a variable the function does
// not declare in Vars is a programming error reported as "".
func (e Env) Get(name string) string { return e.values[name] }

// Declared reports whether function fn reads the variable name.
func Declared(fn, name string) bool {
	return slices.ContainsFunc(Vars[fn], func(v Var) bool { return v.Name == name })
}

// MaxReceive returns the queue's maxReceiveCount (default def).
func (e Env) MaxReceive(def int) (int, error) {
	s := e.Get(EnvMaxReceive)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("wire: %s=%q is not a positive number", EnvMaxReceive, s)
	}
	return n, nil
}
