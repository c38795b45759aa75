package assemble

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// secretFromExtension reads a Secrets Manager secret through the AWS
// Parameters and Secrets Lambda Extension (a layer listening on
// localhost:2773, authenticated by the function's session token), so that a
// secret never sits in the function's environment, where anyone allowed
// lambda:GetFunctionConfiguration reads it.
func secretFromExtension(ctx context.Context, getenv func(string) string, secretID string) (string, error) {
	port := getenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
	if port == "" {
		port = "2773"
	}
	u := "http://localhost:" + port + "/secretsmanager/get?secretId=" + url.QueryEscape(secretID)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", getenv("AWS_SESSION_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("assemble: read secret %s (is the Parameters and Secrets extension layer attached?): %w", secretID, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("assemble: read secret %s: %w", secretID, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("assemble: read secret %s: %s", secretID, resp.Status)
	}
	var out struct {
		SecretString string `json:"SecretString"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.SecretString == "" {
		return "", fmt.Errorf("assemble: secret %s is empty or unreadable", secretID)
	}
	return out.SecretString, nil
}

// CSCSecret is the CSC client secret: from Secrets Manager when
// SOHOA_CSC_CLIENT_SECRET_ARN names one (the deployment), else the plain
// variable (tests against local servers only).
func CSCSecret(ctx context.Context, cfg Config) (string, error) {
	if arn := cfg.CSCSecretARN; arn != "" {
		return secretFromExtension(ctx, os.Getenv, arn)
	}
	return cfg.CSCSecret, nil
}
