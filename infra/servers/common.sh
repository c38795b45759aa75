# common.sh: versions, ports and paths shared by install.sh, up.sh and down.sh.
# Sourced, not run. Everything installed lives outside the repository, keyed by
# version, so a warm machine skips every download and build.

set -euo pipefail

# Pinned versions (the README beside this file says why these).
DYNAMODB_LOCAL_NPM=amplify-dynamodb-simulator@2.9.30 # ships DynamoDB Local 1.25.1
DYNAMODB_LOCAL_VERSION=1.25.1
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c # MinIO has no semver tags
FAUXQS_VERSION=1.9.2                              # 2.x needs Node 22
SES_LOCAL_VERSION=2.10.2

CACHE_ROOT=${SOHOA_SERVERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sohoa}
DYNAMODB_DIR=$CACHE_ROOT/dynamodb-local-$DYNAMODB_LOCAL_VERSION
MINIO_DIR=$CACHE_ROOT/minio-$MINIO_VERSION
FAUXQS_DIR=$CACHE_ROOT/fauxqs-$FAUXQS_VERSION
SES_DIR=$CACHE_ROOT/aws-ses-v2-local-$SES_LOCAL_VERSION

# Where running servers keep pid files, logs and data.
STATE_DIR=${SOHOA_SERVERS_STATE:-$CACHE_ROOT/run}

# Ports on 127.0.0.1, chosen away from the usual defaults so that a developer's
# own servers do not collide; each can be moved with its variable.
DYNAMODB_PORT=${SOHOA_DYNAMODB_PORT:-18000}
MINIO_PORT=${SOHOA_MINIO_PORT:-19000}
MINIO_CONSOLE_PORT=${SOHOA_MINIO_CONSOLE_PORT:-19001}
MINIO_WEBHOOK_PORT=${SOHOA_MINIO_WEBHOOK_PORT:-19911}
FAUXQS_PORT=${SOHOA_FAUXQS_PORT:-14566}
SES_PORT=${SOHOA_SES_PORT:-18005}

# Credentials of the local servers (MinIO checks them; the others accept any).
TEST_ACCESS_KEY=minioadmin
TEST_SECRET_KEY=minioadmin

log() { printf '[servers] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need() {
	command -v "$1" >/dev/null 2>&1 || die "$1 is required ($2)"
}

# wait_http URL SECONDS NAME: wait until URL answers with any HTTP response.
wait_http() {
	local url=$1 secs=$2 name=$3 i
	for ((i = 0; i < secs * 10; i++)); do
		if curl -s -o /dev/null --max-time 1 "$url"; then
			return 0
		fi
		sleep 0.1
	done
	die "$name did not answer at $url within ${secs}s (log: $STATE_DIR/$name.log)"
}

# running NAME: whether the server started by up.sh under NAME is alive.
running() {
	local pidfile=$STATE_DIR/$1.pid
	[[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}
