// Command ingest ingests scans: SQS batches of the intake bucket's S3 ObjectCreated
// events (and of ingest jobs the API queued), each handed to the dossier
// service; failures are reported per message. With an OCR function
// configured it reads components' text through it and also consumes the OCR
// queue (the long components read after VALIDATED).
package main

import "github.com/sohoa/sohoa/functions/internal/assemble"

func main() { assemble.Main("ingest", newHandler) }
