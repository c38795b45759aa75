package main

import (
	"testing"
	"time"
)

func TestPreviousDay(t *testing.T) {
	// 00:05 in Hanoi on 24 Nov is 17:05 UTC on 23 Nov: the report is of 23 Nov.
	from, to := PreviousDay(time.Date(2026, 11, 23, 17, 5, 0, 0, time.UTC))
	if from.Format(time.DateOnly) != "2026-11-23" || to.Sub(from) != 24*time.Hour || from.UTC().Hour() != 17 {
		t.Fatalf("from %v to %v", from, to)
	}
}
