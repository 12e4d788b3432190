package ops

// Splitting an op over the interpreter's threads costs a fixed price: the
// worker goroutine must be woken (it parks between ops) and the caller
// waits for the slower half. On the 2-core x86 development box that is 0.5
// to 1.3 µs back to back (BenchmarkPoolDispatch in models/tflite) and 5 to
// 20 µs once the worker has parked, more on a loaded machine. An op splits
// only when its work clearly outweighs that: its multiply-accumulates
// (adds for pooling) against a threshold per kernel path. The bare int8
// GEMM row runs at about 0.9 MAC/ns portable, 23 AVX2 and 166 VNNI
// (BenchmarkGemmRow); whole layers (im2col, requantization, depthwise)
// run several times slower, so each threshold is some 40 to 100 µs of
// work on its path. Below it the op runs on the calling goroutine alone,
// so small models stay on one thread whatever Options.Threads says.
func splitMACs(p gemmPath) int64 {
	switch p {
	case pathGo:
		return 1 << 16
	case pathVNNI, pathSDOT:
		return 1 << 21
	}
	return 1 << 19
}

// opThreads is how many threads an op of macs multiply-accumulates uses:
// all the interpreter offers when the work pays for the split, else 1.
func opThreads(c Context, macs int64) int {
	t := max(c.Threads(), 1)
	if t == 1 || macs < splitMACs(bestPath()) {
		return 1
	}
	return t
}

// macs multiplies an op's work dimensions in int64 (exact on 32-bit
// targets too), saturating instead of overflowing.
func macs(dims ...int) int64 {
	const limit = int64(1) << 62
	n := int64(1)
	for _, d := range dims {
		if d <= 0 {
			return 0
		}
		if n > limit/int64(d) {
			return limit
		}
		n *= int64(d)
	}
	return n
}
