package app

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Memory pacing of ingestions. Certifying a component holds a few copies of
// it at once (the PDF, the stamped and the sealed output, the parser's
// transient reads), and Go's collector lets the heap grow to twice what is
// live before it runs, then keeps freed pages resident for a while. So while
// components are certified the process gets a soft memory limit: what the
// process held before (its live heap then), plus paceHeadroom, plus
// paceCopies times the bytes being certified (what
// dossier.Config.Pacer is told, for each ingestion in flight). The collector
// works to that figure instead of doubling, and returns freed pages sooner.
// The limit starts from what is live, not from a fixed size, so that it
// never sits at the live heap itself (the collector would run without end).
// It is soft (the runtime exceeds it rather than fail) and lifted when no
// ingestion is certifying.
const (
	// paceHeadroom is beyond the live heap: stacks, runtime metadata,
	// buffers in flight, and room for the collector to work in. Too little
	// and the collector runs over and over while a scan is certified
	// (docs/performance.md has the figures).
	paceHeadroom = 20 << 20
	paceCopies   = 3 // copies of a component live while it is sealed
)

// memoryPacer owns the process's soft memory limit while ingestions
// certify their components (dossier.Config.Pacer). One per App: a process
// runs one App.
type memoryPacer struct {
	mu       sync.Mutex
	inflight int64 // sum of paceCopies × the bytes certified by the ingestions in flight
	n        int
	base     int64 // the live heap when the first began, plus paceHeadroom
	prev     int64 // the limit before the first (GOMEMLIMIT, or none)
	// live returns the live heap in bytes; nil is the runtime's figure.
	live func() int64
}

func (p *memoryPacer) pace(certified int64) func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		p.prev = debug.SetMemoryLimit(-1)
		live := p.live
		if live == nil {
			live = liveHeap
		}
		p.base = live() + paceHeadroom
	}
	share := paceCopies * max(certified, 0)
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
	limit := p.base
	if p.inflight < math.MaxInt64-limit {
		limit += p.inflight
	}
	debug.SetMemoryLimit(min(limit, p.prev))
}

// liveHeap is the heap the last collection found live, in bytes; before
// the first collection, the heap's objects as they are.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	for _, v := range s {
		if v.Value.Kind() == metrics.KindUint64 && v.Value.Uint64() > 0 {
			return int64(v.Value.Uint64())
		}
	}
	return 0
}
