// Command notify turns dossier status events from the table's stream into
// notifications (pkg/notify) and into the report index (pkg/report).
package main

import "github.com/sohoa/sohoa/functions/internal/wire"

func main() { wire.Main("notify", newHandler) }
