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
	var n atomic.Int64
	fn := func(lo, hi int) { n.Add(int64(hi - lo)) }
	for b.Loop() {
		p.parallel(2, fn)
	}
	if n.Load() != 2*int64(b.N) {
		b.Fatalf("ran %d chunks, want %d", n.Load(), 2*b.N)
	}
}
