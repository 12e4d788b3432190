package tflite

import (
	"sync/atomic"
	"testing"
)

// BenchmarkPoolDispatch is the fixed cost of one Parallel call over two
// threads with no work: what an op must save by splitting to gain.
func BenchmarkPoolDispatch(b *testing.B) {
	p := newPool(2)
	defer p.close()
	p.begin()
	defer p.end()
	var n atomic.Int64
	fn := func(lo, hi int) { n.Add(int64(hi - lo)) }
	for b.Loop() {
		p.parallel(2, fn)
	}
	if n.Load() != 2*int64(b.N) {
		b.Fatalf("ran %d chunks, want %d", n.Load(), 2*b.N)
	}
}

// BenchmarkPoolDispatchGap is one split call after some 30 µs of serial
// work on the calling goroutine (a long unsplit op between two split ones),
// longer than the workers poll, so they have parked: the wake-up an op
// pays when it splits after a long serial stretch mid-Invoke.
func BenchmarkPoolDispatchGap(b *testing.B) {
	p := newPool(2)
	defer p.close()
	p.begin()
	defer p.end()
	var n atomic.Int64
	fn := func(lo, hi int) { n.Add(int64(hi - lo)) }
	var acc uint64
	for b.Loop() {
		for i := range uint64(30000) {
			acc = acc*6364136223846793005 + i
		}
		p.parallel(2, fn)
	}
	if n.Load() != 2*int64(b.N) || acc == 1 {
		b.Fatalf("ran %d chunks, want %d", n.Load(), 2*b.N)
	}
}
