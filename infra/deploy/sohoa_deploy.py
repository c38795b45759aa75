#!/usr/bin/env python3
"""Deploys Sohoa to AWS, or rehearses the deployment against moto.

  sohoa_deploy.py deploy ENV     package infra/template.yaml and deploy it with
                                 the parameters of infra/env/ENV.json
  sohoa_deploy.py rehearse [ENV...]
                                 the same package and deploy against a
                                 moto_server started here on a free loopback
                                 port, then check every declared resource,
                                 delete the stack and check what is retained

Run from the repository root after `make build` (the Makefile does both).
`deploy` uses only the AWS CLI and Docker; `rehearse` also needs boto3 and
aws-sam-translator (moto does not implement the SAM transform, so the
packaged template is expanded here as CloudFormation would expand it).
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

TEMPLATE = "infra/template.yaml"
ENV_DIR = "infra/env"
BUILD = "build"
DOCKERFILE = "infra/ocr/Dockerfile"
ECR_URI = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]{1,128}|@sha256:[0-9a-f]{64})$")


def die(msg):
    print(f"sohoa-deploy: {msg}", file=sys.stderr)
    sys.exit(1)


def run(args, env=None, capture=False):
    """Runs a command, echoing it; returns its standard output when captured."""
    print("+ " + " ".join(args), flush=True)
    p = subprocess.run(args, env=env, text=True, stdout=subprocess.PIPE if capture else None)
    if p.returncode != 0:
        die(f"{args[0]} {args[1] if len(args) > 1 else ''} failed (exit {p.returncode})")
    return p.stdout if capture else ""


def load_env(name):
    """Reads infra/env/NAME.json: Region, StackName, OcrRepository and the
    template's Parameters (every required one, OcrImageUri excepted: it is
    the image pushed by this deployment unless the file pins one)."""
    path = os.path.join(ENV_DIR, f"{name}.json")
    if not os.path.exists(path):
        known = sorted(f[:-5] for f in os.listdir(ENV_DIR) if f.endswith(".json"))
        die(f"no environment file {path}; ENV is one of {', '.join(known)}")
    with open(path) as f:
        env = json.load(f)
    for k in ("Region", "StackName", "OcrRepository", "Parameters"):
        if k not in env:
            die(f"{path}: {k} is missing")
    bad = [k for k, v in env["Parameters"].items() if not isinstance(v, str)]
    if bad:
        die(f"{path}: parameters {bad} must be strings (CloudFormation passes every parameter as a string)")
    env["Name"] = name
    return env


def required_parameters():
    """The template's parameters without a Default, read from its text (the
    short-form intrinsics keep a plain YAML parser from reading it whole)."""
    names, section = [], None
    with open(TEMPLATE) as f:
        lines = f.read().splitlines()
    current, has_default = None, False
    for line in lines:
        if re.match(r"^[A-Za-z]+:", line):
            if section == "Parameters" and current and not has_default:
                names.append(current)
            section, current = line.split(":")[0], None
            continue
        if section != "Parameters":
            continue
        m = re.match(r"^  ([A-Za-z0-9]+):\s*$", line)
        if m:
            if current and not has_default:
                names.append(current)
            current, has_default = m.group(1), False
        elif re.match(r"^    Default:", line):
            has_default = True
    return names


def check_parameters(env):
    missing = [p for p in required_parameters() if p not in env["Parameters"] and p != "OcrImageUri"]
    if missing:
        die(f"{ENV_DIR}/{env['Name']}.json does not set the required parameters {', '.join(missing)}")


def overrides(params):
    return [f"{k}={v}" for k, v in sorted(params.items())]


def package(env_vars, bucket, out):
    """aws cloudformation package: uploads build/<name>.zip (CodeUri is
    relative to the template: ../build/<name>.zip) and writes the template
    that names the uploaded objects."""
    for z in sorted(set(re.findall(r"CodeUri: \.\./build/([a-z]+)\.zip", open(TEMPLATE).read()))):
        if not os.path.exists(os.path.join(BUILD, z + ".zip")):
            die(f"{BUILD}/{z}.zip is missing: run `make build` first")
    args = ["aws", "cloudformation", "package", "--template-file", TEMPLATE, "--s3-bucket", bucket,
            "--s3-prefix", "packages", "--output-template-file", out]
    print("+ " + " ".join(args), flush=True)
    p = subprocess.run(args, env=env_vars, capture_output=True, text=True)  # progress bars: shown only on failure
    if p.returncode != 0:
        die(f"aws cloudformation package failed:\n{p.stdout[-4000:]}{p.stderr[-4000:]}")
    print(f"packaged {TEMPLATE} into {out}")


# ------------------------------------------------------------------ deploy


def ocr_image(env, account, region):
    """Builds and pushes the OCR image when Docker and ECR are at hand and
    returns its URI by digest; else the URI the environment (or
    OCR_IMAGE_URI) pins; else None when the stack exists and keeps its
    image; else stops with what to do."""
    pinned = env["Parameters"].get("OcrImageUri") or os.environ.get("OCR_IMAGE_URI", "")
    if pinned:
        if not ECR_URI.match(pinned):
            die(f"OcrImageUri {pinned!r} is not an ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag> or @sha256:<digest>)")
        print(f"OCR image: {pinned} (pinned; not built)")
        return pinned
    if not shutil.which("docker") or subprocess.run(["docker", "info"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        stack = subprocess.run(["aws", "cloudformation", "describe-stacks", "--stack-name", env["StackName"], "--region", region],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if stack.returncode == 0:
            print("OCR image: not built (Docker is not available here); the stack keeps the image it runs now")
            return None
        die("Docker is not available here, so the OCR image cannot be built. Build and push it elsewhere "
            f"(docker buildx build --platform linux/arm64 -f {DOCKERFILE} .) and pass its URI: "
            "OCR_IMAGE_URI=<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:<digest> make deploy ENV=...")
    repo = env["OcrRepository"]
    registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
    if subprocess.run(["aws", "ecr", "describe-repositories", "--repository-names", repo, "--region", region],
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        run(["aws", "ecr", "create-repository", "--repository-name", repo, "--region", region,
             "--image-tag-mutability", "IMMUTABLE", "--image-scanning-configuration", "scanOnPush=true",
             "--encryption-configuration", "encryptionType=KMS"], capture=True)
    password = run(["aws", "ecr", "get-login-password", "--region", region], capture=True)
    p = subprocess.run(["docker", "login", "--username", "AWS", "--password-stdin", registry], input=password, text=True)
    if p.returncode != 0:
        die(f"docker login to {registry} failed")
    rev = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True).stdout.strip() or "dev"
    dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True).stdout.strip()
    tag = f"{registry}/{repo}:{rev}{'-' + str(int(time.time())) if dirty else ''}"
    run(["docker", "buildx", "build", "--platform", "linux/arm64", "--provenance=false", "-f", DOCKERFILE, "-t", tag, "--push", "."])
    digest = run(["aws", "ecr", "describe-images", "--repository-name", repo, "--region", region,
                  "--image-ids", f"imageTag={tag.rsplit(':', 1)[1]}", "--query", "imageDetails[0].imageDigest", "--output", "text"],
                 capture=True).strip()
    return f"{registry}/{repo}@{digest}"


def deploy(name):
    env = load_env(name)
    check_parameters(env)
    region = env["Region"]
    aws_env = dict(os.environ, AWS_DEFAULT_REGION=region)
    ident = subprocess.run(["aws", "sts", "get-caller-identity", "--query", "Account", "--output", "text"],
                           env=aws_env, capture_output=True, text=True)
    if ident.returncode != 0:
        die("no AWS credentials for the target account (aws sts get-caller-identity failed): "
            "sign in first (aws sso login, or AWS_PROFILE=...)\n" + ident.stderr.strip())
    account = ident.stdout.strip()
    bucket = env.get("ArtifactBucket") or f"sohoa-artifacts-{account}-{region}"
    if subprocess.run(["aws", "s3api", "head-bucket", "--bucket", bucket], env=aws_env,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        args = ["aws", "s3api", "create-bucket", "--bucket", bucket]
        if region != "us-east-1":
            args += ["--create-bucket-configuration", f"LocationConstraint={region}"]
        run(args, env=aws_env, capture=True)
        run(["aws", "s3api", "put-public-access-block", "--bucket", bucket, "--public-access-block-configuration",
             "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"], env=aws_env)
    params = dict(env["Parameters"])
    image = ocr_image(env, account, region)
    if image:
        params["OcrImageUri"] = image
    # else: aws cloudformation deploy keeps an existing stack's previous value
    os.makedirs(BUILD, exist_ok=True)
    packaged = os.path.join(BUILD, f"packaged-{name}.yaml")
    package(aws_env, bucket, packaged)
    run(["aws", "cloudformation", "deploy", "--template-file", packaged, "--stack-name", env["StackName"],
         "--s3-bucket", bucket, "--s3-prefix", "templates", "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND",
         "--no-fail-on-empty-changeset", "--tags", "app=sohoa", f"env={name}",
         "--parameter-overrides", *overrides(params)], env=aws_env)
    print(f"\nSohoa {name} ({env['StackName']}, {region}):")
    run(["aws", "cloudformation", "describe-stacks", "--stack-name", env["StackName"], "--query",
         "Stacks[0].Outputs[].[OutputKey,OutputValue]", "--output", "table"], env=aws_env)


# ------------------------------------------------------------------ rehearse

# Resource types the deployed stack may contain that moto 5 does not emulate
# (its CloudFormation logs "No Moto CloudFormation support" and skips them),
# each with what stands in for the check here. A type in neither this list
# nor moto's is a failure: the rehearsal never skips silently.
NOT_EMULATED = {
    "AWS::ApiGatewayV2::Api": "HTTP API: the API's routes are pinned by infra/template_test.go",
    "AWS::ApiGatewayV2::Stage": "HTTP API stage",
    "AWS::ApiGatewayV2::Authorizer": "JWT authorizer",
    "AWS::ApiGatewayV2::Route": "HTTP API route",
    "AWS::ApiGatewayV2::Integration": "HTTP API integration",
    "AWS::Backup::BackupVault": "AWS Backup vault of the table",
    "AWS::Backup::BackupPlan": "AWS Backup plan of the table",
    "AWS::Backup::BackupSelection": "AWS Backup selection of the table",
    "AWS::CloudWatch::Alarm": "alarms: their metrics and thresholds are pinned by the template test",
    "AWS::CodeDeploy::Application": "gradual deployments (SAM DeploymentPreference)",
    "AWS::CodeDeploy::DeploymentGroup": "gradual deployments (SAM DeploymentPreference)",
    "AWS::Cognito::UserPool": "user pools: settings pinned by the template test",
    "AWS::Cognito::UserPoolClient": "user pool clients",
    "AWS::Cognito::UserPoolDomain": "user pool domains",
    "AWS::Cognito::UserPoolGroup": "user pool groups",
    "AWS::Cognito::UserPoolIdentityProvider": "the citizens' OIDC provider",
    "AWS::Lambda::Alias": "live aliases (SAM AutoPublishAlias)",
    "AWS::Lambda::EventInvokeConfig": "asynchronous failure destination of the report function",
    "AWS::S3::BucketPolicy": "bucket policies: pinned by the template test",
    "AWS::SecretsManager::Secret": "the CSC client secret",
    "AWS::SNS::TopicPolicy": "the alarm topic's policy",
    "AWS::SQS::QueuePolicy": "the ingest queue's policy",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """A moto_server on a free loopback port, stopped by stop() (and on exit)."""

    def __init__(self, logdir):
        self.port = free_port()
        # "localhost", not 127.0.0.1: moto reads a stack's TemplateURL as
        # path-style (bucket/key) only when the host is localhost.
        self.url = f"http://localhost:{self.port}"
        self.log = open(os.path.join(logdir, "moto.log"), "w")
        self.proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(150):
            if self.proc.poll() is not None:
                die(f"moto_server exited ({self.proc.returncode}); see {self.log.name}")
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        die(f"moto_server did not answer on {self.url} within 15 s")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def expand(packaged_path, params, region):
    """The SAM transform, as CloudFormation applies it on AWS."""
    from samtranslator.parser.parser import Parser  # noqa: F401 (import checks the package is whole)
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicies:
        def load(self):
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    with open(packaged_path) as f:
        tpl = yaml_parse(f.read())
    return transform(tpl, params, NoManagedPolicies())


def adapt_for_moto(tpl):
    """moto does not emulate Lambda aliases (SAM's AutoPublishAlias), and a
    permission or event source mapping naming a missing alias fails to
    create; so here, and only here, a reference to a function's alias is
    pointed at the function's ARN (what a Ref to an alias gives). Returns how many references moved."""
    aliases = {lid: {"Fn::GetAtt": [r["Properties"]["FunctionName"]["Ref"], "Arn"]}
               for lid, r in tpl["Resources"].items() if r["Type"] == "AWS::Lambda::Alias"}
    moved = 0

    def walk(x):
        nonlocal moved
        if isinstance(x, dict):
            if set(x) == {"Ref"} and x["Ref"] in aliases:
                moved += 1
                return aliases[x["Ref"]]
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        return x

    for lid, r in tpl["Resources"].items():
        if lid not in aliases:
            tpl["Resources"][lid] = walk(r)
    return moved


def condition_values(tpl, params):
    """Evaluates the template's Conditions over the parameters (Fn::Equals,
    Fn::Not, Fn::And, Fn::Or, Condition and Ref of a parameter)."""
    conds = tpl.get("Conditions", {})
    defaults = {k: str(v.get("Default", "")) for k, v in tpl.get("Parameters", {}).items()}
    values = dict(defaults, **params)
    memo = {}

    def ev(x):
        if isinstance(x, dict):
            (k, v), = x.items()
            if k == "Ref":
                return values.get(v, "")
            if k == "Condition":
                return cond(v)
            if k == "Fn::Equals":
                return str(ev(v[0])) == str(ev(v[1]))
            if k == "Fn::Not":
                return not ev(v[0])
            if k == "Fn::And":
                return all(ev(c) for c in v)
            if k == "Fn::Or":
                return any(ev(c) for c in v)
            die(f"the rehearsal cannot evaluate {k} in a condition")
        return x

    def cond(name):
        if name not in memo:
            memo[name] = bool(ev(conds[name]))
        return memo[name]

    return {n: cond(n) for n in conds}


def probes(session, endpoint):
    """Per type, a call that fails when the physical resource does not exist."""
    c = lambda svc: session.client(svc, endpoint_url=endpoint)  # noqa: E731
    return {
        "AWS::S3::Bucket": lambda pid: c("s3").head_bucket(Bucket=pid),
        "AWS::SQS::Queue": lambda pid: c("sqs").get_queue_attributes(QueueUrl=pid, AttributeNames=["QueueArn"]),
        "AWS::DynamoDB::Table": lambda pid: c("dynamodb").describe_table(TableName=pid),
        # list_keys, not describe_key: moto 5 answers 500 to DescribeKey on a
        # key CloudFormation created (it stores the policy as a mapping).
        "AWS::KMS::Key": lambda pid: [k for k in c("kms").list_keys()["Keys"] if k["KeyId"] == pid][0],
        "AWS::KMS::Alias": lambda pid: [a for a in c("kms").list_aliases()["Aliases"] if a["AliasName"] == pid][0],
        "AWS::Lambda::Function": lambda pid: c("lambda").get_function(FunctionName=pid),
        "AWS::IAM::Role": lambda pid: c("iam").get_role(RoleName=pid),
        "AWS::Logs::LogGroup": lambda pid: [g for g in c("logs").describe_log_groups(logGroupNamePrefix=pid)["logGroups"] if g["logGroupName"] == pid][0],
        "AWS::SNS::Topic": lambda pid: c("sns").get_topic_attributes(TopicArn=pid),
        "AWS::Events::Rule": lambda pid: c("events").describe_rule(Name=pid.split("|")[-1].split("/")[-1]),
    }


def rehearse_one(name, moto, workdir, packaged_by_region):
    import boto3

    env = load_env(name)
    check_parameters(env)
    region, account = env["Region"], "123456789012"
    aws_env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing",
                   AWS_DEFAULT_REGION=region, AWS_ENDPOINT_URL=moto.url, AWS_PAGER="")
    for k in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        aws_env.pop(k, None)
    aws_env["AWS_CONFIG_FILE"] = aws_env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    # The image URI a deployment computes: this account's ECR, by digest.
    image = env["Parameters"].get("OcrImageUri") or f"{account}.dkr.ecr.{region}.amazonaws.com/{env['OcrRepository']}@sha256:{'ab' * 32}"
    if not ECR_URI.match(image):
        die(f"{name}: OcrImageUri {image!r} is not an ECR image URI")
    params = dict(env["Parameters"], OcrImageUri=image)
    bucket = f"sohoa-artifacts-{account}-{region}"
    packaged = packaged_by_region.get(region)
    if packaged is None:  # the packaged template depends on the region's artifact bucket only
        s3 = session.client("s3", endpoint_url=moto.url)
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        packaged = packaged_by_region[region] = os.path.join(workdir, f"packaged-{region}.yaml")
        package(aws_env, bucket, packaged)
    expanded = expand(packaged, params, region)
    moved = adapt_for_moto(expanded)
    print(f"{name}: {moved} references to Lambda aliases pointed at their functions (moto has no aliases)")
    expanded_path = os.path.join(workdir, f"expanded-{name}.json")
    with open(expanded_path, "w") as f:
        json.dump(expanded, f, indent=1)
    stack = env["StackName"]
    run(["aws", "cloudformation", "deploy", "--template-file", expanded_path, "--stack-name", stack,
         "--s3-bucket", bucket, "--s3-prefix", "templates", "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND",
         "--parameter-overrides", *overrides(params)], env=aws_env)

    conds = condition_values(expanded, params)
    declared = {lid: r for lid, r in expanded["Resources"].items() if conds.get(r.get("Condition"), True)}
    cfn = session.client("cloudformation", endpoint_url=moto.url)
    listed = cfn.describe_stack_resources(StackName=stack)["StackResources"]
    created = {r["LogicalResourceId"]: r for r in listed if "LogicalResourceId" in r}
    probe = probes(session, moto.url)
    problems, skipped, permissions = [], {}, {}
    for lid, r in sorted(declared.items()):
        typ = r["Type"]
        if typ in NOT_EMULATED:
            skipped[typ] = skipped.get(typ, 0) + 1
            if lid in created:
                problems.append(f"{lid}: moto now emulates {typ}; take it off NOT_EMULATED")
            continue
        got = created.get(lid)
        if typ == "AWS::Lambda::Version" and got is not None:
            # moto gives a version no physical ID: look for it on its function.
            fn = created.get(r["Properties"]["FunctionName"].get("Ref", ""), {}).get("PhysicalResourceId", "")
            lam = session.client("lambda", endpoint_url=moto.url)
            if not fn or len(lam.list_versions_by_function(FunctionName=fn)["Versions"]) < 2:
                problems.append(f"{lid}: no version of {fn or 'its function'} was published")
            continue
        if typ == "AWS::Lambda::Permission" and got is not None:
            # moto gives a permission no physical ID: count the statements of
            # its function's resource policy instead (below).
            fn = r["Properties"]["FunctionName"]
            fn = fn.get("Ref") or fn.get("Fn::GetAtt", [""])[0]
            permissions[fn] = permissions.get(fn, 0) + 1
            continue
        if got is None or not got.get("PhysicalResourceId"):
            problems.append(f"{lid} ({typ}) was not created; if moto does not emulate {typ}, "
                            "list it in NOT_EMULATED with what checks it instead")
            continue
        if typ in probe:
            try:
                probe[typ](got["PhysicalResourceId"])
            except Exception as e:  # noqa: BLE001 (any failure means the resource is not there)
                problems.append(f"{lid} ({typ}) {got['PhysicalResourceId']} is in the stack but not in the service: {e}")
    lam = session.client("lambda", endpoint_url=moto.url)
    for fn, n in sorted(permissions.items()):
        pid = created.get(fn, {}).get("PhysicalResourceId", "")
        try:
            got = len(json.loads(lam.get_policy(FunctionName=pid)["Policy"])["Statement"]) if pid else 0
        except Exception:  # noqa: BLE001 (no policy at all)
            got = 0
        if got < n:
            problems.append(f"{fn}: {n} permissions declared, {got} statements in its resource policy")
    for lid, r in declared.items():
        if r["Type"] == "AWS::CloudWatch::Alarm" and not r["Properties"].get("AlarmActions"):
            problems.append(f"{lid}: an alarm that tells nobody")
    if problems:
        die(f"{name}: the deployed stack is not what the template declares:\n  " + "\n  ".join(problems))
    print(f"{name}: {len(declared) - sum(skipped.values())} resources created and found in their services; "
          f"{sum(skipped.values())} of types moto does not emulate: " + ", ".join(f"{t} ×{n}" for t, n in sorted(skipped.items())))

    # Delete the stack: what is stateful stays.
    run(["aws", "cloudformation", "delete-stack", "--stack-name", stack], env=aws_env)
    for _ in range(120):
        st = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] if _stack_exists(cfn, stack) else "DELETE_COMPLETE"
        if st in ("DELETE_COMPLETE", "DELETE_FAILED"):
            break
        time.sleep(0.5)
    if st != "DELETE_COMPLETE":
        die(f"{name}: delete-stack ended in {st}")
    kept, gone = [], []
    for lid, r in sorted(declared.items()):
        typ = r["Type"]
        if lid not in created or typ not in probe:
            continue
        try:
            probe[typ](created[lid]["PhysicalResourceId"])
            exists = True
        except Exception:  # noqa: BLE001
            exists = False
        retain = r.get("DeletionPolicy") == "Retain"
        if retain and not exists:
            problems.append(f"{lid} ({typ}) has DeletionPolicy Retain but is gone after delete-stack")
        # moto only schedules a key's deletion: it stays listed either way.
        if not retain and exists and typ != "AWS::KMS::Key":
            problems.append(f"{lid} ({typ}) outlived delete-stack without DeletionPolicy Retain")
        (kept if exists and retain else gone).append(lid)
    if problems:
        die(f"{name}: after delete-stack:\n  " + "\n  ".join(problems))
    print(f"{name}: after delete-stack, retained: {', '.join(kept)}")
    print(f"{name}: removed: {len(gone)} resources")


def _stack_exists(cfn, stack):
    try:
        cfn.describe_stacks(StackName=stack)
        return True
    except Exception:  # noqa: BLE001
        return False


def rehearse(names):
    os.makedirs(os.path.join(BUILD, "rehearsal"), exist_ok=True)
    workdir = os.path.join(BUILD, "rehearsal")
    names = names or sorted(f[:-5] for f in os.listdir(ENV_DIR) if f.endswith(".json"))
    moto = Moto(workdir)
    try:
        packaged = {}
        for name in names:
            rehearse_one(name, moto, workdir, packaged)
    finally:
        moto.stop()
    print(f"deploy rehearsal passed for {', '.join(names)} (moto log: {workdir}/moto.log)")


def main(argv):
    if len(argv) >= 2 and argv[1] == "deploy" and len(argv) == 3:
        deploy(argv[2])
    elif len(argv) >= 2 and argv[1] == "rehearse":
        rehearse(argv[2:])
    else:
        die(__doc__)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main(sys.argv)
