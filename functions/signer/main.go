// Command signer signs results in batches: SQS jobs, each one officer's
// authorization over up to 1,000 dossiers (pkg/domain/dossier RunSignJob).
package main

import "github.com/sohoa/sohoa/functions/internal/assemble"

func main() { assemble.Main("signer", newHandler) }
