// Package architecture_test guards the shape of the code (the idea of
// Tailscale's tstest/deptest): domain packages import
// no AWS package and no adapter; no function imports another function.
package architecture_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/sohoa/sohoa/"

// adapters are the packages that connect ports to a technology (pkg/aws/…,
// pkg/local/…), the dev-only stand-ins (pkg/dev/…) and the test kits
// (pkg/testkit/…); only functions/*, infra/local and tests may import them.
func adapter(rel string) bool {
	for _, prefix := range []string{"pkg/aws/", "pkg/local/", "pkg/dev/", "pkg/testkit/"} {
		if strings.HasPrefix(rel, prefix) {
			return true
		}
	}
	return false
}

// awsImport reports whether an import path is an AWS SDK or runtime package.
func awsImport(p string) bool {
	return strings.HasPrefix(p, "github.com/aws/") || strings.HasPrefix(p, "github.com/awslabs/") ||
		strings.HasPrefix(p, "gocloud.dev/blob/s3blob") || strings.HasPrefix(p, "gocloud.dev/aws")
}

type pkgInfo struct {
	ImportPath string
	Deps       []string
	Imports    []string
}

func list(t *testing.T) []pkgInfo {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var ps []pkgInfo
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if len(ps) < 20 {
		t.Fatalf("go list found only %d packages", len(ps))
	}
	return ps
}

func TestDomainImportsNoAWSNorAdapter(t *testing.T) {
	for _, p := range list(t) {
		rel := strings.TrimPrefix(p.ImportPath, module)
		if !strings.HasPrefix(rel, "pkg/") || adapter(rel) {
			continue
		}
		for _, d := range p.Deps { // transitive: no back door through another package
			if awsImport(d) {
				t.Errorf("domain package %s depends on AWS package %s", rel, d)
			}
			if adapter(strings.TrimPrefix(d, module)) {
				t.Errorf("domain package %s depends on adapter %s", rel, strings.TrimPrefix(d, module))
			}
		}
	}
}

func TestFunctionsDoNotImportEachOther(t *testing.T) {
	for _, p := range list(t) {
		rel := strings.TrimPrefix(p.ImportPath, module)
		if !strings.HasPrefix(rel, "functions/") {
			continue
		}
		for _, d := range p.Imports {
			dr := strings.TrimPrefix(d, module)
			if strings.HasPrefix(dr, "functions/") && !strings.HasPrefix(dr, "functions/internal/") {
				t.Errorf("function %s imports function %s", rel, dr)
			}
		}
	}
}

// never lists, per Lambda binary, what it must never link: dev-only code and
// test kits for all, and for each the parts of the system it does not run
// (the ingest function never links the API router, the receipt or the
// notification senders). A package that sneaks in through a shared wiring
// package makes the binary bigger and its cold start slower, and dev-only
// code in a Lambda is a door left open.
//
// Only the ingest function reads components' text: it alone links the OCR
// client (pkg/aws/lambdaocr), the extractor and the Lambda SDK it invokes
// the OCR function with.
var never = map[string][]string{
	"api":    {"pkg/aws/ses", "pkg/aws/sns", "pkg/aws/ingest", "pkg/aws/lambdaocr", "pkg/domain/extract", lambdaSDK},
	"ingest": {"pkg/api", "pkg/web", "pkg/web/receipt", "pkg/domain/report", "pkg/aws/ses", "pkg/aws/sns"},
	"signer": {"pkg/api", "pkg/web", "pkg/web/receipt", "pkg/domain/report", "pkg/aws/ses", "pkg/aws/sns", "pkg/aws/ingest", "pkg/aws/lambdaocr", "pkg/domain/extract", lambdaSDK},
	"notify": {"pkg/api", "pkg/web", "pkg/web/receipt", "pkg/format/pades", "pkg/domain/signing", "pkg/format/csc", "pkg/aws/ingest", "pkg/aws/lambdaocr", "pkg/domain/extract", lambdaSDK},
	"report": {"pkg/api", "pkg/web", "pkg/web/receipt", "pkg/format/pades", "pkg/domain/signing", "pkg/format/csc", "pkg/aws/ses", "pkg/aws/sns", "pkg/aws/ingest", "pkg/aws/lambdaocr", "pkg/domain/extract", lambdaSDK},
}

// lambdaSDK is the Lambda API client (an import path outside the module).
const lambdaSDK = "github.com/aws/aws-sdk-go-v2/service/lambda"

// must lists, per Lambda binary, what it must link: the ingest function
// reads pages through the OCR function, with the extractor the local stack
// runs.
var must = map[string][]string{
	"ingest": {"pkg/aws/lambdaocr", "pkg/domain/extract", "pkg/aws/ingest", lambdaSDK},
}

// neverAnywhere is what no Lambda may link.
var neverAnywhere = []string{"pkg/dev/", "pkg/testkit/", "pkg/local/", "infra/"}

func TestLambdasLinkOnlyWhatTheyUse(t *testing.T) {
	fns, err := filepath.Glob("../functions/*/main.go")
	if err != nil || len(fns) == 0 {
		t.Fatalf("no functions found: %v", err)
	}
	known := map[string]bool{}
	for _, p := range list(t) {
		known[strings.TrimPrefix(p.ImportPath, module)] = true
	}
	for fn, names := range never {
		for _, n := range append(slices.Clone(names), must[fn]...) {
			if !strings.Contains(n, ".") && !known[n] {
				t.Errorf("never/must for %s names %s, which no longer exists: update the list", fn, n)
			}
		}
	}
	for _, f := range fns {
		fn := filepath.Base(filepath.Dir(f))
		forbidden, ok := never[fn]
		if !ok {
			t.Errorf("function %s has no entry in never: say what it must not link", fn)
			continue
		}
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+"functions/"+fn).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", fn, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list %s found only %d packages", fn, len(deps))
		}
		for _, m := range must[fn] {
			if !slices.Contains(deps, m) && !slices.Contains(deps, module+m) {
				t.Errorf("function %s does not link %s", fn, m)
			}
		}
		for _, d := range deps {
			if slices.Contains(forbidden, d) { // outside the module
				t.Errorf("function %s links %s, which it must never link", fn, d)
			}
			rel, ok := strings.CutPrefix(d, module)
			if !ok {
				continue
			}
			for _, bad := range append(slices.Clone(neverAnywhere), forbidden...) {
				if rel == bad || (strings.HasSuffix(bad, "/") && strings.HasPrefix(rel, bad)) || strings.HasPrefix(rel, bad+"/") {
					t.Errorf("function %s links %s, which it must never link", fn, rel)
				}
			}
		}
	}
}

// TestOneIngestPath: the local stack's ingest workers and the ingest Lambda
// run the same handler (pkg/aws/ingest), and nothing else calls the dossier
// service's intake entry points: a scan takes one path everywhere, so the
// end-to-end tests of the local stack test the code that runs in production.
func TestOneIngestPath(t *testing.T) {
	const handler = module + "pkg/aws/ingest"
	for _, p := range list(t) {
		rel := strings.TrimPrefix(p.ImportPath, module)
		if rel == "functions/ingest" || rel == "infra/local" {
			if !slices.Contains(p.Imports, handler) {
				t.Errorf("%s does not run the ingest handler (%s)", rel, handler)
			}
		}
	}
	files, err := filepath.Glob("../*/*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../*/*/*/*.go")
	for _, f := range append(files, more...) {
		if strings.HasSuffix(f, "_test.go") || strings.Contains(f, "/pkg/domain/dossier/") || strings.Contains(f, "/pkg/aws/ingest/") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range []string{".AcceptStoredScan(", ".RunIngest("} {
			if strings.Contains(string(b), call) {
				t.Errorf("%s calls %s directly: scans must reach the dossier service through the ingest handler", f, strings.Trim(call, ".("))
			}
		}
	}
}

// leaves import nothing of Sohoa's: every layer may use them, so they must
// not reach back into any layer.
var leaves = []string{
	"pkg/errs",   // the error vocabulary (upspin.io/errors' place): kinds every layer reports
	"pkg/vntime", // Vietnam's time zone: deadlines, the conversion mark and the receipt print local dates
	"pkg/race",   // whether the race detector is on: code and tests that cannot run under it, or scale down
	"pkg/logctx", // the dossier and request IDs of a context: set and read by every layer, on every log line
}

// rule forbids packages under From from importing packages under To, and
// says why. Every package a rule names must exist: a renamed package fails the
// test instead of silently escaping its rule.
type rule struct {
	From, To string
	Why      string
}

var layers = []rule{
	{"pkg/format/", "pkg/domain/", "formats read and write bytes (PDF, images, zones); the domain decides what they mean, so a format never knows a dossier"},
	{"pkg/port/", "pkg/domain/", "ports are the domain's view of storage and queues; they carry bytes and records, not domain types"},
	{"pkg/format/", "pkg/port/", "a format is pure computation over bytes it is handed; storage is the caller's"},
	{"pkg/domain/", "pkg/api", "the domain sits below the HTTP layer"},
	{"pkg/domain/", "pkg/web", "the domain sits below the pages"},
	{"pkg/domain/", "pkg/app", "the domain is assembled by pkg/app, never the reverse"},
	{"pkg/format/", "pkg/api", "formats sit below the HTTP layer"},
	{"pkg/format/", "pkg/web", "formats sit below the pages"},
	{"pkg/format/", "pkg/app", "formats sit below the assembly"},
	{"pkg/port/", "pkg/api", "ports sit below the HTTP layer"},
	{"pkg/port/", "pkg/web", "ports sit below the pages"},
	{"pkg/port/", "pkg/app", "ports sit below the assembly"},
}

func under(rel, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(rel, prefix)
	}
	return rel == prefix || strings.HasPrefix(rel, prefix+"/")
}

// TestLayersPointDown: the house reads top-down (edges → assembly → HTTP and
// pages → domain → ports and formats → leaves), each rule with its reason.
func TestLayersPointDown(t *testing.T) {
	ps := list(t)
	exists := func(prefix string) bool {
		for _, p := range ps {
			if under(strings.TrimPrefix(p.ImportPath, module), prefix) {
				return true
			}
		}
		return false
	}
	for _, r := range layers {
		for _, name := range []string{r.From, r.To} {
			if !exists(name) {
				t.Errorf("rule %s -/-> %s names %s, which no longer exists: update the rule", r.From, r.To, name)
			}
		}
	}
	for _, l := range leaves {
		if !exists(l) {
			t.Errorf("leaf %s no longer exists: update leaves", l)
		}
	}
	for _, p := range ps {
		rel := strings.TrimPrefix(p.ImportPath, module)
		for _, d := range p.Imports {
			dr, ok := strings.CutPrefix(d, module)
			if !ok {
				continue
			}
			for _, r := range layers {
				if under(rel, r.From) && under(dr, r.To) {
					t.Errorf("%s imports %s: %s", rel, dr, r.Why)
				}
			}
			for _, l := range leaves {
				if under(rel, l) {
					t.Errorf("leaf %s imports %s: a leaf imports nothing of ours", rel, dr)
				}
			}
		}
	}
}

// TestPkgIsGroupedByRole keeps pkg/ a map of roles: a new package goes into
// the group it belongs to (docs/layout.md), never flat beside them.
func TestPkgIsGroupedByRole(t *testing.T) {
	roles := []string{"domain", "format", "port", "aws", "local", "dev", "testkit", "api", "web", "app"}
	for _, l := range leaves {
		roles = append(roles, strings.TrimPrefix(l, "pkg/"))
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(roles, e.Name()) {
			t.Errorf("pkg/%s is not one of the role folders %v: move it into the group it belongs to", e.Name(), roles)
		}
	}
}
