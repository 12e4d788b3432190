//go:build (!amd64 && !arm64) || purego

package ops

// dwI16Vec: no vector int16x8 depthwise tap on this platform or build.
func dwI16Vec(gemmPath, []int32, []int16, []int8) int { return 0 }
