package assemble

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	yaml "go.yaml.in/yaml/v3"

	"github.com/sohoa/sohoa/pkg/domain/dossier"
)

func TestLoad(t *testing.T) {
	env := map[string]string{EnvTable: "t", EnvDossierBucket: "d"}
	if _, err := Load("ingest", func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), EnvVaultBucket) {
		t.Fatalf("missing %s: %v", EnvVaultBucket, err)
	}
	env[EnvVaultBucket], env[EnvMaxReceive], env[EnvCSCURL] = "v", "5", "https://not-read"
	c, err := Load("ingest", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.CSCURL != "" || c.VaultBucket != "v" {
		t.Fatalf("undeclared variable read as %q, vault %q", c.CSCURL, c.VaultBucket)
	}
	// A maxReceiveCount other than the code's last attempt is refused.
	for _, bad := range []string{"zero", "0", "-1", "7"} {
		env[EnvMaxReceive] = bad
		if _, err := Load("ingest", func(k string) string { return env[k] }); err == nil {
			t.Fatalf("max receive %q is accepted", bad)
		}
	}
	delete(env, EnvMaxReceive)
	// The OCR: a function needs its jobs' queue; page counts are positive.
	env[EnvOCRFunction] = "sohoa-OcrFunction-1"
	if _, err := Load("ingest", func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), EnvOCRQueueURL) {
		t.Fatalf("OCR function without its queue: %v", err)
	}
	env[EnvOCRQueueURL], env[EnvOCRSyncPages], env[EnvOCRPagesPerCall] = "https://sqs.example/1/ocr", "4", "20"
	env[EnvCertifiers] = "2"
	c, err = Load("ingest", func(k string) string { return env[k] })
	if err != nil || c.OCRFunction != "sohoa-OcrFunction-1" || c.OCRQueueURL != "https://sqs.example/1/ocr" || c.OCRSyncPages != 4 || c.OCRPagesPerCall != 20 || c.Certifiers != 2 {
		t.Fatalf("OCR and certification configuration %+v, %v", c, err)
	}
	for _, name := range []string{EnvOCRSyncPages, EnvOCRPagesPerCall, EnvCertifiers} {
		old := env[name]
		env[name] = "0"
		if _, err := Load("ingest", func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("%s=0 is accepted: %v", name, err)
		}
		env[name] = old
	}
	if c, _ := Load("signer", func(k string) string { return env[k] }); c.OCRFunction != "" {
		t.Fatal("the signer reads the OCR function")
	}
	if _, err := Load("nope", os.Getenv); err == nil {
		t.Fatal("an unknown function loads")
	}
}

// TestEventsDecode checks that every sample in events/ decodes as the event
// type of the function that receives it, as Lambda would decode it.
func TestEventsDecode(t *testing.T) {
	files, err := filepath.Glob("../../../events/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no events: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		switch filepath.Base(filepath.Dir(f)) {
		case "api":
			var ev events.APIGatewayV2HTTPRequest
			err = json.Unmarshal(b, &ev)
			n = len(ev.RawPath)
		case "ingest", "signer":
			var ev events.SQSEvent
			err = json.Unmarshal(b, &ev)
			n = len(ev.Records)
		case "notify":
			var ev events.DynamoDBEvent
			err = json.Unmarshal(b, &ev)
			n = len(ev.Records)
			for _, r := range ev.Records {
				if d, ok := r.Change.NewImage["Data"]; ok && r.Change.NewImage["PK"].String() == dossier.EventsPK {
					var sc dossier.StatusChanged
					if err := json.Unmarshal(d.Binary(), &sc); err != nil || sc.DossierID == "" {
						t.Errorf("%s: Data is not a StatusChanged: %v", f, err)
					}
				}
			}
		case "report":
			var ev events.EventBridgeEvent
			err = json.Unmarshal([]byte(strings.ReplaceAll(string(b), "${SCHEDULE_TIME}", "2026-11-23T17:05:00Z")), &ev)
			n = len(ev.DetailType)
		case "s3":
			var ev events.S3Event
			err = json.Unmarshal(b, &ev)
			n = len(ev.Records)
		default:
			t.Errorf("%s: no function reads events/%s", f, filepath.Base(filepath.Dir(f)))
			continue
		}
		if err != nil || n == 0 {
			t.Errorf("%s: %v (empty: %v)", f, err, n == 0)
		}
	}
}

// TestTemplateEnvironment checks infra/template.yaml against Vars: each
// function gets every variable it requires and none it does not read.
func TestTemplateEnvironment(t *testing.T) {
	b, err := os.ReadFile("../../../infra/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				CodeUri     string `yaml:"CodeUri"`
				PackageType string `yaml:"PackageType"`
				Environment struct {
					Variables map[string]yaml.Node `yaml:"Variables"`
				} `yaml:"Environment"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &tpl); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Serverless::Function" || r.Properties.PackageType == "Image" {
			continue // container images (infra/ocr) read their own environment, not assemble's
		}
		fn := strings.TrimSuffix(filepath.Base(r.Properties.CodeUri), ".zip") // ../build/<name>.zip
		vars := Vars(fn)
		if vars == nil {
			t.Errorf("%s deploys %q, which assemble does not know", id, fn)
			continue
		}
		seen[fn] = true
		var got []string
		for k := range r.Properties.Environment.Variables {
			got = append(got, k)
			if !Declared(fn, k) {
				t.Errorf("%s: the template sets %s, which the %s function does not read", id, k, fn)
			}
		}
		sort.Strings(got)
		for _, v := range vars {
			if v.Required && !slices.Contains(got, v.Name) {
				t.Errorf("%s: the %s function requires %s; the template does not set it", id, fn, v.Name)
			}
		}
	}
	for _, fn := range Functions() {
		if !seen[fn] {
			t.Errorf("function %s is not in the template", fn)
		}
	}
}

// TestFunctionsAreFolders: Functions names exactly the folders under functions/.
func TestFunctionsAreFolders(t *testing.T) {
	mains, err := filepath.Glob("../../*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range mains {
		got = append(got, filepath.Base(filepath.Dir(m)))
	}
	sort.Strings(got)
	if !slices.Equal(got, Functions()) {
		t.Fatalf("folders %v, Functions() %v", got, Functions())
	}
}
