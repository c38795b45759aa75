package app

import (
	"runtime/debug"
	"testing"
)

// TestMemoryPacer: the soft limit follows the ingestions in flight and is
// given back as it was when the last one is done, never raised above it.
func TestMemoryPacer(t *testing.T) {
	const mb = 1 << 20
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	for _, start := range []int64{before, 100 * mb} {
		debug.SetMemoryLimit(start)
		var p memoryPacer
		a := p.pace(10 * mb)
		if got, want := debug.SetMemoryLimit(-1), min(start, int64(paceBase+paceCopies*10*mb)); got != want {
			t.Errorf("one ingestion: limit %d MB, want %d MB", got/mb, want/mb)
		}
		b := p.pace(20 * mb)
		if got, want := debug.SetMemoryLimit(-1), min(start, int64(paceBase+paceCopies*30*mb)); got != want {
			t.Errorf("two ingestions: limit %d MB, want %d MB", got/mb, want/mb)
		}
		a()
		a() // twice changes nothing
		if got, want := debug.SetMemoryLimit(-1), min(start, int64(paceBase+paceCopies*20*mb)); got != want {
			t.Errorf("one left: limit %d MB, want %d MB", got/mb, want/mb)
		}
		b()
		if got := debug.SetMemoryLimit(-1); got != start {
			t.Errorf("none left: limit %d, want %d as before", got, start)
		}
	}
}
