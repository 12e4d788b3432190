//go:build (!amd64 && !arm64) || purego

package ops

// No vector int16 GEMM on this platform or build.

func gemm16x8Vec(gemmPath, []int16, []int8, []int64, int) int { return 0 }

func gemm16x16Vec(gemmPath, []int16, []int16, []int64, int) int { return 0 }
