package app

import (
	"math"
	"runtime/debug"
	"sync"
)

// Memory pacing of ingestions. Certifying a component holds a few copies of
// it at once (the PDF, pdfcpu's parsed streams, the stamped and the sealed
// output), and Go's collector lets the heap grow to twice what is live
// before it runs, then keeps freed pages resident for a while. So while
// components are certified the process gets a soft memory limit of
// paceBase plus paceCopies times the largest component of each ingestion
// in flight: the collector works to that figure instead of doubling, and
// returns freed pages sooner. The limit is soft (the runtime exceeds it
// rather than fail) and lifted when no ingestion is certifying.
const (
	paceBase   = 32 << 20 // the process's own heap: services, HTTP, caches
	paceCopies = 4        // copies of one component live while it is sealed
)

// memoryPacer owns the process's soft memory limit while ingestions
// certify their components (dossier.Config.Pace). One per App: a process
// runs one App.
type memoryPacer struct {
	mu       sync.Mutex
	inflight int64 // sum of paceCopies × largest component of the ingestions in flight
	n        int
	prev     int64 // the limit before the first (GOMEMLIMIT, or none)
}

func (p *memoryPacer) pace(largest int64) func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		p.prev = debug.SetMemoryLimit(-1)
	}
	share := paceCopies * max(largest, 0)
	p.n++
	p.inflight += share
	p.apply()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.n--
			p.inflight -= share
			if p.n == 0 {
				debug.SetMemoryLimit(p.prev)
				return
			}
			p.apply()
		})
	}
}

// apply sets the limit for the ingestions in flight, never above the one
// the process started with.
func (p *memoryPacer) apply() {
	limit := int64(paceBase)
	if p.inflight < math.MaxInt64-limit {
		limit += p.inflight
	}
	debug.SetMemoryLimit(min(limit, p.prev))
}
