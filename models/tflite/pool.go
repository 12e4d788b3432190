package tflite

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// spinFor bounds how long an idle worker (and a caller waiting for the
// other chunks) polls before parking, while an Invoke runs. Waking a parked
// goroutine costs 5 to 20 µs when a core is free; polling only pays then,
// and on a loaded machine it takes CPU from the thread doing the work
// (BenchmarkPoolDispatchGap: 50 µs of polling made split calls slower at
// load 5 on 2 vCPU, 5 µs was within noise), so the bound stays short.
// Between Invokes nothing polls: workers park at once.
const spinFor = 5 * time.Microsecond

// pool runs Context.Parallel chunks on goroutines started at Load and
// stopped at Close. Sending a task copies a small struct through a channel,
// so Parallel does not allocate.
type pool struct {
	active atomic.Int32 // running Invokes: idle workers spin before parking
	left   atomic.Int32 // chunks of the current Parallel call not yet done

	threads int
	tasks   chan task
	wg      sync.WaitGroup // the running chunks of one Parallel call
	workers sync.WaitGroup // the worker goroutines
	busy    bool           // a Parallel call is running (nested calls run inline)

	mu    sync.Mutex
	fault any // first panic of a chunk, re-raised on the calling goroutine
}

type task struct {
	fn     func(lo, hi int)
	lo, hi int
}

func newPool(threads int) *pool {
	p := &pool{threads: max(threads, 1)}
	if p.threads > 1 {
		p.tasks = make(chan task, p.threads)
		p.workers.Add(p.threads - 1)
		for range p.threads - 1 {
			go p.work()
		}
	}
	return p
}

// begin and end bracket an Invoke: in between, idle workers spin briefly.
func (p *pool) begin() { p.active.Add(1) }
func (p *pool) end()   { p.active.Add(-1) }

func (p *pool) work() {
	defer p.workers.Done()
	for {
		t, ok := p.next()
		if !ok {
			return
		}
		p.run(t)
	}
}

// next takes the next task, polling for up to spinFor while an Invoke runs
// and blocking on the channel otherwise.
func (p *pool) next() (task, bool) {
	if p.active.Load() > 0 {
		start := time.Now()
		for p.active.Load() > 0 && time.Since(start) < spinFor {
			select {
			case t, ok := <-p.tasks:
				return t, ok
			default:
			}
			runtime.Gosched()
		}
	}
	t, ok := <-p.tasks
	return t, ok
}

func (p *pool) run(t task) {
	defer func() {
		if r := recover(); r != nil {
			p.mu.Lock()
			if p.fault == nil {
				p.fault = r
			}
			p.mu.Unlock()
		}
		p.left.Add(-1)
		p.wg.Done()
	}()
	t.fn(t.lo, t.hi)
}

// parallel splits [0,n) into at most threads contiguous chunks, runs the
// first on the calling goroutine and waits for all of them.
func (p *pool) parallel(n int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	chunks := min(p.threads, n)
	if chunks <= 1 || p.busy || p.tasks == nil {
		fn(0, n)
		return
	}
	p.busy = true
	defer func() { p.busy = false }()
	size := (n + chunks - 1) / chunks
	p.wg.Add(chunks)
	p.left.Store(int32(chunks))
	for lo := size; lo < n; lo += size {
		p.tasks <- task{fn, lo, min(lo+size, n)}
	}
	// Fewer chunks than planned when rounding up leaves the last empty.
	sent := (n - size + size - 1) / size
	for range chunks - 1 - sent {
		p.left.Add(-1)
		p.wg.Done()
	}
	p.run(task{fn, 0, size})
	// Poll before parking on the WaitGroup: the other chunks usually end
	// within a few µs of ours, sooner than a parked caller wakes.
	if p.left.Load() > 0 {
		start := time.Now()
		for p.left.Load() > 0 && time.Since(start) < spinFor {
			runtime.Gosched()
		}
	}
	p.wg.Wait()
	p.mu.Lock()
	f := p.fault
	p.fault = nil
	p.mu.Unlock()
	if f != nil {
		panic(fmt.Sprintf("parallel kernel chunk: %v", f))
	}
}

func (p *pool) close() {
	if p.tasks != nil {
		close(p.tasks)
		p.workers.Wait()
		p.tasks = nil
	}
}
