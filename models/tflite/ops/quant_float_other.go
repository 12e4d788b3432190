//go:build (!amd64 && !arm64) || purego

package ops

// Without vector kernels for the hybrid input quantizers here (or with the
// purego tag) symmetricQuantize and asymmetricQuantize run their portable
// loops; these do nothing.

func absMaxBitsVec(gemmPath, []float32) (uint32, int) { return 0, 0 }

func minMaxVec(gemmPath, []float32) (float32, float32, int, bool) { return 0, 0, 0, false }

func quantSymVec(gemmPath, []float32, []int8, float32) int { return 0 }

func quantAsymVec(gemmPath, []float32, []int8, float32, float32) int { return 0 }
