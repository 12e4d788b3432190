package tflite

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// poll waits for cond with a deadline.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPoolCoversEachIndexOnce runs jobs of many sizes, including more
// indices than a job has units, and requires every index exactly once.
func TestPoolCoversEachIndexOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3} {
		p := newPool(threads)
		for _, active := range []bool{false, true} {
			if active {
				p.begin()
			}
			for _, n := range []int{1, 2, 3, 7, 64, maxUnits + 5} {
				hits := make([]atomic.Int32, n)
				var calls atomic.Int64
				p.parallel(n, func(lo, hi int) {
					calls.Add(1)
					if lo >= hi && n > 0 {
						t.Errorf("threads %d n %d: empty range [%d,%d)", threads, n, lo, hi)
					}
					for i := lo; i < hi; i++ {
						hits[i].Add(1)
					}
				})
				for i := range hits {
					if h := hits[i].Load(); h != 1 {
						t.Fatalf("threads %d n %d active %v: index %d ran %d times", threads, n, active, i, h)
					}
				}
				if c := calls.Load(); threads > 1 && c != int64(min(n, maxUnits)) {
					t.Errorf("threads %d n %d: %d calls, want one per unit (%d)", threads, n, c, min(n, maxUnits))
				}
			}
			p.end()
		}
		p.close()
	}
}

// TestPoolDoesNotWaitForAnAbsentWorker gives a pool a worker slot with no
// goroutine behind it (a worker the OS has not scheduled yet): a job must
// still finish, the caller claiming every unit itself instead of waiting
// for the worker's share.
func TestPoolDoesNotWaitForAnAbsentWorker(t *testing.T) {
	p := newPool(1)
	defer p.close()
	p.workers = []sleeper{{wake: make(chan struct{}, 1)}}
	p.workers[0].sleeping.Store(true)
	p.begin()
	var ran [2]int
	for range 3 {
		p.parallel(2, func(lo, hi int) { ran[lo]++ })
	}
	p.end()
	if ran != [2]int{3, 3} {
		t.Fatalf("units ran %v times, want 3 each on the caller", ran)
	}
}

// TestPoolWorkersParkOutsideInvoke: between Invokes the workers must not
// poll (a gateway runs other things): begin alone wakes nobody, a job
// does, and after end they all park again.
func TestPoolWorkersParkOutsideInvoke(t *testing.T) {
	p := newPool(3)
	defer p.close()
	parked := func() bool {
		for i := range p.workers {
			if !p.workers[i].sleeping.Load() {
				return false
			}
		}
		return true
	}
	poll(t, "idle workers park", parked)
	p.begin()
	if !parked() {
		t.Fatal("begin woke the workers before any split op")
	}
	p.parallel(3, func(lo, hi int) {})
	p.end()
	poll(t, "workers park after the Invoke", parked)
	// Polling is bounded inside an Invoke too: after a job, with no
	// next one, they park.
	p.begin()
	p.parallel(3, func(lo, hi int) {})
	poll(t, "workers park after spinning with no job", parked)
	p.end()
}

// TestPoolPanicReachesCaller: a panicking unit is re-raised on the calling
// goroutine once the job is over, and the pool keeps working.
func TestPoolPanicReachesCaller(t *testing.T) {
	p := newPool(2)
	defer p.close()
	p.begin()
	defer p.end()
	func() {
		defer func() {
			r := recover()
			if s, _ := r.(string); !strings.Contains(s, "parallel kernel chunk: boom 1") {
				t.Fatalf("recovered %v, want the unit's panic", r)
			}
		}()
		p.parallel(2, func(lo, hi int) {
			if lo == 1 {
				panic("boom 1")
			}
		})
	}()
	var n atomic.Int64
	p.parallel(5, func(lo, hi int) { n.Add(int64(hi - lo)) })
	if n.Load() != 5 {
		t.Fatalf("after a panic the pool ran %d of 5 indices", n.Load())
	}
}

// TestPoolNestedRunsInline: a Parallel call from inside a unit runs on
// that goroutine (a job is not re-entered).
func TestPoolNestedRunsInline(t *testing.T) {
	p := newPool(2)
	defer p.close()
	var inner atomic.Int64
	p.parallel(2, func(lo, hi int) {
		p.parallel(3, func(lo, hi int) {
			if lo != 0 || hi != 3 {
				t.Errorf("nested call got [%d,%d), want [0,3) inline", lo, hi)
			}
			inner.Add(1)
		})
	})
	if inner.Load() != 2 {
		t.Fatalf("nested calls ran %d times, want 2", inner.Load())
	}
}

func TestPoolDoesNotAllocate(t *testing.T) {
	p := newPool(2)
	defer p.close()
	p.begin()
	defer p.end()
	var n atomic.Int64
	fn := func(lo, hi int) { n.Add(int64(hi - lo)) }
	if a := testing.AllocsPerRun(100, func() { p.parallel(2, fn) }); a != 0 {
		t.Fatalf("%v allocations per parallel call, want 0", a)
	}
}
