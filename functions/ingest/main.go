// Command ingest ingests scans and results put by presigned URL: SQS batches
// of the intake bucket's S3 ObjectCreated events (and of ingest jobs the API
// queued), each handed to the dossier service; failures are reported per
// message. With an OCR function
// configured it reads components' text through it and also consumes the OCR
// queue (the long components read after VALIDATED).
package main

import (
	"github.com/sohoa/sohoa/functions/internal/assemble"
	"github.com/sohoa/sohoa/pkg/format/pdfdoor"
)

func main() {
	// The isolated reader of results uploaded by presigned URL (pdfdoor)
	// first; assemble.Main starts the scan reader's.
	pdfdoor.RunChildIfRequested()
	assemble.Main("ingest", newHandler)
}
