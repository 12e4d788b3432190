package tflite

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// pool runs Context.Parallel jobs on worker goroutines started at Load and
// stopped at Close, together with the calling goroutine.
//
//	caller: publish job (id, units) in claim ─┬─ claims units ─┐
//	worker: sees a new job id ────────────────┴─ claims units ─┴─ done == units
//
// A job is a number of units; every goroutine takes the next unit from one
// atomic word until none is left, so a thread the OS schedules late simply
// takes fewer units and nobody waits for its share. While an Invoke runs,
// an idle worker polls for the next job for up to spinFor (a futex wake-up
// costs more than a small op saves), then parks on its channel; outside an
// Invoke it parks at once, so it uses no CPU between Invokes. Nothing here
// allocates after newPool.
type pool struct {
	claim  atomic.Uint64 // job id<<32 | units<<16 | next unit
	done   atomic.Int64  // units finished in the current job
	active atomic.Bool   // an Invoke is running: idle workers spin, then park
	quit   atomic.Bool

	threads int
	job     uint32           // id of the last job, caller only
	fn      func(lo, hi int) // the current job: written before claim is published
	n       int              // length of the range the units cover
	busy    bool             // a job is running (nested calls run inline)
	caller  sleeper          // the calling goroutine waiting for the last unit
	workers []sleeper
	wg      sync.WaitGroup

	mu    sync.Mutex
	fault any // first panic of a unit, re-raised on the calling goroutine
}

// sleeper is a goroutine that may park: it sets sleeping, re-checks its
// condition, then receives on wake. A waker that clears sleeping owes it one
// token, so wake never holds more than one.
type sleeper struct {
	sleeping atomic.Bool
	wake     chan struct{}
}

const (
	// maxUnits bounds a job's units to what the claim word holds.
	maxUnits = 1<<16 - 1
	// spinFor is how long an idle goroutine polls before it parks, and
	// never past the end of the Invoke: long enough to bridge the serial
	// ops between two split ones in MLPerf Tiny graphs, whose every
	// re-park cost a futex wake-up (5-20 µs) per split layer. With 10 µs
	// two threads made VWW 1.6x slower than one; with 500 µs (and the
	// 2^18 VNNI threshold) they are as fast or faster on every model
	// (docs/benchmarks.md). The price is the second core held during an
	// Invoke that was offered two threads.
	spinFor = 500 * time.Microsecond
)

func newPool(threads int) *pool {
	p := &pool{threads: max(threads, 1)}
	p.caller.wake = make(chan struct{}, 1)
	if p.threads > 1 {
		p.workers = make([]sleeper, p.threads-1)
		p.wg.Add(len(p.workers))
		for i := range p.workers {
			p.workers[i].wake = make(chan struct{}, 1)
			go p.work(&p.workers[i])
		}
	}
	return p
}

// begin marks an Invoke running: from its first split op on, idle
// workers poll for the next job. It wakes nobody, so a model whose ops
// all run on one thread pays nothing for the pool.
func (p *pool) begin() { p.active.Store(true) }

// end marks the Invoke over: idle workers park instead of polling.
func (p *pool) end() { p.active.Store(false) }

func (p *pool) wakeUp(s *sleeper) {
	if s.sleeping.CompareAndSwap(true, false) {
		s.wake <- struct{}{}
	}
}

// wait returns once cond holds: it polls, yielding to other goroutines now
// and then, for up to spinFor, then parks until a wakeUp and checks again.
// A worker polls only while an Invoke runs; the caller, waiting for the
// last unit of its own job, always does.
func (p *pool) wait(s *sleeper, worker bool, cond func() bool) {
	for {
		if !worker || p.active.Load() {
			start := time.Now()
			for i := 1; ; i++ {
				if cond() {
					return
				}
				// Gosched takes the scheduler's lock: now and then only.
				if i%512 == 0 {
					runtime.Gosched()
					if time.Since(start) > spinFor || worker && !p.active.Load() {
						break
					}
				}
			}
		}
		s.sleeping.Store(true)
		if cond() {
			if !s.sleeping.CompareAndSwap(true, false) {
				<-s.wake // a waker cleared the flag first: take its token
			}
			return
		}
		<-s.wake
	}
}

func (p *pool) work(s *sleeper) {
	defer p.wg.Done()
	var seen uint32
	for {
		p.wait(s, true, func() bool {
			return uint32(p.claim.Load()>>32) != seen || p.quit.Load()
		})
		if p.quit.Load() {
			return
		}
		seen = uint32(p.claim.Load() >> 32)
		p.runUnits(seen)
	}
}

// runUnits claims and runs units of job until none is left. A goroutine
// that saw the job late finds a newer id in claim and claims nothing, so
// it never runs a unit with another job's fn.
func (p *pool) runUnits(job uint32) {
	for {
		c := p.claim.Load()
		units, next := int(c>>16&0xffff), int(c&0xffff)
		if uint32(c>>32) != job || next >= units {
			return
		}
		if !p.claim.CompareAndSwap(c, c+1) {
			continue
		}
		// The claimed unit keeps the job open, so fn and n are this job's.
		lo, hi := share(p.n, units, next)
		p.runUnit(lo, hi)
		if p.done.Add(1) == int64(units) {
			p.wakeUp(&p.caller)
		}
	}
}

func (p *pool) runUnit(lo, hi int) {
	defer func() {
		if r := recover(); r != nil {
			p.mu.Lock()
			if p.fault == nil {
				p.fault = r
			}
			p.mu.Unlock()
		}
	}()
	p.fn(lo, hi)
}

// share is unit i of [0, n) split into units contiguous ranges.
func share(n, units, i int) (int, int) {
	size := n / units
	rest := n % units
	lo := i*size + min(i, rest)
	if i < rest {
		size++
	}
	return lo, lo + size
}

// parallel runs fn over [0,n) in units of one index (at most maxUnits
// ranges when n is larger), claimed by the calling goroutine and the
// workers, and waits for all of them.
func (p *pool) parallel(n int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if n == 1 || p.busy || len(p.workers) == 0 {
		fn(0, n)
		return
	}
	p.busy = true
	defer func() { p.busy = false }()
	units := min(n, maxUnits)
	p.fn, p.n = fn, n
	p.done.Store(0)
	p.job++
	p.claim.Store(uint64(p.job)<<32 | uint64(units)<<16)
	for i := range p.workers {
		p.wakeUp(&p.workers[i])
	}
	p.runUnits(p.job)
	p.wait(&p.caller, false, func() bool { return p.done.Load() == int64(units) })
	p.fn = nil
	p.mu.Lock()
	f := p.fault
	p.fault = nil
	p.mu.Unlock()
	if f != nil {
		panic(fmt.Sprintf("parallel kernel chunk: %v", f))
	}
}

func (p *pool) close() {
	if len(p.workers) > 0 && !p.quit.Load() {
		p.quit.Store(true)
		for i := range p.workers {
			p.wakeUp(&p.workers[i])
		}
		p.wg.Wait()
	}
}
