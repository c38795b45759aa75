package main

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sohoa/sohoa/pkg/domain/identity"
)

// devKeys are the local stack's keys that stand for an identity provider:
// the token key (API bearer tokens), the key of the pages' session tokens
// and the dev operator's key to the outbox, the last two derived from the
// first.
type devKeys struct {
	token    *ecdsa.PrivateKey
	session  []byte
	operator string // empty without -dev
}

const (
	tokenKeyFile    = "token-key.pem"
	operatorKeyFile = "dev-operator-key"
)

// loadDevKeys reads the token key kept in dataDir, so that tokens and
// sessions survive a restart with -dev. Without -dev the key is replaced
// first: whatever -dev handed out (tokens of any role, sessions of the
// development sign-in, the operator's key) stops working, and the operator's
// key file is removed.
func loadDevKeys(dataDir string, dev bool) (devKeys, error) {
	path := filepath.Join(dataDir, tokenKeyFile)
	opPath := filepath.Join(dataDir, operatorKeyFile)
	if !dev {
		for _, p := range []string{path, opPath} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return devKeys{}, fmt.Errorf("rotate the development keys: %w", err)
			}
		}
	}
	key, err := identity.LoadOrCreateKey(path)
	if err != nil {
		return devKeys{}, err
	}
	secret, err := key.Bytes()
	if err != nil {
		return devKeys{}, fmt.Errorf("token key: %w", err)
	}
	k := devKeys{token: key, session: derive(secret, "sohoa/local/session-key")}
	if dev {
		k.operator = base64.RawURLEncoding.EncodeToString(derive(secret, "sohoa/local/dev-operator-key"))
		if err := os.WriteFile(opPath, []byte(k.operator+"\n"), 0o600); err != nil {
			return devKeys{}, fmt.Errorf("dev operator key: %w", err)
		}
	}
	return k, nil
}

// derive is a 256-bit key for label, from the token key's secret.
func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}
