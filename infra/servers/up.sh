#!/usr/bin/env bash
# up.sh: installs (if needed) and starts the local AWS-compatible servers on
# 127.0.0.1, waits until each answers, and prints the environment the
# integration tests read, as shell `export` lines on stdout:
#
#	eval "$(infra/servers/up.sh)"   # then go test ./...
#	infra/servers/down.sh
#
# Servers already started by an earlier up.sh are reused. Logs, pid files and
# data are under $SOHOA_SERVERS_STATE (default ~/.cache/sohoa/run).
# Usage: up.sh [dynamodb|minio|fauxqs|ses ...]   (default: all)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# start NAME CMD...: starts CMD in its own process group, logging to the state dir.
start() {
	local name=$1
	shift
	if running "$name"; then
		log "$name already running (pid $(cat "$STATE_DIR/$name.pid"))"
		return 0
	fi
	log "starting $name"
	setsid "$@" >"$STATE_DIR/$name.log" 2>&1 </dev/null &
	echo $! >"$STATE_DIR/$name.pid"
}

up_dynamodb() {
	need java "Java 17"
	# In memory: every test run starts from empty tables (tests name their own).
	(cd "$DYNAMODB_DIR" && start dynamodb java -Xmx256m -XX:+UseSerialGC \
		-Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
		-inMemory -port "$DYNAMODB_PORT")
}

up_minio() {
	mkdir -p "$STATE_DIR/minio-data" "$STATE_DIR/minio-events"
	MINIO_ROOT_USER=$TEST_ACCESS_KEY MINIO_ROOT_PASSWORD=$TEST_SECRET_KEY \
		MINIO_BROWSER=off MINIO_UPDATE=off MINIO_REGION=us-east-1 \
		MINIO_NOTIFY_WEBHOOK_ENABLE_IT=on \
		MINIO_NOTIFY_WEBHOOK_ENDPOINT_IT="http://127.0.0.1:$MINIO_WEBHOOK_PORT/" \
		MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_IT="$STATE_DIR/minio-events" \
		start minio "$MINIO_DIR/bin/minio" server "$STATE_DIR/minio-data" \
		--address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$MINIO_CONSOLE_PORT"
}

up_fauxqs() {
	need node "Node.js 20"
	FAUXQS_PORT=$FAUXQS_PORT FAUXQS_HOST=127.0.0.1 FAUXQS_LOGGER=false \
		start fauxqs node "$FAUXQS_DIR/node_modules/fauxqs/dist/cli.js"
}

up_ses() {
	need node "Node.js 20"
	start ses "$SES_DIR/node_modules/.bin/aws-ses-v2-local" --host 127.0.0.1 --port "$SES_PORT"
}

main() {
	local what=("$@")
	((${#what[@]})) || what=(dynamodb minio fauxqs ses)
	need curl "curl"
	"$here/install.sh" "${what[@]}"
	mkdir -p "$STATE_DIR"
	local w
	for w in "${what[@]}"; do
		"up_$w"
	done
	for w in "${what[@]}"; do
		case $w in
		dynamodb) wait_http "http://127.0.0.1:$DYNAMODB_PORT/" 60 dynamodb ;;
		minio) wait_http "http://127.0.0.1:$MINIO_PORT/minio/health/ready" 60 minio ;;
		fauxqs) wait_http "http://127.0.0.1:$FAUXQS_PORT/" 60 fauxqs ;;
		ses) wait_http "http://127.0.0.1:$SES_PORT/store" 60 ses ;;
		esac
	done
	log "ready"
	echo "export SOHOA_TEST_AWS_ACCESS_KEY_ID=$TEST_ACCESS_KEY"
	echo "export SOHOA_TEST_AWS_SECRET_ACCESS_KEY=$TEST_SECRET_KEY"
	echo "export SOHOA_TEST_AWS_REGION=us-east-1"
	for w in "${what[@]}"; do
		case $w in
		dynamodb) echo "export SOHOA_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$DYNAMODB_PORT" ;;
		minio)
			echo "export SOHOA_TEST_S3_ENDPOINT=http://127.0.0.1:$MINIO_PORT"
			# MinIO posts bucket notifications (events.S3Event records) to this
			# address once a bucket is configured with the ARN below.
			echo "export SOHOA_TEST_S3_WEBHOOK_ADDR=127.0.0.1:$MINIO_WEBHOOK_PORT"
			echo "export SOHOA_TEST_S3_WEBHOOK_ARN=arn:minio:sqs::IT:webhook"
			;;
		fauxqs)
			echo "export SOHOA_TEST_SQS_ENDPOINT=http://127.0.0.1:$FAUXQS_PORT"
			echo "export SOHOA_TEST_SNS_ENDPOINT=http://127.0.0.1:$FAUXQS_PORT"
			;;
		ses)
			echo "export SOHOA_TEST_SES_ENDPOINT=http://127.0.0.1:$SES_PORT"
			echo "export SOHOA_TEST_SES_STORE_URL=http://127.0.0.1:$SES_PORT/store"
			;;
		esac
	done
}

main "$@"
