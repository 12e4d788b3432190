//go:build (!amd64 && !arm64) || purego

package ops

// gemm16Vec: no vector int16 GEMM on this platform or build.
func gemm16Vec(gemmPath, []int16, []int16, []int64, int) int { return 0 }
