// Command notify turns dossier status events from the table's stream into
// notifications (pkg/domain/notify) and into the report index (pkg/domain/report).
package main

import "github.com/sohoa/sohoa/functions/internal/assemble"

func main() { assemble.Main("notify", newHandler) }
