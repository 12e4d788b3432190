package uplink

import (
	"testing"
	"time"
)

func TestBackoffGrowsJitteredAndCapped(t *testing.T) {
	lo, hi := 100*time.Millisecond, 3*time.Second
	for n := range 80 {
		step := hi
		if n < 5 { // 100ms·2⁵ = 3.2s > hi
			step = lo << n
		}
		seen := map[time.Duration]bool{}
		for range 50 {
			d := backoff(n, lo, hi)
			if d < step/2 || d > step {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, step/2, step)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Fatalf("backoff(%d) returned the same %d times: no jitter", n, 50)
		}
	}
}
