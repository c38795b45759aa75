package app

import (
	"runtime/debug"
	"testing"
)

// TestMemoryPacer: the soft limit follows the ingestions in flight above
// what was live when the first began, and is given back as it was when the
// last one is done, never raised above it.
func TestMemoryPacer(t *testing.T) {
	const mb = 1 << 20
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	for _, tt := range []struct {
		name        string
		start, live int64
	}{
		{"no limit before, small heap", before, 5 * mb},
		{"no limit before, large heap", before, 300 * mb},
		{"a lower limit before", 100 * mb, 5 * mb},
	} {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetMemoryLimit(tt.start)
			defer debug.SetMemoryLimit(before)
			live := tt.live
			p := memoryPacer{live: func() int64 { return live }}
			base := tt.live + paceHeadroom
			a := p.pace(10 * mb)
			if got, want := debug.SetMemoryLimit(-1), min(tt.start, base+paceCopies*10*mb); got != want {
				t.Errorf("one ingestion: limit %d MB, want %d MB", got/mb, want/mb)
			}
			live = 900 * mb // measured once, when the first began
			b := p.pace(20 * mb)
			if got, want := debug.SetMemoryLimit(-1), min(tt.start, base+paceCopies*30*mb); got != want {
				t.Errorf("two ingestions: limit %d MB, want %d MB", got/mb, want/mb)
			}
			a()
			a() // twice changes nothing
			if got, want := debug.SetMemoryLimit(-1), min(tt.start, base+paceCopies*20*mb); got != want {
				t.Errorf("one left: limit %d MB, want %d MB", got/mb, want/mb)
			}
			b()
			if got := debug.SetMemoryLimit(-1); got != tt.start {
				t.Errorf("none left: limit %d, want %d as before", got, tt.start)
			}
		})
	}
}

// TestLiveHeap: the runtime's figure is read (a process always has some heap).
func TestLiveHeap(t *testing.T) {
	if liveHeap() <= 0 {
		t.Error("no live heap figure from runtime/metrics")
	}
}
