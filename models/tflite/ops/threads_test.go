package ops

import "testing"

// threadsCtx offers a thread count; opThreads asks nothing else.
type threadsCtx struct {
	Context
	n int
}

func (c threadsCtx) Threads() int { return c.n }

func TestOpThreads(t *testing.T) {
	lim := splitMACs(bestPath())
	two := threadsCtx{n: 2}
	if got := opThreads(two, lim-1); got != 1 {
		t.Errorf("%d MACs (below the %d threshold) on 2 threads: %d, want 1", lim-1, lim, got)
	}
	if got := opThreads(two, lim); got != 2 {
		t.Errorf("%d MACs on 2 threads: %d, want 2", lim, got)
	}
	if got := opThreads(threadsCtx{n: 1}, 1<<40); got != 1 {
		t.Errorf("1 thread offered: %d", got)
	}
	if got := opThreads(threadsCtx{n: 0}, 1<<40); got != 1 {
		t.Errorf("0 threads offered: %d, want 1", got)
	}
	if got := macs(1, 25, 5, 64, 576); got != 4608000 {
		t.Errorf("macs = %d, want 4608000", got)
	}
	if got := macs(1<<30, 1<<30, 1<<30); got != 1<<62 {
		t.Errorf("macs of 2^90 = %d, want saturation at 2^62", got)
	}
	if got := macs(3, 0, 7); got != 0 {
		t.Errorf("macs with an empty dimension = %d, want 0", got)
	}
	for _, p := range []gemmPath{pathGo, pathAVX2, pathVNNI, pathNEON, pathSDOT} {
		if splitMACs(p) < splitMACs(pathGo) {
			t.Errorf("path %v splits below the portable threshold", p)
		}
		if w := depthwiseWeight(p); w < 1 || splitMACs(p)/w < 1<<12 {
			t.Errorf("path %v: depthwise weight %d splits ops of %d MACs", p, w, splitMACs(p)/w)
		}
	}
	// Depthwise MACs weigh more: a depthwise op splits below the GEMM
	// threshold, but not a tiny one, and a huge one neither overflows nor
	// stays on one thread.
	w := depthwiseWeight(bestPath())
	if got := dwThreads(two, (lim+w-1)/w); got != 2 {
		t.Errorf("depthwise of %d MACs (weight %d) on 2 threads: %d, want 2", (lim+w-1)/w, w, got)
	}
	if got := dwThreads(two, lim/w-1); got != 1 {
		t.Errorf("depthwise of %d MACs (weight %d) on 2 threads: %d, want 1", lim/w-1, w, got)
	}
	if got := dwThreads(two, macs(1<<30, 1<<30, 1<<30)); got != 2 {
		t.Errorf("saturated depthwise work on 2 threads: %d, want 2", got)
	}
}
