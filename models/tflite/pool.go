package tflite

import (
	"fmt"
	"sync"
)

// pool runs Context.Parallel chunks on goroutines started at Load and
// stopped at Close. Sending a task copies a small struct through a channel,
// so Parallel does not allocate.
type pool struct {
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

func (p *pool) work() {
	defer p.workers.Done()
	for t := range p.tasks {
		p.run(t)
	}
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
	for lo := size; lo < n; lo += size {
		p.tasks <- task{fn, lo, min(lo+size, n)}
	}
	// Fewer chunks than planned when rounding up leaves the last empty.
	sent := (n - size + size - 1) / size
	for range chunks - 1 - sent {
		p.wg.Done()
	}
	p.run(task{fn, 0, size})
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
