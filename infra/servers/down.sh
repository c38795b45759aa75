#!/usr/bin/env bash
# down.sh: stops the servers that up.sh started (by their pid files) and
# removes their in-memory state; installed binaries stay in the cache.
# Usage: down.sh [dynamodb|minio|fauxqs|ses ...]   (default: all)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

stop() {
	local name=$1 pidfile=$STATE_DIR/$1.pid pid i
	[[ -f $pidfile ]] || return 0
	pid=$(cat "$pidfile")
	if kill -0 "$pid" 2>/dev/null; then
		log "stopping $name (pid $pid)"
		# up.sh started each server as the leader of its own process group.
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
}

what=("$@")
((${#what[@]})) || what=(dynamodb minio fauxqs ses)
for w in "${what[@]}"; do
	stop "$w"
done
# MinIO's data is test data: start clean next time.
if [[ " ${what[*]} " == *" minio "* ]]; then
	rm -rf "$STATE_DIR/minio-data" "$STATE_DIR/minio-events"
fi
