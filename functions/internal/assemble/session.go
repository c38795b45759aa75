package assemble

import (
	"context"
	"fmt"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sohoa/sohoa/pkg/aws/kms"
	"github.com/sohoa/sohoa/pkg/domain/identity"
)

// SessionKeyLabel is the message whose HMAC under the KMS key named by
// SOHOA_SESSION_KEY_ID is the web pages' session key. A new label (or a new
// key) ends every session at the next deployment.
const SessionKeyLabel = "sohoa/web/session-cookie-key/v1"

// SessionKey returns the key of the web pages' session tokens: derived
// from the KMS HMAC key SessionKeyID at init (kms:GenerateMac of
// SessionKeyLabel, so the key lives only in the function's memory), or
// SessionKey as given (tests and local servers). Nil: none configured.
func (c *Stores) SessionKey(ctx context.Context) ([]byte, error) {
	if c.Config.SessionKeyID == "" {
		if c.Config.SessionKey == "" {
			return nil, nil
		}
		return []byte(c.Config.SessionKey), nil
	}
	client := awskms.NewFromConfig(c.AWS.SDK(), func(o *awskms.Options) { o.BaseEndpoint = Endpoint(c.Config.Endpoints.KMS) })
	return DeriveSessionKey(ctx, client, c.Config.SessionKeyID)
}

// Sessions returns the web pages' sessions: records in the stack's table,
// their tokens keyed by SessionKey; nil if no session key is configured.
func (c *Stores) Sessions(ctx context.Context) (*identity.Sessions, error) {
	key, err := c.SessionKey(ctx)
	if err != nil || key == nil {
		return nil, err
	}
	return identity.NewSessions(c.Table, key, nil)
}

// DeriveSessionKey is the session key derived from the KMS HMAC key keyID.
func DeriveSessionKey(ctx context.Context, api kms.MACAPI, keyID string) ([]byte, error) {
	m, err := kms.NewMAC(api, keyID)
	if err != nil {
		return nil, err
	}
	key, err := m.Sum(ctx, []byte(SessionKeyLabel))
	if err != nil {
		return nil, fmt.Errorf("derive the session key from %s: %w", keyID, err)
	}
	return key, nil
}
