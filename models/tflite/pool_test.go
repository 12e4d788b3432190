package tflite

import (
	"bytes"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestPoolSpinsOnlyDuringInvoke: while an Invoke is marked running, split
// calls still cover every index once; once it ends, the worker parks on
// the task channel instead of polling (a gateway's other work needs the
// core between Invokes).
func TestPoolSpinsOnlyDuringInvoke(t *testing.T) {
	p := newPool(2)
	defer p.close()
	var sum atomic.Int64
	p.begin()
	for range 200 {
		p.parallel(101, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				sum.Add(int64(i))
			}
		})
	}
	p.end()
	if got, want := sum.Load(), int64(200*101*100/2); got != want {
		t.Fatalf("sum of chunk indices %d, want %d", got, want)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !workerParked() {
		if time.Now().After(deadline) {
			t.Fatal("pool worker still running 5 s after the Invoke ended; want it parked on its channel")
		}
		runtime.Gosched()
	}
}

// workerParked reports whether a pool worker goroutine is blocked in its
// channel receive.
func workerParked() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("(*pool).next")) && bytes.Contains(g, []byte("[chan receive")) {
			return true
		}
	}
	return false
}
