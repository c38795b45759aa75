package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/functions/internal/assemble"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	sohoaapi "github.com/sohoa/sohoa/pkg/api"
	"github.com/sohoa/sohoa/pkg/domain/calendar"
	"github.com/sohoa/sohoa/pkg/domain/dossier"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/domain/procedure"
	"github.com/sohoa/sohoa/pkg/domain/vault"
	"github.com/sohoa/sohoa/pkg/format/scan"
	"github.com/sohoa/sohoa/pkg/testkit/localtest"
)

var quiet = slog.New(slog.DiscardHandler)

// TestPagesThroughGateway sends the API Gateway events of events/api/page-*
// through the api function's handler (the proxy adapter, the API router and
// the pages, sessions keyed by SOHOA_SESSION_KEY) over local storage: the
// Runtime API harness in infra/lambdatest sends the same files to the real
// bootstrap against the AWS-compatible servers.
func TestPagesThroughGateway(t *testing.T) {
	db, bucket := localtest.DB(t), localtest.Bucket(t)
	catalog := procedure.Default()
	v := vault.New(db.Table(), bucket, nil)
	ds, err := dossier.NewService(dossier.Config{Records: db.Table(), Blobs: bucket, Queue: db.Queue(), Catalog: catalog,
		Calendar: calendar.Default(), Vault: v, Log: quiet,
		Scans: dossier.ScanBytes(func(context.Context, []byte) (*scan.Result, error) { return nil, errors.New("no scans here") })})
	if err != nil {
		t.Fatal(err)
	}
	d, err := ds.Create(context.Background(), identity.Actor{Subject: "clerk-01", Role: identity.Clerk, Name: "Trần Thị Mai", PostOffice: "Bưu cục Hoàn Kiếm"},
		dossier.CreateInput{Procedure: "1.001193", Citizen: dossier.Citizen{ID: "001203012345", Name: "Nguyễn Văn An"}, PostOffice: "Bưu cục Hoàn Kiếm"})
	if err != nil {
		t.Fatal(err)
	}
	const key = "wire-test-session-key-0123456789abcdef"
	env, err := assemble.Load("api", func(n string) string {
		return map[string]string{assemble.EnvTable: "t", assemble.EnvDossierBucket: "d", assemble.EnvVaultBucket: "v", assemble.EnvIngestQueueURL: "q", assemble.EnvSessionKey: key}[n]
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := sohoaapi.Config{Dossiers: ds, Vault: v, Catalog: catalog, Auth: GatewayAuth{}, Documents: sohoaapi.Printed{}, Log: quiet}
	sessions, err := identity.NewSessions(db.Table(), []byte(env.SessionKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Pages, err = Pages(cfg, env, sessions, nil); err != nil {
		t.Fatal(err)
	}
	handler := httpadapter.NewV2(sohoaapi.New(cfg)).ProxyWithContext
	session, err := sessions.Start(context.Background(), identity.Actor{Subject: "001203012345", Role: identity.Citizen, Name: "Nguyễn Văn An"}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	vars := strings.NewReplacer("${DOSSIER_CODE}", d.Code, "${SESSION}", session)
	tests := []struct {
		file, want string
		status     int
	}{
		{"page-landing.json", "Bạn là ai?", 200},
		{"page-track.json", d.Code, 200},
		{"page-me.json", "Kho giấy tờ của tôi", 200},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile("../../events/api/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal([]byte(vars.Replace(string(b))), &ev); err != nil {
				t.Fatal(err)
			}
			resp, err := handler(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.want) || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") {
				t.Fatalf("%d %q:\n%.600s", resp.StatusCode, resp.Headers["Content-Type"], resp.Body)
			}
			if strings.Contains(resp.Body, "001203012345") {
				t.Error("the page shows the citizen ID")
			}
		})
	}
	// Without the cookie, /me sends the browser to sign in.
	b, _ := os.ReadFile("../../events/api/page-me.json")
	var ev events.APIGatewayV2HTTPRequest
	_ = json.Unmarshal([]byte(vars.Replace(string(b))), &ev)
	ev.Cookies = nil
	resp, err := handler(context.Background(), ev)
	if err != nil || resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "/signin?next=%2Fme" {
		t.Fatalf("signed out /me = %d %v, %v", resp.StatusCode, resp.Headers, err)
	}
}
