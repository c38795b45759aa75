// Command report writes the SLA report of the previous day to the reports
// bucket, on an EventBridge schedule.
package main

import "github.com/sohoa/sohoa/functions/internal/assemble"

func main() { assemble.Main("report", newHandler) }
