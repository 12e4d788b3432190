//go:build (!amd64 && !arm64) || purego

package ops

// Without vector kernels for this architecture (or with the purego tag)
// every product runs on the portable loops.

func bestPath() gemmPath { return pathGo }

func gemmPaths() []gemmPath { return []gemmPath{pathGo} }

// The *Vec kernels handle nothing here: the portable loops of their
// callers do it all.
func gemmI8Vec(gemmPath, []int8, []int8, []int32) int { return 0 }

func gemmF32Vec(gemmPath, []float32, []float32, []float32) int { return 0 }

func dwI8Vec(gemmPath, []int32, []int8, []int8, int32) int { return 0 }

func requantVec(gemmPath, []int32, []int32, []int32, []int, int32, int32, int32) int { return 0 }

func requantVecI8(gemmPath, []int8, []int32, []int32, []int32, []int, int32, int32, int32) int {
	return 0
}
