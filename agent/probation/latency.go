package probation

import (
	"math"
	"time"
)

// Latency buckets grow by 2^(1/16) (about 4.4 %) from 1 µs; 480 of them
// reach about 18 minutes. Bucket i holds (lo·g^(i-1), lo·g^i].
const (
	latencyBuckets   = 480
	latencyPerOctave = 16
	latencyLowest    = time.Microsecond
)

// latencies keeps Invoke latencies in fixed memory as log buckets, for
// quantile figures within one bucket's width.
type latencies struct {
	n       int64
	maxSeen time.Duration
	buckets [latencyBuckets + 1]int64 // last one: beyond the top bucket
}

func (l *latencies) observe(d time.Duration) {
	l.n++
	l.maxSeen = max(l.maxSeen, d)
	l.buckets[bucketOf(d)]++
}

// p99Above reports whether the nearest-rank p99 (the ⌈0.99·n⌉-th smallest
// of n samples) is above a limit that above of them exceed: that is when
// more than n − ⌈0.99·n⌉ samples are above it.
func p99Above(above, n int64) bool {
	return above > n-(99*n+99)/100
}

// quantile is the upper bound of the bucket holding the nearest-rank
// q-quantile, capped at the largest sample: never below the true quantile.
// 0 without samples.
func (l *latencies) quantile(q float64) time.Duration {
	if l.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(l.n)))
	var cum int64
	for i, c := range l.buckets {
		cum += c
		if cum >= rank {
			if i == latencyBuckets {
				return l.maxSeen
			}
			return min(bucketUpper(i), l.maxSeen)
		}
	}
	return l.maxSeen
}

func bucketOf(d time.Duration) int {
	if d <= latencyLowest {
		return 0
	}
	i := int(math.Ceil(math.Log2(float64(d)/float64(latencyLowest)) * latencyPerOctave))
	for i > 0 && bucketUpper(i-1) >= d { // rounding of Log2 at a bucket edge
		i--
	}
	for i < latencyBuckets && bucketUpper(i) < d {
		i++
	}
	return min(i, latencyBuckets)
}

func bucketUpper(i int) time.Duration {
	return time.Duration(float64(latencyLowest) * math.Exp2(float64(i)/latencyPerOctave))
}
