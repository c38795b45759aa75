// Package csc speaks the Cloud Signature Consortium API (v2.0, with the
// v1.0.4.0 field names as a dialect) as a client of remote signing providers;
// its exported request and response types are the wire format, shared with
// the local provider in pkg/dev/cscserver.
//
// It is not a PDF package: it signs hashes. pkg/domain/signing joins it with pkg/format/pades.
package csc

// OIDs used in requests (CSC API v2 §11.9–11.10).
const (
	OIDSHA256       = "2.16.840.1.101.3.4.2.1"
	OIDECDSASHA256  = "1.2.840.10045.4.3.2"
	OIDRSA          = "1.2.840.113549.1.1.1"
	OIDSHA256RSA    = "1.2.840.113549.1.1.11"
	OIDECPublicKey  = "1.2.840.10045.2.1"
	OIDP256         = "1.2.840.10045.3.1.7"
	SpecV2          = "2.0.0.2"
	SpecV1          = "1.0.4.0"
	MaxBody         = 1 << 20
	MaxHashesPerSAD = 1000
)

// Info is the answer of the info method.
type Info struct {
	Specs       string   `json:"specs"`
	Name        string   `json:"name"`
	Logo        string   `json:"logo,omitempty"`
	Region      string   `json:"region"`
	Lang        string   `json:"lang"`
	Description string   `json:"description"`
	AuthType    []string `json:"authType"`
	OAuth2      string   `json:"oauth2,omitempty"`
	Methods     []string `json:"methods"`
}

// CredentialInfo is the answer of credentials/info.
type CredentialInfo struct {
	Key struct {
		Status string   `json:"status"`
		Algo   []string `json:"algo"`
		Len    int      `json:"len"`
		Curve  string   `json:"curve,omitempty"`
	} `json:"key"`
	Cert struct {
		Status       string   `json:"status,omitempty"`
		Certificates []string `json:"certificates"`
		IssuerDN     string   `json:"issuerDN,omitempty"`
		SerialNumber string   `json:"serialNumber,omitempty"`
		SubjectDN    string   `json:"subjectDN,omitempty"`
		ValidFrom    string   `json:"validFrom,omitempty"`
		ValidTo      string   `json:"validTo,omitempty"`
	} `json:"cert"`
	// SCAL is "1" or "2"; with "2" the SAD is bound to the hashes.
	SCAL string `json:"SCAL"`
	// Multisign is how many hashes one authorization may cover.
	Multisign int `json:"multisign"`
	// AuthMode (v1) is "implicit", "explicit" or "oauth2code".
	AuthMode string `json:"authMode,omitempty"`
	Lang     string `json:"lang,omitempty"`
	// Auth (v2) describes the authorization objects.
	Auth *struct {
		Mode       string `json:"mode"`
		Expression string `json:"expression,omitempty"`
		Objects    []struct {
			Type   string `json:"type"`
			ID     string `json:"id"`
			Format string `json:"format,omitempty"`
			Label  string `json:"label,omitempty"`
		} `json:"objects,omitempty"`
	} `json:"auth,omitempty"`
	// OTP (v1) describes the one-time password.
	OTP *struct {
		Presence string `json:"presence"`
		Type     string `json:"type"`
		Format   string `json:"format,omitempty"`
		ID       string `json:"ID,omitempty"`
		Provider string `json:"provider,omitempty"`
	} `json:"OTP,omitempty"`
}

type AuthData struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// AuthorizeRequest carries both dialects' field names.
type AuthorizeRequest struct {
	CredentialID     string     `json:"credentialID"`
	NumSignatures    int        `json:"numSignatures"`
	Hashes           []string   `json:"hashes,omitempty"`           // v2
	HashAlgorithmOID string     `json:"hashAlgorithmOID,omitempty"` // v2
	AuthData         []AuthData `json:"AuthData,omitempty"`         // v2
	Hash             []string   `json:"hash,omitempty"`             // v1
	OTP              string     `json:"OTP,omitempty"`              // v1
	PIN              string     `json:"PIN,omitempty"`              // v1
	Description      string     `json:"description,omitempty"`
	ClientData       string     `json:"clientData,omitempty"`
}

type AuthorizeResponse struct {
	SAD       string `json:"SAD"`
	ExpiresIn int    `json:"expiresIn,omitempty"`
}

type SignHashRequest struct {
	CredentialID     string   `json:"credentialID"`
	SAD              string   `json:"SAD"`
	Hashes           []string `json:"hashes,omitempty"`           // v2
	HashAlgorithmOID string   `json:"hashAlgorithmOID,omitempty"` // v2
	Hash             []string `json:"hash,omitempty"`             // v1
	HashAlgo         string   `json:"hashAlgo,omitempty"`         // v1
	SignAlgo         string   `json:"signAlgo"`
	SignAlgoParams   string   `json:"signAlgoParams,omitempty"`
	OperationMode    string   `json:"operationMode,omitempty"`
	ClientData       string   `json:"clientData,omitempty"`
}

type SignHashResponse struct {
	Signatures []string `json:"signatures"`
}

type ListRequest struct {
	UserID       string `json:"userID,omitempty"`
	Certificates string `json:"certificates,omitempty"`
	MaxResults   int    `json:"maxResults,omitempty"`
}

type ListResponse struct {
	CredentialIDs []string `json:"credentialIDs"`
}

type CredentialRequest struct {
	CredentialID string `json:"credentialID"`
	Certificates string `json:"certificates,omitempty"`
	CertInfo     bool   `json:"certInfo,omitempty"`
	AuthInfo     bool   `json:"authInfo,omitempty"`
}

// APIError is the CSC error body.
type APIError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type,omitempty"`
	ExpiresIn   int    `json:"expires_in"`
}
