//go:build !amd64 || purego

package ops

// Only amd64 has four-row and epilogue kernels so far: elsewhere the
// callers run the single-row kernels and the portable epilogue.

func gemm4I8Vec(gemmPath, []int8, int, int, []int8, []int32) int { return 0 }

func gemm4F32Vec(gemmPath, []float32, int, int, []float32, []float32) bool { return false }

func biasActVec(gemmPath, []float32, []float32, []float32, float32, float32) int { return 0 }
