package infra

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/pkg/port/queue"
)

// TestDeployInvariants pins what a real deployment must keep whatever else
// changes in the template: stateful resources outlive the stack, keys
// outlive administrators' mistakes, alarms reach someone, functions are
// traced and deployed gradually, roles can encrypt what they write, retries
// back off from code, config/ is read-only, and the two sign-in doors.
func TestDeployInvariants(t *testing.T) {
	tpl := loadTemplate(t)
	res, _ := tpl["Resources"].(map[string]any)
	for _, c := range []struct {
		name  string
		check func(*testing.T, map[string]any, map[string]any)
	}{
		{"stateful resources are retained", checkRetained},
		{"every function logs into a retained group with retention", checkLogGroups},
		{"keys only a break-glass role disables", checkBreakGlass},
		{"the vault has a key of its own", checkVaultKey},
		{"the table is backed up", checkBackup},
		{"the vault can replicate with Object Lock", checkReplication},
		{"the alarm topic is under a key CloudWatch may use", checkAlarmTopic},
		{"alarms on rates, ages, depth, iterator age, throttles, backlog", checkAlarmCoverage},
		{"traced, aliased and rolled back by alarms", checkGradualDeployment},
		{"roles may encrypt what they write", checkKMSForWrites},
		{"queues fit backoff from code", checkBackoff},
		{"config is read-only to functions", checkConfigReadOnly},
		{"sign-in doors", checkCognito},
		{"SMS scoped with keys SNS defines", checkSMS},
		{"the OCR image is an ECR URI", checkImageURI},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t, tpl, res) })
	}
}

// alarmsOn returns the alarms that watch metric with a dimension naming
// resource, as a plain metric or inside metric math.
func alarmsOn(res map[string]any, metric, resource string) []string {
	var out []string
	for _, id := range resourcesOfType(res, "AWS::CloudWatch::Alarm") {
		p := get(res[id], "Properties")
		stats := []obj{p}
		ms, _ := get(p, "Metrics").([]any)
		for _, m := range ms {
			stats = append(stats, get(m, "MetricStat", "Metric"))
		}
		for _, st := range stats {
			if str(get(st, "MetricName")) != metric {
				continue
			}
			if slices.Contains(refs(get(st, "Dimensions")), resource) {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// passwordPools returns the user pools some client signs into with
// Cognito's own passwords (SupportedIdentityProviders includes COGNITO).
func passwordPools(res map[string]any) []string {
	var out []string
	for _, c := range resourcesOfType(res, "AWS::Cognito::UserPoolClient") {
		p := get(res[c], "Properties")
		idps, _ := get(p, "SupportedIdentityProviders").([]any)
		if slices.Contains(idps, any("COGNITO")) {
			out = append(out, refs(get(p, "UserPoolId"))...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// statefulTypes hold data or keys that outlive a stack.
var statefulTypes = []string{
	"AWS::KMS::Key", "AWS::SecretsManager::Secret", "AWS::SQS::Queue", "AWS::Cognito::UserPool",
	"AWS::Logs::LogGroup", "AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::Backup::BackupVault",
}

func checkRetained(t *testing.T, _, res map[string]any) {
	n := 0
	for _, typ := range statefulTypes {
		for _, id := range resourcesOfType(res, typ) {
			n++
			r := res[id].(map[string]any)
			if str(r["DeletionPolicy"]) != "Retain" || str(r["UpdateReplacePolicy"]) != "Retain" {
				t.Errorf("%s (%s): DeletionPolicy %v, UpdateReplacePolicy %v; want Retain for both", id, typ, r["DeletionPolicy"], r["UpdateReplacePolicy"])
			}
		}
	}
	if n < 20 {
		t.Errorf("only %d stateful resources found: the list of types is stale", n)
	}
	for _, id := range resourcesOfType(res, "AWS::DynamoDB::Table") {
		if get(res[id], "Properties", "DeletionProtectionEnabled") != true {
			t.Errorf("table %s: DeletionProtectionEnabled is not true", id)
		}
	}
}

func checkLogGroups(t *testing.T, _, res map[string]any) {
	for _, id := range resourcesOfType(res, "AWS::Logs::LogGroup") {
		if v := get(res[id], "Properties", "RetentionInDays"); v == nil {
			t.Errorf("log group %s keeps logs forever", id)
		}
	}
	used := map[string]string{}
	for _, id := range resourcesOfType(res, "AWS::Serverless::Function") {
		g := refs(get(res[id], "Properties", "LoggingConfig", "LogGroup"))
		if len(g) != 1 || str(get(res[g[0]], "Type")) != "AWS::Logs::LogGroup" {
			t.Errorf("%s: LoggingConfig.LogGroup %v is not a log group of the stack (Lambda would create one with no retention)", id, g)
			continue
		}
		if other, ok := used[g[0]]; ok {
			t.Errorf("%s and %s log into the same group %s", id, other, g[0])
		}
		used[g[0]] = id
	}
}

// keyPolicy returns the statements of a KMS key's policy.
func keyPolicy(res map[string]any, key string) []any {
	sts, _ := get(res[key], "Properties", "KeyPolicy", "Statement").([]any)
	return sts
}

func checkBreakGlass(t *testing.T, tpl, res map[string]any) {
	if get(tpl, "Parameters", "BreakGlassRoleArn") == nil {
		t.Fatal("no BreakGlassRoleArn parameter")
	}
	dangerous := []string{"kms:DisableKey", "kms:ScheduleKeyDeletion"}
	for _, key := range []string{"DataKey", "VaultKey", "AuditKey"} {
		sts := keyPolicy(res, key)
		if sts == nil {
			t.Errorf("%s: no key policy", key)
			continue
		}
		denied := false
		for _, st := range sts {
			acts := actions(get(st, "Action"))
			switch str(get(st, "Effect")) {
			case "Deny":
				if str(get(st, "Principal")) == "*" && containsAll(acts, dangerous) &&
					slices.Equal(refs(get(st, "Condition", "ArnNotEquals", "aws:PrincipalArn")), []string{"BreakGlassRoleArn"}) {
					denied = true
				}
			case "Allow":
				// No one but the break-glass role is even allowed to.
				for _, a := range acts {
					for _, d := range dangerous {
						if matchAction(a, d) && !slices.Equal(refs(get(st, "Principal", "AWS")), []string{"BreakGlassRoleArn"}) {
							t.Errorf("%s.%s allows %s to %v", key, str(get(st, "Sid")), a, get(st, "Principal"))
						}
					}
				}
			}
		}
		if !denied {
			t.Errorf("%s: no statement denies %v to everyone but BreakGlassRoleArn", key, dangerous)
		}
	}
}

// matchAction reports whether the policy action pattern a (kms:Disable*)
// covers the action want.
func matchAction(a, want string) bool {
	if strings.HasSuffix(a, "*") {
		return strings.HasPrefix(want, strings.TrimSuffix(a, "*"))
	}
	return a == want
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// encryptionKey returns the stack key that encrypts a bucket, table, queue,
// secret or topic, or "".
func encryptionKey(res map[string]any, id string) string {
	p := get(res[id], "Properties")
	rules, _ := get(p, "BucketEncryption", "ServerSideEncryptionConfiguration").([]any)
	var v obj
	switch {
	case len(rules) > 0:
		v = get(rules[0], "ServerSideEncryptionByDefault", "KMSMasterKeyID")
	case get(p, "SSESpecification") != nil:
		v = get(p, "SSESpecification", "KMSMasterKeyId")
	case get(p, "KmsMasterKeyId") != nil:
		v = get(p, "KmsMasterKeyId")
	default:
		v = get(p, "KmsKeyId")
	}
	for _, r := range refs(v) {
		if str(get(res[r], "Type")) == "AWS::KMS::Key" {
			return r
		}
	}
	return ""
}

func checkVaultKey(t *testing.T, _, res map[string]any) {
	var vault string
	for _, b := range resourcesOfType(res, "AWS::S3::Bucket") {
		if get(res[b], "Properties", "ObjectLockEnabled") == true {
			vault = b
		}
	}
	key := encryptionKey(res, vault)
	if key == "" {
		t.Fatalf("vault bucket %q is not encrypted under a key of the stack", vault)
	}
	for _, typ := range []string{"AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SecretsManager::Secret", "AWS::SNS::Topic"} {
		for _, id := range resourcesOfType(res, typ) {
			if id != vault && encryptionKey(res, id) == key {
				t.Errorf("%s shares the vault's key %s: disabling it for one would lock the vault", id, key)
			}
		}
	}
}

func checkBackup(t *testing.T, _, res map[string]any) {
	tables := resourcesOfType(res, "AWS::DynamoDB::Table")
	backed := false
	for _, id := range resourcesOfType(res, "AWS::Backup::BackupSelection") {
		sel := get(res[id], "Properties", "BackupSelection")
		if slices.Equal(refs(get(sel, "Resources")), tables) {
			plan := refs(get(res[id], "Properties", "BackupPlanId"))
			rules, _ := get(res[plan[0]], "Properties", "BackupPlan", "BackupPlanRule").([]any)
			backed = len(rules) > 0 && get(rules[0], "Lifecycle", "DeleteAfterDays") != nil && str(get(rules[0], "ScheduleExpression")) != ""
		}
	}
	if !backed {
		t.Errorf("no AWS Backup plan with a schedule and a lifecycle selects the table %v", tables)
	}
	for _, id := range resourcesOfType(res, "AWS::Backup::BackupVault") {
		if get(res[id], "Properties", "LockConfiguration", "MinRetentionDays") == nil {
			t.Errorf("backup vault %s has no lock: an administrator can delete every backup", id)
		}
	}
}

func checkReplication(t *testing.T, tpl, res map[string]any) {
	p := get(res["VaultBucket"], "Properties")
	rc, _ := get(p, "ReplicationConfiguration", "Fn::If").([]any)
	if len(rc) != 3 || get(tpl, "Conditions", str(rc[0])) == nil || str(get(rc[2], "Ref")) != "AWS::NoValue" {
		t.Fatalf("VaultBucket: ReplicationConfiguration %v is not optional on a condition", get(p, "ReplicationConfiguration"))
	}
	if get(p, "ObjectLockEnabled") != true || get(p, "ObjectLockConfiguration", "Rule", "DefaultRetention", "Mode") != "COMPLIANCE" {
		t.Error("VaultBucket: replication must keep Object Lock in COMPLIANCE mode")
	}
	role := refs(get(rc[1], "Role"))
	if len(role) != 1 || str(get(res[role[0]], "Condition")) != str(rc[0]) {
		t.Fatalf("replication role %v is not created under the same condition", role)
	}
	var acts []string
	pols, _ := get(res[role[0]], "Properties", "Policies").([]any)
	for _, pol := range pols {
		sts, _ := get(pol, "PolicyDocument", "Statement").([]any)
		for _, st := range sts {
			acts = append(acts, actions(get(st, "Action"))...)
		}
	}
	// Retention and legal holds travel with each replica only if the role may read them.
	for _, a := range []string{"s3:GetObjectRetention", "s3:GetObjectLegalHold", "s3:ReplicateObject", "kms:Decrypt", "kms:GenerateDataKey"} {
		if !slices.Contains(acts, a) {
			t.Errorf("replication role may not %s", a)
		}
	}
	if slices.Contains(acts, "s3:ReplicateDelete") {
		t.Error("replication role may replicate deletions: a replica must outlive a deletion at the source")
	}
}

func checkAlarmTopic(t *testing.T, _, res map[string]any) {
	alarmTopics := map[string]bool{}
	for _, id := range resourcesOfType(res, "AWS::CloudWatch::Alarm") {
		for _, r := range refs(get(res[id], "Properties", "AlarmActions")) {
			alarmTopics[r] = true
		}
	}
	if len(alarmTopics) == 0 {
		t.Fatal("no alarm tells any topic")
	}
	for topic := range alarmTopics {
		key := encryptionKey(res, topic)
		if key == "" {
			t.Errorf("alarm topic %s is not under a customer key of the stack (%v): CloudWatch cannot publish to the AWS managed alias/aws/sns", topic, get(res[topic], "Properties", "KmsMasterKeyId"))
			continue
		}
		ok := false
		for _, st := range keyPolicy(res, key) {
			if str(get(st, "Effect")) == "Allow" && str(get(st, "Principal", "Service")) == "cloudwatch.amazonaws.com" &&
				slices.Contains(actions(get(st, "Action")), "kms:Decrypt") && slices.ContainsFunc(actions(get(st, "Action")), func(a string) bool { return matchAction(a, "kms:GenerateDataKey") }) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("key %s of alarm topic %s does not let cloudwatch.amazonaws.com Decrypt and GenerateDataKey", key, topic)
		}
		published := false
		for _, id := range resourcesOfType(res, "AWS::SNS::TopicPolicy") {
			p := get(res[id], "Properties")
			if !slices.Contains(refs(get(p, "Topics")), topic) {
				continue
			}
			sts, _ := get(p, "PolicyDocument", "Statement").([]any)
			for _, st := range sts {
				if str(get(st, "Principal", "Service")) == "cloudwatch.amazonaws.com" && slices.Contains(actions(get(st, "Action")), "sns:Publish") && get(st, "Condition") != nil {
					published = true
				}
			}
		}
		if !published {
			t.Errorf("no topic policy lets CloudWatch (scoped by source) publish to %s", topic)
		}
	}
}

// countMetrics are counts of events: alarming when one is above 0 pages
// someone for every single event, which is what error rates replace.
var countMetrics = []string{"Errors", "Throttles", "5xx", "4xx", "ThrottledRequests"}

func checkAlarmCoverage(t *testing.T, _, res map[string]any) {
	for _, id := range resourcesOfType(res, "AWS::CloudWatch::Alarm") {
		p := get(res[id], "Properties")
		thr := fmt.Sprint(get(p, "Threshold"))
		if slices.Contains(countMetrics, str(get(p, "MetricName"))) && thr == "0" {
			t.Errorf("alarm %s: Threshold 0 on the count %s", id, str(get(p, "MetricName")))
		}
		if str(get(p, "AlarmDescription")) == "" {
			t.Errorf("alarm %s has no description (docs/aws.md explains each by its name)", id)
		}
	}
	dl := deadLetterQueues(res)
	for _, f := range resourcesOfType(res, "AWS::Serverless::Function") {
		rate := false
		for _, a := range alarmsOn(res, "Errors", f) {
			if len(alarmsOn(res, "Invocations", f)) > 0 && slices.Contains(alarmsOn(res, "Invocations", f), a) {
				rate = true
			}
		}
		if !rate {
			t.Errorf("%s: no error-rate alarm (Errors over Invocations in metric math)", f)
		}
		if len(alarmsOn(res, "Throttles", f)) == 0 {
			t.Errorf("%s: no throttles alarm", f)
		}
		evs, _ := get(res[f], "Properties", "Events").(map[string]any)
		for en, ev := range evs {
			if str(get(ev, "Type")) == "DynamoDB" && len(alarmsOn(res, "IteratorAge", f)) == 0 {
				t.Errorf("%s.%s: no stream iterator age alarm", f, en)
			}
		}
	}
	for _, q := range resourcesOfType(res, "AWS::SQS::Queue") {
		if len(alarmsOn(res, "ApproximateAgeOfOldestMessage", q)) == 0 {
			t.Errorf("queue %s: no oldest-message age alarm", q)
		}
		if dl[q] {
			for _, a := range alarmsOn(res, "ApproximateNumberOfMessagesVisible", q) {
				p := get(res[a], "Properties")
				if fmt.Sprint(get(p, "Threshold")) != "1" || str(get(p, "ComparisonOperator")) != "GreaterThanOrEqualToThreshold" {
					t.Errorf("dead-letter alarm %s: want one message or more (>= 1), got %s %v", a, str(get(p, "ComparisonOperator")), get(p, "Threshold"))
				}
			}
		}
	}
	if len(alarmsOn(res, "ApproximateNumberOfMessagesVisible", "OcrQueue")) == 0 {
		t.Error("no OCR backlog alarm (messages visible on OcrQueue)")
	}
	if len(alarmsOn(res, "ReadThrottleEvents", "Table")) == 0 || len(alarmsOn(res, "WriteThrottleEvents", "Table")) == 0 {
		t.Error("no alarm on the table's read and write throttles")
	}
}

func checkGradualDeployment(t *testing.T, tpl, res map[string]any) {
	g := get(tpl, "Globals", "Function")
	if str(get(g, "Tracing")) != "Active" || str(get(g, "AutoPublishAlias")) != "live" {
		t.Errorf("Globals.Function: Tracing %v, AutoPublishAlias %v; want Active and live", get(g, "Tracing"), get(g, "AutoPublishAlias"))
	}
	for _, f := range resourcesOfType(res, "AWS::Serverless::Function") {
		p := get(res[f], "Properties")
		if v, ok := get(p, "Tracing").(string); ok && v != "Active" {
			t.Errorf("%s: Tracing %s overrides Active", f, v)
		}
		dp := get(p, "DeploymentPreference")
		if str(get(dp, "Type", "Ref")) != "DeploymentType" {
			t.Errorf("%s: DeploymentPreference.Type %v is not the DeploymentType parameter", f, get(dp, "Type"))
		}
		alarms := refs(get(dp, "Alarms"))
		errs := alarmsOn(res, "Errors", f)
		if len(alarms) == 0 || !slices.ContainsFunc(alarms, func(a string) bool { return slices.Contains(errs, a) }) {
			t.Errorf("%s: a deployment is not rolled back by the function's error alarm (%v)", f, alarms)
		}
	}
}

// policyStatements returns a function's Allow statements.
func policyStatements(res map[string]any, fn string) []any {
	var out []any
	pols, _ := get(res[fn], "Properties", "Policies").([]any)
	for _, pol := range pols {
		sts, _ := get(pol, "Statement").([]any)
		for _, st := range sts {
			if str(get(st, "Effect")) == "Allow" {
				out = append(out, st)
			}
		}
	}
	return out
}

// granted returns the actions a function's policies allow on a resource.
func granted(res map[string]any, fn, resource string) []string {
	var out []string
	for _, st := range policyStatements(res, fn) {
		if slices.Contains(refs(get(st, "Resource")), resource) {
			out = append(out, actions(get(st, "Action"))...)
		}
	}
	return out
}

func checkKMSForWrites(t *testing.T, _, res map[string]any) {
	for _, f := range resourcesOfType(res, "AWS::Serverless::Function") {
		p := get(res[f], "Properties")
		need := map[string]map[string]bool{} // key -> actions
		want := func(target string, acts ...string) {
			k := encryptionKey(res, target)
			if k == "" {
				return
			}
			if need[k] == nil {
				need[k] = map[string]bool{}
			}
			for _, a := range acts {
				need[k][a] = true
			}
		}
		// Failure destinations are written with the function's own role.
		var dests []string
		evs, _ := get(p, "Events").(map[string]any)
		for _, ev := range evs {
			dests = append(dests, refs(get(ev, "Properties", "DestinationConfig", "OnFailure"))...)
			if str(get(ev, "Type")) == "SQS" {
				for _, q := range refs(get(ev, "Properties", "Queue")) {
					want(q, "kms:Decrypt")
				}
			}
		}
		dests = append(dests, refs(get(p, "EventInvokeConfig", "DestinationConfig", "OnFailure"))...)
		for _, d := range dests {
			if !slices.Contains(granted(res, f, d), "sqs:SendMessage") {
				t.Errorf("%s may not send to its failure destination %s", f, d)
			}
		}
		for _, st := range policyStatements(res, f) {
			acts := actions(get(st, "Action"))
			for _, r := range refs(get(st, "Resource")) {
				if slices.Contains(acts, "sqs:SendMessage") {
					want(r, "kms:GenerateDataKey", "kms:Decrypt") // SQS needs both to send to an encrypted queue
				}
				if slices.Contains(acts, "s3:PutObject") {
					want(r, "kms:GenerateDataKey")
				}
				if slices.Contains(acts, "s3:GetObject") || slices.Contains(acts, "sqs:ReceiveMessage") {
					want(r, "kms:Decrypt")
				}
			}
		}
		for k, acts := range need {
			have := granted(res, f, k)
			for a := range acts {
				if !slices.Contains(have, a) {
					t.Errorf("%s writes or reads what %s encrypts but may not %s on it", f, k, a)
				}
			}
		}
	}
}

func checkBackoff(t *testing.T, _, res map[string]any) {
	for _, f := range resourcesOfType(res, "AWS::Serverless::Function") {
		p := get(res[f], "Properties")
		timeout, _ := get(p, "Timeout").(int)
		evs, _ := get(p, "Events").(map[string]any)
		for en, ev := range evs {
			if str(get(ev, "Type")) != "SQS" {
				continue
			}
			for _, q := range refs(get(ev, "Properties", "Queue")) {
				qp := get(res[q], "Properties")
				vt, _ := get(qp, "VisibilityTimeout").(int)
				// Lambda refuses a trigger whose queue hides a message for less
				// than the function's timeout; beyond a short margin the
				// default only delays a retry after a crash, since each
				// failed attempt's delay is set from code.
				if vt < timeout || vt > timeout+120 {
					t.Errorf("%s.%s: queue %s VisibilityTimeout %d, want between the function's timeout %d and %d", f, en, q, vt, timeout, timeout+120)
				}
				if !slices.Contains(granted(res, f, q), "sqs:ChangeMessageVisibility") {
					t.Errorf("%s may not change the visibility of %s's messages: no backoff per attempt", f, q)
				}
				n, _ := get(qp, "RedrivePolicy", "maxReceiveCount").(int)
				if n != queue.MaxAttempts {
					t.Errorf("queue %s: maxReceiveCount %d, want queue.MaxAttempts = %d", q, n, queue.MaxAttempts)
				}
				if mr := get(p, "Environment", "Variables", "SOHOA_MAX_RECEIVE"); mr != nil && fmt.Sprint(mr) != fmt.Sprint(n) {
					t.Errorf("%s: SOHOA_MAX_RECEIVE %v is not queue %s's maxReceiveCount %d", f, mr, q, n)
				}
			}
		}
	}
}

func checkConfigReadOnly(t *testing.T, _, res map[string]any) {
	var intake string
	for _, b := range resourcesOfType(res, "AWS::S3::Bucket") {
		if get(res[b], "Properties", "NotificationConfiguration") != nil {
			intake = b
		}
	}
	config := "${" + intake + ".Arn}/config/*"
	writes := []string{"s3:PutObject", "s3:DeleteObject"}
	// The bucket denies every function role of the stack.
	bucketDenies := false
	for _, id := range resourcesOfType(res, "AWS::S3::BucketPolicy") {
		p := get(res[id], "Properties")
		if !slices.Contains(refs(get(p, "Bucket")), intake) {
			continue
		}
		sts, _ := get(p, "PolicyDocument", "Statement").([]any)
		for _, st := range sts {
			if str(get(st, "Effect")) == "Deny" && str(get(st, "Resource", "Fn::Sub")) == config &&
				containsAll(actions(get(st, "Action")), writes) &&
				strings.Contains(str(get(st, "Condition", "ArnLike", "aws:PrincipalArn", "Fn::Sub")), "FunctionRole-*") {
				bucketDenies = true
			}
		}
	}
	if !bucketDenies {
		t.Errorf("the policy of %s does not deny writes to config/ to the stack's function roles", intake)
	}
	// And each role that may write the bucket's root denies config/ itself.
	for _, f := range resourcesOfType(res, "AWS::Serverless::Function") {
		wide, denied := false, false
		pols, _ := get(res[f], "Properties", "Policies").([]any)
		for _, pol := range pols {
			sts, _ := get(pol, "Statement").([]any)
			for _, st := range sts {
				acts := actions(get(st, "Action"))
				rs := fmt.Sprint(get(st, "Resource"))
				if str(get(st, "Effect")) == "Allow" && slices.Contains(acts, "s3:PutObject") && strings.Contains(rs, "${"+intake+".Arn}/") {
					if strings.Contains(rs, "/config/") {
						t.Errorf("%s.%s may write config/", f, str(get(st, "Sid")))
					}
					if strings.Contains(rs, "${"+intake+".Arn}/*") {
						wide = true
					}
				}
				if str(get(st, "Effect")) == "Deny" && str(get(st, "Resource", "Fn::Sub")) == config && containsAll(acts, writes) {
					denied = true
				}
			}
		}
		if wide && !denied {
			t.Errorf("%s may put anywhere in %s without denying config/", f, intake)
		}
	}
}

func checkCognito(t *testing.T, tpl, res map[string]any) {
	for _, id := range resourcesOfType(res, "AWS::Cognito::UserPool") {
		if str(get(res[id], "Properties", "DeletionProtection")) != "ACTIVE" {
			t.Errorf("user pool %s: DeletionProtection is not ACTIVE", id)
		}
	}
	maxUnits := map[string]int{"days": 1, "hours": 24, "minutes": 1440}
	for _, id := range resourcesOfType(res, "AWS::Cognito::UserPoolClient") {
		p := get(res[id], "Properties")
		units := get(p, "TokenValidityUnits")
		for _, tok := range []string{"IdToken", "AccessToken", "RefreshToken"} {
			u := str(get(units, tok))
			v, ok := get(p, tok+"Validity").(int)
			if !ok || u == "" {
				t.Errorf("client %s: %sValidity %v %q not set explicitly", id, tok, get(p, tok+"Validity"), u)
				continue
			}
			limit := maxUnits[u]
			if tok != "RefreshToken" {
				limit = map[string]int{"days": 0, "hours": 1, "minutes": 60}[u]
			}
			if v > limit || limit == 0 {
				t.Errorf("client %s: %sValidity %d %s is longer than %s", id, tok, v, u, map[bool]string{true: "a day", false: "an hour"}[tok == "RefreshToken"])
			}
		}
	}
	staff := passwordPools(res)
	if len(staff) != 1 {
		t.Fatalf("password pools %v, want the staff pool alone", staff)
	}
	if get(res[staff[0]], "Properties", "AdminCreateUserConfig", "AllowAdminCreateUserOnly") != true {
		t.Errorf("staff pool %s lets people sign themselves up", staff[0])
	}
	// The citizens' door: an OIDC provider named by parameters, its own
	// pool without TOTP, clients that offer that provider only.
	idps := resourcesOfType(res, "AWS::Cognito::UserPoolIdentityProvider")
	if len(idps) != 1 {
		t.Fatalf("identity providers %v, want the citizens' OpenID Connect provider", idps)
	}
	ip := get(res[idps[0]], "Properties")
	params, _ := tpl["Parameters"].(map[string]any)
	if str(get(ip, "ProviderType")) != "OIDC" {
		t.Errorf("%s: ProviderType %v, want OIDC", idps[0], get(ip, "ProviderType"))
	}
	for _, k := range []string{"oidc_issuer", "client_id"} {
		if r := refs(get(ip, "ProviderDetails", k)); len(r) != 1 || params[r[0]] == nil {
			t.Errorf("%s: %s is not a parameter", idps[0], k)
		}
	}
	if s := fmt.Sprint(get(ip, "ProviderDetails", "client_secret")); !strings.Contains(s, "{{resolve:secretsmanager:") {
		t.Errorf("%s: client_secret %s is not read from Secrets Manager", idps[0], s)
	}
	pool := refs(get(ip, "UserPoolId"))
	if len(pool) != 1 || pool[0] == staff[0] {
		t.Fatalf("citizens' provider in pool %v, want a pool of their own", pool)
	}
	cp := get(res[pool[0]], "Properties")
	if str(get(cp, "MfaConfiguration")) != "OFF" || get(cp, "AdminCreateUserConfig", "AllowAdminCreateUserOnly") != true {
		t.Errorf("citizen pool %s: MfaConfiguration %v, AllowAdminCreateUserOnly %v; want OFF and true (profiles created by federation only)",
			pool[0], get(cp, "MfaConfiguration"), get(cp, "AdminCreateUserConfig", "AllowAdminCreateUserOnly"))
	}
	clients := 0
	for _, c := range resourcesOfType(res, "AWS::Cognito::UserPoolClient") {
		p := get(res[c], "Properties")
		if !slices.Contains(refs(get(p, "UserPoolId")), pool[0]) {
			continue
		}
		clients++
		idp, _ := get(p, "SupportedIdentityProviders").([]any)
		if len(idp) != 1 || str(idp[0]) != str(get(ip, "ProviderName")) {
			t.Errorf("citizen client %s offers %v, want the provider %v only", c, idp, get(ip, "ProviderName"))
		}
		if sc, _ := get(p, "AllowedOAuthScopes").([]any); slices.Contains(sc, any("aws.cognito.signin.user.admin")) {
			t.Errorf("citizen client %s lets citizens rewrite their own attributes (citizen ID)", c)
		}
	}
	if clients != 1 {
		t.Errorf("citizen pool %s has %d clients, want 1", pool[0], clients)
	}
}

func checkSMS(t *testing.T, _, res map[string]any) {
	b, err := os.ReadFile("template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// SNS defines no condition key for a phone number: a condition on one
	// is never true, and SMS is silently denied.
	if strings.Contains(string(b), "sns:PhoneNumber") {
		t.Error("the template names sns:PhoneNumber, a condition key SNS does not define")
	}
	for _, f := range resourcesOfType(res, "AWS::Serverless::Function") {
		for _, st := range policyStatements(res, f) {
			if !slices.Contains(actions(get(st, "Action")), "sns:Publish") {
				continue
			}
			for k := range asMap(get(st, "Condition")) {
				for key := range asMap(get(st, "Condition", k)) {
					if strings.HasPrefix(key, "sns:") && key != "sns:Endpoint" && key != "sns:Protocol" {
						t.Errorf("%s.%s: condition key %s is not defined by SNS", f, str(get(st, "Sid")), key)
					}
				}
			}
		}
	}
}

func asMap(v obj) map[string]any { m, _ := v.(map[string]any); return m }

func checkImageURI(t *testing.T, tpl, _ map[string]any) {
	pat := str(get(tpl, "Parameters", "OcrImageUri", "AllowedPattern"))
	re, err := regexp.Compile(pat)
	if err != nil {
		t.Fatalf("OcrImageUri AllowedPattern %q: %v", pat, err)
	}
	for _, c := range []struct {
		uri  string
		want bool
	}{
		{"123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/sohoa-ocr:3f2a9c1b7d40", true},
		{"123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/sohoa/ocr@sha256:" + strings.Repeat("ab", 32), true},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/sohoa-ocr:v1", true},
		{"https://123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/sohoa-ocr:v1", false},
		{"docker.io/library/sohoa-ocr:latest", false},
		{"123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/sohoa-ocr", false},
		{"123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/sohoa-ocr@sha256:abc", false},
	} {
		if got := re.MatchString(c.uri); got != c.want {
			t.Errorf("OcrImageUri %q: accepted %v, want %v", c.uri, got, c.want)
		}
	}
}

// TestEnvironmentFiles: each infra/env/<name>.json, which `make deploy
// ENV=<name>` passes to the stack, sets every parameter the template
// requires (the OCR image excepted: the deployment pushes it), only
// parameters the template declares, each as its pattern allows.
func TestEnvironmentFiles(t *testing.T) {
	params, _ := loadTemplate(t)["Parameters"].(map[string]any)
	files, err := filepath.Glob("env/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"env/dev.json", "env/prod.json", "env/staging.json"} {
		if !slices.Contains(files, want) {
			t.Errorf("%s is missing", want)
		}
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var env struct {
				Region, StackName, OcrRepository string
				Parameters                       map[string]string
			}
			dec := json.NewDecoder(strings.NewReader(string(b)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&env); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if env.Region == "" || env.OcrRepository == "" || !regexp.MustCompile(`^[a-z][a-z0-9-]{0,20}$`).MatchString(env.StackName) {
				t.Errorf("Region %q, StackName %q (lowercase: it names buckets), OcrRepository %q", env.Region, env.StackName, env.OcrRepository)
			}
			for name, p := range params {
				v, set := env.Parameters[name]
				if !set && get(p, "Default") == nil && name != "OcrImageUri" {
					t.Errorf("required parameter %s is not set", name)
				}
				if pat := str(get(p, "AllowedPattern")); set && pat != "" && !regexp.MustCompile(pat).MatchString(v) {
					t.Errorf("%s = %q does not match %s", name, v, pat)
				}
				if av, _ := get(p, "AllowedValues").([]any); set && len(av) > 0 && !slices.ContainsFunc(av, func(a any) bool { return fmt.Sprint(a) == v }) {
					t.Errorf("%s = %q is not one of %v", name, v, av)
				}
			}
			for name := range env.Parameters {
				if params[name] == nil {
					t.Errorf("parameter %s is not in the template", name)
				}
			}
		})
	}
}
