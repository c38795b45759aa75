// Command ingest ingests scans: SQS batches of the intake bucket's S3 ObjectCreated
// events (and of ingest jobs the API queued), each handed to the dossier
// service; failures are reported per message.
package main

import "github.com/sohoa/sohoa/functions/internal/wire"

func main() { wire.Main("ingest", newHandler) }
