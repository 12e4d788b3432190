//go:build (!amd64 && !arm64) || purego

package ops

// ewF32Vec: no vector float elementwise kernel on this platform or build.
func ewF32Vec(int, []float32, []float32, []float32, float32, float32) int { return 0 }
