//go:build !purego

package ops

// gemm16x8Vec adds the products of the depths [0, k&^15) to acc in calls
// of at most chunk depths each (gemm16Chunk), and returns how far it got.
func gemm16x8Vec(_ gemmPath, a []int16, wp []int8, acc []int64, chunk int) int {
	k, blocks := len(a), len(acc)/4
	end := k &^ 15
	if end == 0 {
		return 0
	}
	_ = wp[blocks*4*k-1] // the assembly does no bounds checks
	for d := 0; d < end; d += chunk {
		// Depth d (even) of block 0 starts at 4d in the pair layout.
		gemm16x8NEON(&a[d], &wp[4*d], &acc[0], min(chunk, end-d)/16, k, blocks)
	}
	return end
}

// gemm16x16Vec is gemm16x8Vec for int16 weights.
func gemm16x16Vec(_ gemmPath, a, wp []int16, acc []int64, chunk int) int {
	k, blocks := len(a), len(acc)/4
	end := k &^ 15
	if end == 0 {
		return 0
	}
	_ = wp[blocks*4*k-1]
	for d := 0; d < end; d += chunk {
		gemm16x16NEON(&a[d], &wp[4*d], &acc[0], min(chunk, end-d)/16, k, blocks)
	}
	return end
}

// gemm16x8NEON adds to acc[4b:4b+4] the products of a[:16n] with block b of
// a packPairs16 filter (blocks of 4k elements), b < blocks, summed in int32
// lanes: 16n must not exceed gemm16Chunk of the filter.
//
//go:noescape
func gemm16x8NEON(a *int16, wp *int8, acc *int64, n, k, blocks int)

// gemm16x16NEON is gemm16x8NEON for int16 weights.
//
//go:noescape
func gemm16x16NEON(a, wp *int16, acc *int64, n, k, blocks int)
