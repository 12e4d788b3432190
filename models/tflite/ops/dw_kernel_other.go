//go:build !amd64 || purego

package ops

// Without depthwise row vector kernels here (or with the purego tag) the
// portable loops of dwRowI8On and dwRowF32On do every channel.

// dwRowsOn reports whether the fused row kernels should run depthwise
// layers on path p: with the portable loops they beat dwPixel's, but on
// arm64 dwPixel's NEON taps and requantization beat portable row loops.
func dwRowsOn(p gemmPath) bool { return p == pathGo }

func dwRowI8Vec(gemmPath, []int8, []int8, []int, []int, []int8, []int32, []int32, []int, int32, int, int, int32, int32, int32) int {
	return 0
}

func dwRowF32Vec(gemmPath, []float32, []float32, []int, []int, []float32, []float32, int, int, float32, float32) int {
	return 0
}
