package ops

// Splitting an op over the interpreter's threads costs a fixed price: the
// workers must see the job (0.2 µs back to back while they poll,
// BenchmarkPoolDispatch in models/tflite; a futex wake-up of 5 to 20 µs
// after they parked) and the caller waits for the last part, longer when
// the machine is loaded and a worker is preempted. An op splits only when
// its work clearly outweighs that: its multiply-accumulates (adds for
// pooling) against a threshold per kernel path. The bare int8 GEMM row
// runs at about 0.9 MAC/ns portable, 23 AVX2 and 166 VNNI (BenchmarkGemmRow);
// whole layers (im2col, requantization) several times slower, so each
// threshold is some 40 to 100 µs of work on its path. Below it the op runs
// on the calling goroutine alone, so small models stay on one thread
// whatever Options.Threads says. BenchmarkSplitLayers compares one and
// two threads per layer shape: with the per-thread scratch rows a cache
// line apart (allocRows) a 24x24x32 depthwise layer takes 17 µs on one
// thread and 11.7 on two, a 1x1 convolution of 589k MACs 10.6 and 8.9.
// With the workers polling through the Invoke (pool.go spinFor) a split
// pays from about 5 µs of work: 2^18 MACs on VNNI.
func splitMACs(p gemmPath) int64 {
	switch p {
	case pathGo:
		return 1 << 16
	case pathVNNI, pathSDOT:
		return 1 << 18
	}
	return 1 << 19
}

// depthwiseWeight is how many GEMM MACs of time one depthwise MAC costs on
// path p: depthwise does a few MACs per output channel and requantizes
// every pixel, against whole dot products in the GEMM. One thread,
// BenchmarkSplitLayers: int8 3x3 depthwise 4 to 6 MAC/ns against some 60
// for a 1x1 convolution with VNNI; on the portable path both are loops of
// scalar MACs.
func depthwiseWeight(p gemmPath) int64 {
	switch p {
	case pathGo:
		return 1
	case pathVNNI, pathSDOT:
		return 8
	}
	return 4
}

// opThreads is how many parts an op of macs multiply-accumulates is cut
// into, one scratch row each: all the threads the interpreter offers when
// the work pays for the split, else 1. The threads claim parts one at a
// time, so when a worker starts late the caller takes its part too; finer
// parts would balance better but cost a scratch row each, which the
// memory bound of small models (twice the file) does not leave room for.
func opThreads(c Context, macs int64) int {
	t := max(c.Threads(), 1)
	if t == 1 || macs < splitMACs(bestPath()) {
		return 1
	}
	return t
}

// dwThreads is opThreads for a depthwise convolution of macs (clamped so
// the weighting cannot overflow).
func dwThreads(c Context, macs int64) int {
	return opThreads(c, min(macs, 1<<56)*depthwiseWeight(bestPath()))
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
