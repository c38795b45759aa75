// Command api is the HTTP API on Lambda: API Gateway HTTP API events through
// the same router as the local stack (pkg/api), wired to AWS by package wire.
package main

import "github.com/sohoa/sohoa/functions/internal/wire"

func main() { wire.Main("api", newHandler) }
