// Package architecture_test guards the shape of the code (DESIGN.md "Rules of
// the house", the idea of Tailscale's tstest/deptest): domain packages import
// no AWS package and no adapter; no function imports another function.
package architecture_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/sohoa/sohoa/"

// adapters are the packages that connect ports to a technology; only
// functions/* and infra/local may import them (and their own tests).
var adapters = map[string]bool{
	"pkg/dynamo": true, "pkg/sqs": true, "pkg/s3": true, "pkg/kms": true,
	"pkg/notify/ses": true, "pkg/notify/sns": true, "pkg/sqlite": true,
	"pkg/awstest":   true, // test support of the AWS adapters
	"pkg/localtest": true, // test support: opens the local adapters for domain tests
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
		if !strings.HasPrefix(rel, "pkg/") || adapters[rel] {
			continue
		}
		for _, d := range p.Deps { // transitive: no back door through another package
			if awsImport(d) {
				t.Errorf("domain package %s depends on AWS package %s", rel, d)
			}
			if adapters[strings.TrimPrefix(d, module)] {
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
			if strings.HasPrefix(dr, "functions/") && dr != "functions/internal/wire" {
				t.Errorf("function %s imports function %s", rel, dr)
			}
		}
	}
}
