//go:build !purego

package ops

// gemm4F32AVX512 is gemm4F32AVX2 on AVX-512 (pathVNNI): it reads each
// block four depths at a time with one ZMM load, so per 16 FMAs of 16
// lanes it loads 4 weight vectors and 4 rows of 4 inputs, where the AVX2
// kernel loads 16 weight halves and 16 broadcasts for the same work. Each
// channel is summed in four interleaved partial sums (depths i mod 4),
// added at the end.
//
//go:noescape
func gemm4F32AVX512(a *float32, lda int, wp, acc *float32, ldc, kk, bstride, blocks int, add bool)

// gemmF32AVX512 sets acc[4b:4b+4] to the products of a[:k] with block b of
// a packRows filter (blocks of 4k floats), b < blocks: gemmF32AVX2 on
// AVX-512, all k depths (the last k%4 under masks).
//
//go:noescape
func gemmF32AVX512(a, wp, acc *float32, k, blocks int)
