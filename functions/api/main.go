// Command api is the HTTP API on Lambda: API Gateway HTTP API events through
// the same router as the local stack (pkg/api), wired to AWS by package wire.
package main

import (
	"github.com/sohoa/sohoa/functions/internal/wire"
	"github.com/sohoa/sohoa/pkg/format/pdfdoor"
)

func main() {
	// The isolated reader of uploaded results and PDFs posted for
	// verification (pdfdoor) first; wire.Main starts the scan reader's.
	pdfdoor.RunChildIfRequested()
	wire.Main("api", newHandler)
}
