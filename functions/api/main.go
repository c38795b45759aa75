// Command api is the HTTP API on Lambda: API Gateway HTTP API events through
// the same router as the local stack (pkg/api), wired to AWS by package assemble.
package main

import (
	"github.com/sohoa/sohoa/functions/internal/assemble"
	"github.com/sohoa/sohoa/pkg/format/pdfdoor"
)

func main() {
	// The isolated reader of uploaded results and PDFs posted for
	// verification (pdfdoor) first; assemble.Main starts the scan reader's.
	pdfdoor.RunChildIfRequested()
	assemble.Main("api", newHandler)
}
