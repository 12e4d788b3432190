//go:build (!amd64 && !arm64) || purego

package ops

// Without depthwise row vector kernels here (or with the purego tag) the
// portable loops of dwRowI8On and dwRowF32On do every channel.

func dwRowI8Vec(gemmPath, []int8, []int8, []int, []int, []int8, []int32, []int32, []int, int32, int, int, int32, int32, int32) int {
	return 0
}

func dwRowF32Vec(gemmPath, []float32, []float32, []int, []int, []float32, []float32, int, int, float32, float32) int {
	return 0
}
