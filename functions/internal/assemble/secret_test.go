package assemble

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestSecretFromExtension: the CSC secret is read from the Parameters and
// Secrets extension's endpoint with the session token, never from a plain
// variable when an ARN is configured.
func TestSecretFromExtension(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Aws-Parameters-Secrets-Token") != "session" || r.URL.Query().Get("secretId") != "arn:csc" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte(`{"Name":"csc","SecretString":"s3cr3t"}`))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	env := map[string]string{"PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": port, "AWS_SESSION_TOKEN": "session"}
	get := func(k string) string { return env[k] }
	if s, err := secretFromExtension(context.Background(), get, "arn:csc"); err != nil || s != "s3cr3t" {
		t.Fatalf("secret = %q, %v", s, err)
	}
	env["AWS_SESSION_TOKEN"] = "other"
	if _, err := secretFromExtension(context.Background(), get, "arn:csc"); err == nil {
		t.Fatal("a refused request gave a secret")
	}
}
