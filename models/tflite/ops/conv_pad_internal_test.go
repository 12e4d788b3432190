package ops

import (
	"math/rand/v2"
	"testing"
)

// TestPackRowsI8PadPaths holds the segment-padded int8 packing to plain
// dot products on every path this CPU has: segments of 1..13 depths padded
// to quadruples, activations with arbitrary bytes in the padded lanes (what
// an in-place read sees), sums equal to those of the unpadded rows.
func TestPackRowsI8PadPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	for seg := 1; seg <= 13; seg++ {
		for _, segs := range []int{1, 2, 3, 5} {
			k, segP, rows := seg*segs, roundUp4(seg), 1+r.IntN(9)
			kp := segs * segP
			filter, x := make([]int8, rows*k), make([]int8, k)
			for i := range filter {
				filter[i] = int8(r.Uint32())
			}
			for i := range x {
				x[i] = int8(r.Uint32())
			}
			want := make([]int32, rows)
			for o := range want {
				for i, v := range x {
					want[o] += int32(v) * int32(filter[o*k+i])
				}
			}
			a := make([]int8, kp)
			for i := range a {
				a[i] = int8(r.Uint32()) // garbage in the padded lanes
			}
			for s := 0; s < segs; s++ {
				copy(a[s*segP:s*segP+seg], x[s*seg:(s+1)*seg])
			}
			for _, p := range gemmPaths() {
				packed := make([]int8, roundUp4(rows)*kp)
				packRowsI8PadOn(p, packed, filter, rows, k, seg, segP)
				acc := make([]int32, roundUp4(rows))
				gemmRowI8On(p, a, packed, acc)
				for o := range want {
					if acc[o] != want[o] {
						t.Fatalf("path %v seg=%d segs=%d rows=%d: channel %d = %d, want %d", p, seg, segs, rows, o, acc[o], want[o])
					}
				}
			}
		}
	}
}
