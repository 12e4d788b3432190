//go:build (!amd64 && !arm64) || purego

package ops

// Only amd64 and arm64 have four-row and epilogue kernels: elsewhere
// CONV_2D runs the one-row kernels and the portable epilogue.

func fourRows(gemmPath, bool) bool { return false }

func gemm4I8Vec(gemmPath, []int8, int, []int8, int, int, int, []int32, int, bool) bool { return false }

func gemm4F32Vec(gemmPath, []float32, int, []float32, int, int, int, []float32, int, bool) bool {
	return false
}

func biasActVec(gemmPath, []float32, []float32, []float32, float32, float32) int { return 0 }
