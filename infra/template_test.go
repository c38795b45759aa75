// Package infra holds Sohoa's deployments: template.yaml (AWS SAM), local/ (the
// whole system in one process), servers/ (local AWS-compatible servers for
// tests) and lambdatest/ (the Lambda Runtime API harness). This test checks the
// SAM template's rules that no schema checks: arm64 and provided.al2023
// everywhere, redrive on every queue, encryption on every bucket, the table in
// pkg/aws/dynamo's shape, and least privilege per function; invariants_test.go
// checks what a real deployment must keep (retention, keys, alarms, gradual
// deployment, backoff, sign-in doors) and the per-environment parameters.
package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/sohoa/sohoa/pkg/aws/dynamo"
	"github.com/sohoa/sohoa/pkg/domain/identity"
	"github.com/sohoa/sohoa/pkg/port/queue"
	"github.com/sohoa/sohoa/pkg/web"
)

// obj is a decoded template node: map[string]any, []any, string, bool,
// int or float64. Short-form intrinsics (!Ref X, !GetAtt A.B, !Sub s, ...)
// are expanded to their long forms ({"Ref": "X"}, {"Fn::GetAtt": [A, B]}).
type obj = any

func decode(n *yaml.Node) (obj, error) {
	var v obj
	switch n.Kind {
	case yaml.DocumentNode:
		return decode(n.Content[0])
	case yaml.AliasNode:
		return decode(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := decode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			val, err := decode(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		v = s
	case yaml.ScalarNode:
		if isIntrinsic(n.Tag) {
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
	}
	if !isIntrinsic(n.Tag) {
		return v, nil
	}
	name := strings.TrimPrefix(n.Tag, "!")
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			a, b, _ := strings.Cut(s, ".")
			return map[string]any{"Fn::GetAtt": []any{a, b}}, nil
		}
	}
	return map[string]any{"Fn::" + name: v}, nil
}

// isIntrinsic reports whether tag is a CloudFormation short form (!Ref), not
// a YAML core tag (!!str).
func isIntrinsic(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

func loadTemplate(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	v, err := decode(&n)
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatal("template.yaml is not a mapping")
	}
	return m
}

func get(v obj, path ...string) obj {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v obj) string { s, _ := v.(string); return s }

// refs returns the logical IDs v refers to: Ref, Fn::GetAtt and ${X} or
// ${X.Attr} in Fn::Sub (pseudo parameters and parameters are left out by the
// caller, which knows the resources).
func refs(v obj) []string {
	var out []string
	var walk func(v obj)
	subVar := regexp.MustCompile(`\$\{([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}`)
	walk = func(v obj) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				switch k {
				case "Ref":
					out = append(out, str(val))
				case "Fn::GetAtt":
					if l, ok := val.([]any); ok && len(l) > 0 {
						out = append(out, str(l[0]))
					}
				case "Fn::Sub":
					s := str(val)
					if l, ok := val.([]any); ok && len(l) > 0 {
						s = str(l[0])
						walk(l[1:])
					}
					for _, m := range subVar.FindAllStringSubmatch(s, -1) {
						out = append(out, m[1])
					}
				default:
					walk(val)
				}
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

func resourcesOfType(res map[string]any, typ string) []string {
	var out []string
	for id, r := range res {
		if str(get(r, "Type")) == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func TestTemplate(t *testing.T) {
	tpl := loadTemplate(t)
	if str(tpl["AWSTemplateFormatVersion"]) != "2010-09-09" || str(tpl["Transform"]) != "AWS::Serverless-2016-10-31" {
		t.Fatalf("want AWSTemplateFormatVersion 2010-09-09 and the SAM transform, got %v, %v", tpl["AWSTemplateFormatVersion"], tpl["Transform"])
	}
	res, _ := tpl["Resources"].(map[string]any)
	params, _ := tpl["Parameters"].(map[string]any)
	for _, p := range []string{"CscProviderUrl", "TsaUrl"} {
		if params[p] == nil {
			t.Errorf("parameter %s is missing", p)
		}
	}
	// Every reference names a resource, a parameter or a pseudo parameter.
	for id, r := range res {
		for _, ref := range refs(r) {
			if res[ref] == nil && params[ref] == nil && !strings.HasPrefix(ref, "AWS") {
				t.Errorf("%s refers to unknown %q", id, ref)
			}
		}
	}

	t.Run("functions", func(t *testing.T) { checkFunctions(t, res) })
	t.Run("queues", func(t *testing.T) { checkQueues(t, res) })
	t.Run("buckets", func(t *testing.T) { checkBuckets(t, res) })
	t.Run("table", func(t *testing.T) { checkTable(t, res) })
	t.Run("keys", func(t *testing.T) { checkKeys(t, res) })
	t.Run("api", func(t *testing.T) { checkAPI(t, res) })
	t.Run("alarms", func(t *testing.T) { checkAlarms(t, res) })
	t.Run("least privilege", func(t *testing.T) { checkPrivilege(t, res) })
	t.Run("vault keeps what it promises", func(t *testing.T) { checkVaultPromises(t, res) })
	t.Run("ocr", func(t *testing.T) { checkOCR(t, res) })
	t.Run("no secret in an environment", func(t *testing.T) { checkNoSecretInEnv(t, res) })
}

// checkNoSecretInEnv keeps secrets out of the functions' environment, which
// the Lambda console shows to whoever may read the function's configuration:
// no dynamic reference resolved into a variable, and the session cookies'
// key derived at init from a KMS HMAC key that only the api function may use.
func checkNoSecretInEnv(t *testing.T, res map[string]any) {
	for _, id := range resourcesOfType(res, "AWS::Serverless::Function") {
		vars, _ := get(res[id], "Properties", "Environment", "Variables").(map[string]any)
		for name, v := range vars {
			if strings.Contains(fmt.Sprint(v), "{{resolve:") {
				t.Errorf("%s: %s resolves a secret into the environment", id, name)
			}
			if name == "SOHOA_SESSION_KEY" {
				t.Errorf("%s: the session key itself is in the environment; name its KMS key (SOHOA_SESSION_KEY_ID)", id)
			}
		}
	}
	api := get(res["ApiFunction"], "Properties")
	named := refs(get(api, "Environment", "Variables", "SOHOA_SESSION_KEY_ID"))
	if len(named) != 1 {
		t.Fatalf("ApiFunction: SOHOA_SESSION_KEY_ID names %v, want one KMS key of the stack", named)
	}
	key := res[named[0]]
	kp := get(key, "Properties")
	if str(get(key, "Type")) != "AWS::KMS::Key" || str(get(kp, "KeySpec")) != "HMAC_256" || str(get(kp, "KeyUsage")) != "GENERATE_VERIFY_MAC" {
		t.Errorf("SOHOA_SESSION_KEY_ID names %s, want an HMAC_256 GENERATE_VERIFY_MAC KMS key", named[0])
	}
	if named[0] == "AuditKey" {
		t.Error("the session key is derived from the access log's key: a key of its own keeps the two uses apart")
	}
	// Only the api function's role may use the key.
	sts, _ := get(kp, "KeyPolicy", "Statement").([]any)
	for _, st := range sts {
		for _, a := range actions(get(st, "Action")) {
			if a != "kms:GenerateMac" && a != "kms:VerifyMac" {
				continue
			}
			if !strings.Contains(fmt.Sprint(get(st, "Condition")), "ApiFunctionRole") || strings.Contains(fmt.Sprint(get(st, "Condition")), "IngestFunctionRole") {
				t.Errorf("%s: %s is allowed beyond the api function's role", named[0], a)
			}
		}
	}
	granted := false
	pols, _ := get(api, "Policies").([]any)
	for _, pol := range pols {
		sts, _ := get(pol, "Statement").([]any)
		for _, st := range sts {
			if slices.Contains(refs(get(st, "Resource")), named[0]) && slices.Contains(actions(get(st, "Action")), "kms:GenerateMac") {
				granted = true
			}
		}
	}
	if !granted {
		t.Errorf("ApiFunction may not call kms:GenerateMac on %s", named[0])
	}
}

// checkOCR: the OCR function (a container image) reads components and
// nothing else; only a function whose environment names it may invoke it,
// by its live alias's ARN; and the queue of OCR jobs is consumed by the
// function that sends them. (Queue visibility against function timeouts:
// checkBackoff.)
func checkOCR(t *testing.T, res map[string]any) {
	var images []string
	for _, id := range resourcesOfType(res, "AWS::Serverless::Function") {
		if str(get(res[id], "Properties", "PackageType")) == "Image" {
			images = append(images, id)
		}
	}
	if len(images) != 1 {
		t.Fatalf("image functions %v, want the OCR function alone", images)
	}
	ocrFn := images[0]
	pols, _ := get(res[ocrFn], "Properties", "Policies").([]any)
	for _, pol := range pols {
		sts, _ := get(pol, "Statement").([]any)
		for _, st := range sts {
			for _, a := range actions(get(st, "Action")) {
				switch a {
				case "s3:GetObject":
					if r := str(get(st, "Resource", "Fn::Sub")); !strings.HasSuffix(r, "/components/*") {
						t.Errorf("%s reads %v: components/ only", ocrFn, get(st, "Resource"))
					}
				case "kms:Decrypt":
				default:
					t.Errorf("%s may %s: it reads components and nothing else", ocrFn, a)
				}
			}
		}
	}
	invokers := 0
	for _, id := range resourcesOfType(res, "AWS::Serverless::Function") {
		p := get(res[id], "Properties")
		vars, _ := get(p, "Environment", "Variables").(map[string]any)
		pols, _ := get(p, "Policies").([]any)
		for _, pol := range pols {
			sts, _ := get(pol, "Statement").([]any)
			for _, st := range sts {
				if !slices.Contains(actions(get(st, "Action")), "lambda:InvokeFunction") {
					continue
				}
				invokers++
				if str(get(st, "Resource", "Fn::Sub")) != "${"+ocrFn+".Arn}:live" {
					t.Errorf("%s.%s invokes %v: only %s's live alias, by its ARN", id, str(get(st, "Sid")), get(st, "Resource"), ocrFn)
				}
			}
		}
		if vars["SOHOA_OCR_FUNCTION"] == nil {
			continue
		}
		if r := str(get(vars["SOHOA_OCR_FUNCTION"], "Fn::Sub")); r != "${"+ocrFn+"}:live" {
			t.Errorf("%s: SOHOA_OCR_FUNCTION %v is not %s's live alias (the version a gradual deployment shifts)", id, vars["SOHOA_OCR_FUNCTION"], ocrFn)
		}
		q := refs(vars["SOHOA_OCR_QUEUE_URL"])
		consumed := false
		evs, _ := get(p, "Events").(map[string]any)
		for _, ev := range evs {
			if str(get(ev, "Type")) == "SQS" && len(q) == 1 && slices.Contains(refs(get(ev, "Properties", "Queue")), q[0]) {
				consumed = true
			}
		}
		if !consumed {
			t.Errorf("%s sends OCR jobs to %v but does not consume that queue", id, q)
		}
	}
	if invokers != 1 {
		t.Errorf("%d statements invoke the OCR function, want 1 (the ingest function's)", invokers)
	}
}

func checkFunctions(t *testing.T, res map[string]any) {
	dirs, err := filepath.Glob("../functions/*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, d := range dirs {
		want[filepath.Base(filepath.Dir(d))] = true
	}
	got := map[string]bool{}
	for _, id := range resourcesOfType(res, "AWS::Serverless::Function") {
		p := get(res[id], "Properties")
		if a, _ := get(p, "Architectures").([]any); len(a) != 1 || str(a[0]) != "arm64" {
			t.Errorf("%s: Architectures %v, want [arm64]", id, get(p, "Architectures"))
		}
		if str(get(p, "PackageType")) == "Image" {
			// A container-image function (Tesseract does not fit a zip): built
			// from a Dockerfile of infra/ that must exist.
			df := str(get(res[id], "Metadata", "Dockerfile"))
			if _, err := os.Stat(filepath.Join("..", df)); df == "" || !strings.HasPrefix(df, "infra/") || err != nil {
				t.Errorf("%s: image function without a Dockerfile under infra/ (%q)", id, df)
			}
			continue
		}
		if r := str(get(p, "Runtime")); r != "provided.al2023" {
			t.Errorf("%s: Runtime %q, want provided.al2023", id, r)
		}
		if hd := str(get(p, "Handler")); hd != "bootstrap" {
			t.Errorf("%s: Handler %q, want bootstrap", id, hd)
		}
		// Relative to this folder: the repository's build/, where `make
		// build` writes the zips that `aws cloudformation package` uploads.
		code := str(get(p, "CodeUri"))
		name := strings.TrimSuffix(strings.TrimPrefix(code, "../build/"), ".zip")
		if !want[name] || code != "../build/"+name+".zip" {
			t.Errorf("%s: CodeUri %q is not ../build/<a function in functions/>.zip", id, code)
		}
		if _, err := os.Stat(filepath.Join("..", "functions", name, "main.go")); err != nil {
			t.Errorf("%s: CodeUri %q resolves to no function of functions/", id, code)
		}
		if got[name] {
			t.Errorf("function %s deployed twice", name)
		}
		got[name] = true
		// Queue and stream triggers report failures per message.
		evs, _ := get(p, "Events").(map[string]any)
		for en, ev := range evs {
			switch str(get(ev, "Type")) {
			case "SQS", "DynamoDB", "Kinesis":
				if fr, _ := get(ev, "Properties", "FunctionResponseTypes").([]any); !slices.Contains(fr, any("ReportBatchItemFailures")) {
					t.Errorf("%s: event %s does not report batch item failures", id, en)
				}
			}
		}
	}
	for n := range want {
		if !got[n] {
			t.Errorf("functions/%s is not in the template", n)
		}
	}
}

// deadLetterQueues returns the queues that are some queue's redrive target
// or a stream's on-failure destination.
func deadLetterQueues(res map[string]any) map[string]bool {
	dl := map[string]bool{}
	for _, id := range resourcesOfType(res, "AWS::SQS::Queue") {
		for _, r := range refs(get(res[id], "Properties", "RedrivePolicy")) {
			dl[r] = true
		}
	}
	for _, id := range resourcesOfType(res, "AWS::Serverless::Function") {
		evs, _ := get(res[id], "Properties", "Events").(map[string]any)
		for _, ev := range evs {
			for _, r := range refs(get(ev, "Properties", "DestinationConfig", "OnFailure")) {
				dl[r] = true
			}
		}
		for _, r := range refs(get(res[id], "Properties", "EventInvokeConfig", "DestinationConfig", "OnFailure")) {
			dl[r] = true
		}
	}
	return dl
}

func checkQueues(t *testing.T, res map[string]any) {
	dl := deadLetterQueues(res)
	for _, id := range resourcesOfType(res, "AWS::SQS::Queue") {
		p := get(res[id], "Properties")
		if get(p, "KmsMasterKeyId") == nil && get(p, "SqsManagedSseEnabled") != true {
			t.Errorf("queue %s is not encrypted", id)
		}
		if dl[id] {
			continue
		}
		rp := get(p, "RedrivePolicy")
		if rp == nil {
			t.Errorf("queue %s has no redrive policy", id)
			continue
		}
		if n, _ := get(rp, "maxReceiveCount").(int); n != queue.MaxAttempts {
			t.Errorf("queue %s: maxReceiveCount %v, want queue.MaxAttempts = %d", id, get(rp, "maxReceiveCount"), queue.MaxAttempts)
		}
		if target := refs(get(rp, "deadLetterTargetArn")); len(target) != 1 || str(get(res[target[0]], "Type")) != "AWS::SQS::Queue" {
			t.Errorf("queue %s: dead-letter target %v is not a queue", id, target)
		}
	}
}

func isKey(res map[string]any, v obj) bool {
	r := refs(v)
	return len(r) == 1 && str(get(res[r[0]], "Type")) == "AWS::KMS::Key"
}

func checkBuckets(t *testing.T, res map[string]any) {
	var lockedVault, intake bool
	for _, id := range resourcesOfType(res, "AWS::S3::Bucket") {
		p := get(res[id], "Properties")
		rules, _ := get(p, "BucketEncryption", "ServerSideEncryptionConfiguration").([]any)
		if len(rules) == 0 || str(get(rules[0], "ServerSideEncryptionByDefault", "SSEAlgorithm")) != "aws:kms" ||
			!isKey(res, get(rules[0], "ServerSideEncryptionByDefault", "KMSMasterKeyID")) {
			t.Errorf("bucket %s is not encrypted with SSE-KMS under a key of the stack", id)
		}
		pab := get(p, "PublicAccessBlockConfiguration")
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if get(pab, k) != true {
				t.Errorf("bucket %s: %s is not set", id, k)
			}
		}
		if get(p, "ObjectLockEnabled") == true {
			// COMPLIANCE: no one, root included, shortens or lifts the
			// retention (GOVERNANCE lets any principal with
			// s3:BypassGovernanceRetention delete a citizen's result).
			lockedVault = str(get(p, "ObjectLockConfiguration", "Rule", "DefaultRetention", "Mode")) == "COMPLIANCE" &&
				get(p, "ObjectLockConfiguration", "Rule", "DefaultRetention") != nil &&
				str(get(p, "VersioningConfiguration", "Status")) == "Enabled"
			if !lockedVault {
				t.Errorf("bucket %s: Object Lock without versioning or not in COMPLIANCE mode", id)
			}
		}
		if qc, _ := get(p, "NotificationConfiguration", "QueueConfigurations").([]any); len(qc) > 0 {
			intake = true
			for _, q := range qc {
				to := refs(get(q, "Queue"))
				rs, _ := get(q, "Filter", "S3Key", "Rules").([]any)
				if len(to) != 1 || str(get(res[to[0]], "Type")) != "AWS::SQS::Queue" || len(rs) != 1 || str(get(rs[0], "Value")) != "intake/" ||
					!strings.HasPrefix(str(get(q, "Event")), "s3:ObjectCreated:") {
					t.Errorf("bucket %s: notification %v is not ObjectCreated under intake/ to a queue", id, q)
				}
			}
			lc, _ := get(p, "LifecycleConfiguration", "Rules").([]any)
			if !slices.ContainsFunc(lc, func(r any) bool { return str(get(r, "Prefix")) == "intake/" }) {
				t.Errorf("intake bucket %s has no lifecycle rule on intake/", id)
			}
		}
	}
	if !lockedVault {
		t.Error("no bucket with Object Lock (the vault)")
	}
	if !intake {
		t.Error("no bucket notifies the ingest queue (the intake)")
	}
}

func checkTable(t *testing.T, res map[string]any) {
	tables := resourcesOfType(res, "AWS::DynamoDB::Table")
	if len(tables) != 1 {
		t.Fatalf("want one table (single-table design), got %v", tables)
	}
	p := get(res[tables[0]], "Properties")
	ks, _ := get(p, "KeySchema").([]any)
	if len(ks) != 2 || str(get(ks[0], "AttributeName")) != dynamo.AttrPK || str(get(ks[1], "AttributeName")) != dynamo.AttrSK {
		t.Errorf("key schema %v, want %s/%s", ks, dynamo.AttrPK, dynamo.AttrSK)
	}
	gsis, _ := get(p, "GlobalSecondaryIndexes").([]any)
	want := map[string][2]string{dynamo.IndexGSI1: {dynamo.AttrGSI1PK, dynamo.AttrGSI1SK}, dynamo.IndexGSI2: {dynamo.AttrGSI2PK, dynamo.AttrGSI2SK}}
	for _, g := range gsis {
		name := str(get(g, "IndexName"))
		k, _ := get(g, "KeySchema").([]any)
		w, ok := want[name]
		if !ok || len(k) != 2 || str(get(k[0], "AttributeName")) != w[0] || str(get(k[1], "AttributeName")) != w[1] ||
			str(get(g, "Projection", "ProjectionType")) != "ALL" {
			t.Errorf("index %v does not match pkg/dynamo", g)
		}
		delete(want, name)
	}
	if len(want) > 0 {
		t.Errorf("indexes missing: %v", want)
	}
	if v := str(get(p, "StreamSpecification", "StreamViewType")); v != "NEW_IMAGE" && v != "NEW_AND_OLD_IMAGES" {
		t.Errorf("stream view %q: the notify function reads new images", v)
	}
	if str(get(p, "TimeToLiveSpecification", "AttributeName")) != dynamo.AttrTTL || get(p, "TimeToLiveSpecification", "Enabled") != true {
		t.Errorf("TTL %v, want %s enabled", get(p, "TimeToLiveSpecification"), dynamo.AttrTTL)
	}
	if get(p, "SSESpecification", "SSEEnabled") != true {
		t.Error("table not encrypted with a customer key")
	}
}

func checkKeys(t *testing.T, res map[string]any) {
	var data, seal bool
	for _, id := range resourcesOfType(res, "AWS::KMS::Key") {
		p := get(res[id], "Properties")
		switch {
		case str(get(p, "KeySpec")) == "ECC_NIST_P256" && str(get(p, "KeyUsage")) == "SIGN_VERIFY":
			seal = true
		case get(p, "KeySpec") == nil || str(get(p, "KeySpec")) == "SYMMETRIC_DEFAULT":
			data = true
			if get(p, "EnableKeyRotation") != true {
				t.Errorf("data key %s does not rotate", id)
			}
		}
	}
	if !data || !seal {
		t.Errorf("want a symmetric data key and an ECC_NIST_P256 SIGN_VERIFY seal key (data %v, seal %v)", data, seal)
	}
}

func checkAPI(t *testing.T, res map[string]any) {
	apis := resourcesOfType(res, "AWS::Serverless::HttpApi")
	if len(apis) != 1 {
		t.Fatalf("want one HTTP API, got %v", apis)
	}
	auth := get(res[apis[0]], "Properties", "Auth")
	def := str(get(auth, "DefaultAuthorizer"))
	jwt := get(auth, "Authorizers", def, "JwtConfiguration")
	if def == "" || get(jwt, "issuer") == nil || get(jwt, "audience") == nil {
		t.Errorf("the HTTP API's default authorizer %q is not a JWT authorizer with issuer and audience", def)
	}
	groups := map[string]bool{}
	for _, id := range resourcesOfType(res, "AWS::Cognito::UserPoolGroup") {
		groups[str(get(res[id], "Properties", "GroupName"))] = true
	}
	for _, r := range []identity.Role{identity.Clerk, identity.Officer, identity.Citizen, identity.Auditor} {
		if !groups[string(r)] {
			t.Errorf("no user-pool group for role %s", r)
		}
	}
	// Only the public routes (pkg/api/openapi.json: no security) go without the authorizer.
	public := map[string]bool{"GET /healthz": true, "GET /v1/track/{code}": true, "POST /v1/verify": true, "GET /v1/shares/{token}": true}
	// The web pages check their own session cookie.
	for _, r := range web.GatewayRoutes() {
		public[r] = true
	}
	for _, id := range resourcesOfType(res, "AWS::Serverless::Function") {
		evs, _ := get(res[id], "Properties", "Events").(map[string]any)
		for en, ev := range evs {
			if str(get(ev, "Type")) != "HttpApi" {
				continue
			}
			route := str(get(ev, "Properties", "Method")) + " " + str(get(ev, "Properties", "Path"))
			if str(get(ev, "Properties", "Auth", "Authorizer")) == "NONE" && !public[route] {
				t.Errorf("%s.%s: route %s has no authorizer", id, en, route)
			}
		}
	}
}

func checkAlarms(t *testing.T, res map[string]any) {
	for _, id := range resourcesOfType(res, "AWS::CloudWatch::Alarm") {
		p := get(res[id], "Properties")
		if len(refs(get(p, "AlarmActions"))) == 0 {
			t.Errorf("alarm %s tells nobody", id)
		}
	}
	for q := range deadLetterQueues(res) {
		if len(alarmsOn(res, "ApproximateNumberOfMessagesVisible", q)) == 0 {
			t.Errorf("dead-letter queue %s has no depth alarm", q)
		}
	}
	for _, f := range resourcesOfType(res, "AWS::Serverless::Function") {
		if len(alarmsOn(res, "Errors", f)) == 0 {
			t.Errorf("function %s has no error alarm", f)
		}
	}
}

// checkPrivilege: a function's policies may name only the resources its
// environment variables point at, its event sources, and the keys that
// encrypt those; "*" only where AWS has no resource (SMS by SNS).
func checkPrivilege(t *testing.T, res map[string]any) {
	for _, id := range resourcesOfType(res, "AWS::Serverless::Function") {
		p := get(res[id], "Properties")
		allowed := map[string]bool{}
		for _, r := range refs(get(p, "Environment")) {
			allowed[r] = true
		}
		evs, _ := get(p, "Events").(map[string]any)
		for _, ev := range evs {
			if str(get(ev, "Type")) == "HttpApi" {
				continue
			}
			for _, r := range refs(get(ev, "Properties")) {
				allowed[r] = true
			}
		}
		for _, r := range refs(get(p, "EventInvokeConfig")) {
			allowed[r] = true
		}
		for r := range allowed {
			rp := get(res[r], "Properties")
			for _, enc := range []obj{get(rp, "BucketEncryption"), get(rp, "SSESpecification"), get(rp, "KmsMasterKeyId")} {
				for _, k := range refs(enc) {
					allowed[k] = true
				}
			}
		}
		pols, _ := get(p, "Policies").([]any)
		if len(pols) == 0 {
			t.Errorf("%s has no policy", id)
		}
		for _, pol := range pols {
			if s, ok := pol.(string); ok {
				t.Errorf("%s uses the managed policy %q: name the resources instead", id, s)
				continue
			}
			sts, _ := get(pol, "Statement").([]any)
			if len(sts) == 0 {
				t.Errorf("%s: policy %v is not an inline statement list (SAM policy templates are not checked)", id, pol)
			}
			for _, st := range sts {
				sid := str(get(st, "Sid"))
				if str(get(st, "Effect")) != "Allow" {
					continue
				}
				rs := get(st, "Resource")
				if str(rs) == "*" {
					acts := get(st, "Action")
					if str(acts) != "sns:Publish" || !deniesTopics(sts) {
						t.Errorf("%s.%s: Resource \"*\" for %v (only SMS, with every topic denied)", id, sid, acts)
					}
					continue
				}
				named := refs(rs)
				if len(named) == 0 {
					t.Errorf("%s.%s: resource %v names no resource of the stack", id, sid, rs)
				}
				for _, r := range named {
					if res[r] == nil {
						continue // a parameter (an SES identity) or a pseudo parameter
					}
					if !allowed[r] {
						t.Errorf("%s.%s: the policy names %s, which the function's environment and events do not", id, sid, r)
					}
				}
				for _, a := range actions(get(st, "Action")) {
					if strings.HasSuffix(a, ":*") || a == "*" {
						t.Errorf("%s.%s: wildcard action %s", id, sid, a)
					}
				}
			}
		}
	}
}

// deniesTopics reports whether a policy's statements deny sns:Publish to
// every topic and platform endpoint: what makes an sns:Publish on "*" mean
// SMS only, since SNS defines no condition key for a phone number.
func deniesTopics(sts []any) bool {
	for _, st := range sts {
		if str(get(st, "Effect")) == "Deny" && slices.Contains(actions(get(st, "Action")), "sns:Publish") &&
			str(get(st, "Resource", "Fn::Sub")) == "arn:${AWS::Partition}:sns:*:*:*" {
			return true
		}
	}
	return false
}

func actions(v obj) []string {
	if s, ok := v.(string); ok {
		return []string{s}
	}
	var out []string
	l, _ := v.([]any)
	for _, a := range l {
		out = append(out, str(a))
	}
	return out
}

// checkVaultPromises: what the vault promises citizens, in the template:
// TLS only, locks no one lifts, keys no one else uses, secrets out of
// environments, who reads what logged, MFA, failures caught, and names on
// seals that users cannot write.
func checkVaultPromises(t *testing.T, res map[string]any) {
	// Every bucket refuses plain HTTP.
	tls := map[string]bool{}
	for _, id := range resourcesOfType(res, "AWS::S3::BucketPolicy") {
		p := get(res[id], "Properties")
		sts, _ := get(p, "PolicyDocument", "Statement").([]any)
		for _, st := range sts {
			if str(get(st, "Effect")) == "Deny" && fmt.Sprint(get(st, "Condition", "Bool", "aws:SecureTransport")) == "false" {
				for _, b := range refs(get(p, "Bucket")) {
					tls[b] = true
				}
			}
		}
	}
	for _, b := range resourcesOfType(res, "AWS::S3::Bucket") {
		if !tls[b] {
			t.Errorf("bucket %s has no policy denying requests without TLS", b)
		}
	}
	// Key policies: the account administers keys but does not use them; use
	// is granted only under a condition naming the stack's roles or services.
	use := []string{"kms:Sign", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateMac", "kms:VerifyMac", "kms:ReEncrypt"}
	for _, id := range resourcesOfType(res, "AWS::KMS::Key") {
		sts, _ := get(res[id], "Properties", "KeyPolicy", "Statement").([]any)
		for _, st := range sts {
			if str(get(st, "Effect")) != "Allow" {
				continue
			}
			for _, a := range actions(get(st, "Action")) {
				if a == "kms:*" || a == "*" {
					t.Errorf("key %s: statement %s grants %s", id, str(get(st, "Sid")), a)
				}
				for _, u := range use {
					if strings.HasPrefix(a, u) && get(st, "Condition") == nil {
						t.Errorf("key %s: statement %s grants %s without a condition", id, str(get(st, "Sid")), a)
					}
				}
			}
		}
	}
	var hmacKey bool
	for _, id := range resourcesOfType(res, "AWS::KMS::Key") {
		p := get(res[id], "Properties")
		if str(get(p, "KeySpec")) == "HMAC_256" && str(get(p, "KeyUsage")) == "GENERATE_VERIFY_MAC" {
			hmacKey = true
		}
	}
	if !hmacKey {
		t.Error("no HMAC_256 key anchors the access log")
	}
	// The vault bucket: nobody shortens retention, lifts locks or deletes versions.
	denied := map[string]bool{}
	for _, id := range resourcesOfType(res, "AWS::S3::BucketPolicy") {
		sts, _ := get(res[id], "Properties", "PolicyDocument", "Statement").([]any)
		for _, st := range sts {
			if str(get(st, "Effect")) == "Deny" && get(st, "Condition") == nil {
				for _, a := range actions(get(st, "Action")) {
					denied[a] = true
				}
			}
		}
	}
	for _, a := range []string{"s3:BypassGovernanceRetention", "s3:PutBucketObjectLockConfiguration", "s3:DeleteObjectVersion"} {
		if !denied[a] {
			t.Errorf("no bucket policy denies %s", a)
		}
	}
	// Parameters and environments hold no secret; secrets live in Secrets Manager.
	if len(resourcesOfType(res, "AWS::SecretsManager::Secret")) == 0 {
		t.Error("no Secrets Manager secret: where does the CSC client secret live?")
	}
	for _, id := range resourcesOfType(res, "AWS::Serverless::Function") {
		p := get(res[id], "Properties")
		vars, _ := get(p, "Environment", "Variables").(map[string]any)
		if vars["SOHOA_VAULT_BUCKET"] != nil && fmt.Sprint(vars["SOHOA_VAULT_LOCK"]) != "true" {
			t.Errorf("%s writes the vault without locking each document for its kind's retention (SOHOA_VAULT_LOCK)", id)
		}
		for k := range vars {
			if strings.Contains(k, "SECRET") && !strings.HasSuffix(k, "_ARN") {
				t.Errorf("%s: secret in the environment: %s", id, k)
			}
		}
		// Failure destinations: asynchronous triggers (schedules) need one;
		// queue triggers have their queue's redrive, streams their OnFailure.
		evs, _ := get(p, "Events").(map[string]any)
		for en, ev := range evs {
			switch str(get(ev, "Type")) {
			case "Schedule", "ScheduleV2", "EventBridgeRule", "S3", "SNS":
				if len(refs(get(p, "EventInvokeConfig", "DestinationConfig", "OnFailure"))) == 0 {
					t.Errorf("%s: event %s has no failure destination", id, en)
				}
			case "DynamoDB", "Kinesis":
				if len(refs(get(ev, "Properties", "DestinationConfig", "OnFailure"))) == 0 {
					t.Errorf("%s: stream %s has no failure destination", id, en)
				}
			}
		}
		// The API removes no record but its queue dedup claims and the
		// session records sign-out ends, and writes vault objects only under
		// vault/.
		if !strings.Contains(str(get(p, "CodeUri")), "api") {
			continue
		}
		pols, _ := get(p, "Policies").([]any)
		for _, pol := range pols {
			sts, _ := get(pol, "Statement").([]any)
			for _, st := range sts {
				if str(get(st, "Effect")) != "Allow" {
					continue
				}
				acts := actions(get(st, "Action"))
				keys := fmt.Sprint(get(st, "Condition", "ForAllValues:StringLike", "dynamodb:LeadingKeys"))
				dedupOnly := keys == "[QDEDUP#*]" || keys == "[QDEDUP#* SESSION#*]"
				if (slices.Contains(acts, "dynamodb:DeleteItem") && !dedupOnly) || slices.Contains(acts, "s3:DeleteObject") || slices.Contains(acts, "s3:DeleteObjectVersion") {
					t.Errorf("%s.%s: the API may delete (%v)", id, str(get(st, "Sid")), acts)
				}
				if slices.Contains(acts, "s3:PutObject") && slices.Contains(refs(get(st, "Resource")), "VaultBucket") &&
					!strings.Contains(fmt.Sprint(get(st, "Resource")), "/vault/*") {
					t.Errorf("%s.%s: the API may put anywhere in the vault", id, str(get(st, "Sid")))
				}
			}
		}
	}
	// Access logs of the API, without paths (share tokens are in paths).
	for _, id := range resourcesOfType(res, "AWS::Serverless::HttpApi") {
		als := get(res[id], "Properties", "AccessLogSettings")
		if len(refs(get(als, "DestinationArn"))) == 0 || str(get(als, "Format")) == "" {
			t.Errorf("HTTP API %s has no access logs", id)
		}
		if strings.Contains(str(get(als, "Format")), "$context.path") {
			t.Errorf("HTTP API %s logs paths, which carry share tokens", id)
		}
	}
	// MFA required where people sign in with a password (the staff pool);
	// the name printed on seals is not user-writable.
	for _, id := range passwordPools(res) {
		if m := str(get(res[id], "Properties", "MfaConfiguration")); m != "ON" {
			t.Errorf("user pool %s: MfaConfiguration %q, want ON", id, m)
		}
	}
	for _, id := range resourcesOfType(res, "AWS::Cognito::UserPoolClient") {
		w, _ := get(res[id], "Properties", "WriteAttributes").([]any)
		if slices.Contains(w, any("name")) {
			t.Errorf("client %s lets users write the name printed on sealed copies", id)
		}
	}
}
