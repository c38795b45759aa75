package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDevOnlyOnLoopback: -dev refuses an address other machines reach; the
// key of the access log may not sit in the data directory.
func TestDevOnlyOnLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:0": true, "[::1]:0": true, "localhost:0": true,
		"0.0.0.0:0": false, ":0": false, "[::]:0": false, "192.168.1.10:8080": false,
	} {
		if err := loopbackOnly(addr); (err == nil) != ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := Start(context.Background(), Options{Dev: true, Addr: "0.0.0.0:0", DataDir: t.TempDir(), Log: log}); err == nil ||
		!strings.Contains(err.Error(), "loopback") {
		t.Fatalf("-dev on 0.0.0.0: %v", err)
	}
	data := t.TempDir()
	if _, err := Start(context.Background(), Options{Addr: "127.0.0.1:0", DataDir: data, AuditKeyFile: filepath.Join(data, "k"), Log: log}); err == nil {
		t.Fatal("an access-log key inside the data directory was accepted")
	}
}

// TestNoDevRoutesWithoutDev: without -dev there is no token counter and no
// outbox, whatever the caller sends.
func TestNoDevRoutesWithoutDev(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a stack")
	}
	data := t.TempDir()
	st, err := Start(context.Background(), Options{Addr: "127.0.0.1:0", DataDir: data, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = st.Shutdown(ctx)
	}()
	for _, r := range []struct{ method, path string }{{"POST", "/v1/dev/tokens"}, {"GET", "/v1/dev/outbox?to=x"}} {
		req, _ := http.NewRequest(r.method, st.URL+r.path, strings.NewReader(`{"role":"auditor","subject":"a"}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s %s without -dev: %d", r.method, r.path, resp.StatusCode)
		}
	}
	if _, err := os.Stat(filepath.Clean(data) + ".audit-key"); err != nil {
		t.Errorf("no access-log key beside the data directory: %v", err)
	}
}
