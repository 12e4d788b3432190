package ops

import "math"

// The int16-activation GEMM of FULLY_CONNECTED, CONV_2D and BATCH_MATMUL:
// int8 or int16 weights in the pair layout of the int8 kernels (i8Index),
// so once widened (int8 ones in the kernel, keeping the filter at a byte a
// weight) a 32-bit lane holds one depth pair of one channel and x86
// VPMADDWD or arm64 SMLAL/SMLAL2 multiply it directly. TFLite sums these
// products in int64; the vector kernels sum them in int32 lanes over
// chunks of depth short enough that no lane can overflow (gemm16Chunk) and
// add each chunk into the int64 accumulators, so the results are the exact
// int64 sums on every path.

// packPairs16 packs rows filter rows of k depths into the pair layout:
// element (row j, depth i) is src[j*rs+i*ds], so a row-major filter has
// rs = k, ds = 1 and a [K][N] matrix rs = 1, ds = N. dst must hold
// roundUp4(rows)*k elements. It returns the largest |w|, which bounds the
// kernels' chunk of depth (gemm16Chunk).
func packPairs16[S, D int8 | int16](dst []D, src []S, rows, k, rs, ds int) int32 {
	// Depth by depth, the four channels of a block together: a [K][N]
	// source reads them from one place.
	for b := 0; b < (rows+3)/4; b++ {
		blk := dst[b*4*k : (b+1)*4*k]
		real := min(rows-4*b, 4)
		for i := 0; i < k; i++ {
			o, step := 4*i, 1 // channel 0 of depth i, channel stride
			if i < k&^1 {
				o, step = (i&^1)*4+i&1, 2
			}
			at := 4*b*rs + i*ds
			if real == 4 {
				blk[o], blk[o+step] = D(src[at]), D(src[at+rs])
				blk[o+2*step], blk[o+3*step] = D(src[at+2*rs]), D(src[at+3*rs])
				continue
			}
			for j := 0; j < 4; j++ {
				var v D
				if j < real {
					v = D(src[at+j*rs])
				}
				blk[o+j*step] = v
			}
		}
	}
	// The rows span src[:rows*k] whatever the strides.
	var lo, hi S
	for _, v := range src[:rows*k] {
		lo, hi = min(lo, v), max(hi, v)
	}
	return max(int32(hi), -int32(lo))
}

// gemm16Chunk is how many depths (a multiple of 16, the vector step) the
// vector kernels may sum in int32 lanes before adding into int64, for
// weights of magnitude at most wMax. Every lane, and every partial sum the
// kernels form of lanes, adds at most chunk products a*w with |a| <= 2^15
// and |w| <= wMax, so its magnitude is at most chunk*2^15*wMax, which this
// keeps <= 2^31-1; a VPMADDWD pair (2 products) is such a partial sum. For
// int8 weights (wMax <= 128) that is 496 depths. Below 16 (int16 weights
// above 4095) the portable loop does all of it: such products need int64.
func gemm16Chunk(wMax int32) int {
	if wMax == 0 {
		return math.MaxInt &^ 15
	}
	return int(math.MaxInt32/(int64(1<<15)*int64(wMax))) &^ 15
}

// gemmRow16 sets acc[o] to the exact sum of a[i]*w[o][i] for every channel
// of wp (packPairs16, largest |w| wMax), on the fastest kernel this CPU
// runs.
func gemmRow16[W int8 | int16](a []int16, wp []W, acc []int64, wMax int32) {
	gemmRow16On(bestPath(), a, wp, acc, wMax)
}

// gemmRow16On is gemmRow16 on kernel path p. The vector kernels take the
// depth in whole steps of 16; the portable loop finishes the rest.
func gemmRow16On[W int8 | int16](p gemmPath, a []int16, wp []W, acc []int64, wMax int32) {
	clear(acc)
	done := 0
	if chunk := gemm16Chunk(wMax); p != pathGo && len(acc) >= 4 && chunk >= 16 {
		switch w := any(wp).(type) {
		case []int8:
			done = gemm16x8Vec(p, a, w, acc, chunk)
		case []int16:
			done = gemm16x16Vec(p, a, w, acc, chunk)
		}
	}
	gemm16Tail(a, wp, acc, done)
}

// gemm16Tail adds the products of depths [from, len(a)) to acc (from is
// even): the portable kernel of the pair layout.
func gemm16Tail[W int8 | int16](a []int16, wp []W, acc []int64, from int) {
	k := len(a)
	if from == k {
		return
	}
	even := k &^ 1
	for blk := 0; 4*blk+3 < len(acc); blk++ {
		w := wp[blk*4*k : (blk+1)*4*k]
		var s0, s1, s2, s3 int64
		for i := from; i < even; i += 2 {
			ww := w[4*i : 4*i+8 : 4*i+8]
			x0, x1 := int64(a[i]), int64(a[i+1])
			s0 += x0*int64(ww[0]) + x1*int64(ww[1])
			s1 += x0*int64(ww[2]) + x1*int64(ww[3])
			s2 += x0*int64(ww[4]) + x1*int64(ww[5])
			s3 += x0*int64(ww[6]) + x1*int64(ww[7])
		}
		if even < k {
			ww := w[4*even : 4*even+4 : 4*even+4]
			x := int64(a[even])
			s0 += x * int64(ww[0])
			s1 += x * int64(ww[1])
			s2 += x * int64(ww[2])
			s3 += x * int64(ww[3])
		}
		o := acc[4*blk : 4*blk+4 : 4*blk+4]
		o[0] += s0
		o[1] += s1
		o[2] += s2
		o[3] += s3
	}
}
