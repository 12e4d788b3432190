package ops

import "math"

// The inner loops shared by FULLY_CONNECTED and CONV_2D: a row of
// activations (one FC batch row or one conv im2col patch) against all filter
// rows, with the filter packed in Prepare into blocks of four output
// channels interleaved along depth:
//
//	packed[blk][k][j] = filter[4*blk+j][k]     (zero for padding channels)
//
// so one pass over the activation row feeds four accumulators from
// contiguous memory. Accumulator types follow TFLite: int32 for 8-bit
// activations, int64 for 16-bit activations, float32 for float.

// gemmPath names one implementation of the vector kernels below. Which ones
// exist depends on the architecture and the build (the purego tag leaves
// only pathGo); bestPath picks from the CPU's features at run time.
type gemmPath uint8

const (
	pathGo   gemmPath = iota // portable Go loops, every platform
	pathAVX2                 // amd64 AVX2 + FMA
	pathVNNI                 // amd64 AVX-512 F/BW/VL + VNNI (AVX2 for the rest)
	pathNEON                 // arm64 Advanced SIMD
	pathSDOT                 // arm64 NEON + SDOT (dot product extension)
)

func (p gemmPath) String() string {
	switch p {
	case pathGo:
		return "go"
	case pathAVX2:
		return "avx2"
	case pathVNNI:
		return "avx512vnni"
	case pathNEON:
		return "neon"
	case pathSDOT:
		return "sdot"
	}
	return "unknown"
}

// elem is every element type the shared loops see.
type elem interface {
	~int8 | ~uint8 | ~int16 | ~int32 | ~int64 | ~float32
}

// packRows packs rows filter rows of length k into blocks of four.
// dst must hold roundUp4(rows)*k elements.
func packRows[S, D elem](dst []D, src []S, rows, k int) {
	blocks := (rows + 3) / 4
	for b := 0; b < blocks; b++ {
		blk := dst[b*4*k : (b+1)*4*k]
		for j := 0; j < 4; j++ {
			r := 4*b + j
			if r >= rows {
				for i := 0; i < k; i++ {
					blk[4*i+j] = 0
				}
				continue
			}
			row := src[r*k : (r+1)*k]
			for i, v := range row {
				blk[4*i+j] = D(v)
			}
		}
	}
}

func roundUp4(n int) int { return (n + 3) &^ 3 }

// gemmRow computes acc[o] = sum_k a[k]*filter[o][k] for every channel o of
// the packed filter wp (len(acc)/4 blocks of 4*len(a) elements).
func gemmRow[A, W, Acc elem](a []A, wp []W, acc []Acc) {
	k := len(a)
	for blk := 0; 4*blk+3 < len(acc); blk++ {
		w := wp[blk*4*k : (blk+1)*4*k]
		var s0, s1, s2, s3 Acc
		for i, x := range a {
			ww := w[4*i : 4*i+4 : 4*i+4]
			xv := Acc(x)
			s0 += xv * Acc(ww[0])
			s1 += xv * Acc(ww[1])
			s2 += xv * Acc(ww[2])
			s3 += xv * Acc(ww[3])
		}
		o := acc[4*blk : 4*blk+4 : 4*blk+4]
		o[0], o[1], o[2], o[3] = s0, s1, s2, s3
	}
}

// The int8 x int8 -> int32 path (FULLY_CONNECTED, CONV_2D and their hybrid
// forms) packs each block of four channels in pairs of depth instead, the
// layout of the vector multiply-add of pairs (x86 VPMADDWD):
//
//	packed[blk][i/2][j][i%2] = filter[4*blk+j][i]   for i < k&^1
//	packed[blk][k-1][j]      = filter[4*blk+j][k-1] for odd k
//
// A block still holds 4*k elements, so block offsets are those of packRows.

// packRowsI8 packs rows int8 filter rows of length k for the fastest
// kernel this CPU runs. dst must hold roundUp4(rows)*k elements.
func packRowsI8(dst, src []int8, rows, k int) {
	packRowsI8On(bestPath(), dst, src, rows, k)
}

// packRowsI8On packs for kernel path p. The dot-product paths (VNNI, SDOT)
// multiply four depths per lane, so they take the first quadK(k) depths
// of each block in quadruples instead of pairs:
//
//	packed[blk][i/4][j][i%4] = filter[4*blk+j][i] (+128 on VNNI) for i < quadK(k)
//
// and the pair layout for the depths after (which the portable tail
// reads). Blocks keep 4*k elements, so channel ranges slice alike.
func packRowsI8On(p gemmPath, dst, src []int8, rows, k int) {
	packRowsI8PadOn(p, dst, src, rows, k, k, k)
}

// packRowsI8Pad packs rows int8 filter rows of length srcK (segments of
// seg depths, seg dividing srcK) with each segment padded to
// roundUp4(seg) depths by zero weights, for the fastest kernel this CPU
// runs: packed depth srcK/seg*roundUp4(seg), dst that times
// roundUp4(rows). The dot-product kernels then take whole quadruples and
// no portable tail runs. A zero weight adds a*0 on every path whatever
// activation a it meets, on VNNI a*(0+128) - 128*a: so the padded lanes
// of a patch may be zeros or the input bytes after a segment.
func packRowsI8Pad(dst, src []int8, rows, srcK, seg int) {
	packRowsI8PadOn(bestPath(), dst, src, rows, srcK, seg, roundUp4(seg))
}

// packRowsI8PadOn is packRowsI8Pad for kernel path p, segments padded to
// segP >= seg depths.
func packRowsI8PadOn(p gemmPath, dst, src []int8, rows, srcK, seg, segP int) {
	packStrided(p, dst, src, rows, srcK, seg, segP, srcK, 1)
}

// packStrided is the one packer behind the layouts above, for rows whose
// element (row r, depth i < srcK) is src[r*rs+i*ds]: a row-major filter
// has rs = srcK, ds = 1, a [K][N] matrix rs = 1, ds = N (no transposed
// copy). Segments of seg depths are padded to segP with zero weights (the
// packed depth is srcK/seg*segP). The first quadK depths go in quadruples
// on the dot-product paths (VNNI's with the sign bit flipped: VPDPBUSD
// wants unsigned weights, and w+128 is w^-128), the rest in pairs.
// (packPairs16 is the pairs-only form for the int16 kernels.)
func packStrided(p gemmPath, dst, src []int8, rows, srcK, seg, segP, rs, ds int) {
	k := srcK / seg * segP
	q := 0
	if p == pathVNNI || p == pathSDOT {
		q = quadK(k)
	}
	var bias int8
	if p == pathVNNI {
		bias = math.MinInt8
	}
	// Depth by depth, the four channels of a block together: a [K][N]
	// source reads them from one place.
	for b := 0; b < (rows+3)/4; b++ {
		blk := dst[b*4*k : (b+1)*4*k]
		inBlock := min(rows-4*b, 4)
		i := 0
		for s0 := 0; s0 < srcK; s0 += seg { // source depth of the segment
			for d := 0; d < segP; d, i = d+1, i+1 {
				o, step, x := 4*i, 1, int8(0) // channel 0 of depth i, channel stride
				if i < q {
					o, step, x = (i&^3)*4+i&3, 4, bias
				} else if i < k&^1 {
					o, step = (i&^1)*4+i&1, 2
				}
				real, at := inBlock, 4*b*rs+(s0+d)*ds
				if d >= seg {
					real = 0 // padding depth
				}
				if real == 4 {
					blk[o], blk[o+step] = src[at]^x, src[at+rs]^x
					blk[o+2*step], blk[o+3*step] = src[at+2*rs]^x, src[at+3*rs]^x
					continue
				}
				for j := 0; j < 4; j++ {
					var v int8
					if j < real {
						v = src[at+j*rs]
					}
					blk[o+j*step] = v ^ x
				}
			}
		}
	}
}

// quadK is how many depths the dot-product kernels take: whole
// quadruples.
func quadK(k int) int { return k &^ 3 }

// i8Index is the offset of depth i of channel j in a pair-layout block.
func i8Index(i, j, k int) int {
	if i < k&^1 {
		return (i&^1)*4 + 2*j + i&1
	}
	return 4*i + j
}

// gemmRowI8 is gemmRow for int8 activations and a packRowsI8 filter, on
// the fastest kernel this CPU runs.
func gemmRowI8(a, wp []int8, acc []int32) {
	gemmRowI8On(bestPath(), a, wp, acc)
}

// gemmRowI8On is gemmRowI8 on kernel path p, with wp packed by
// packRowsI8On for p. The vector kernels take the depth in whole vector
// steps; the portable loop finishes the rest (pair layout there on every
// path).
func gemmRowI8On(p gemmPath, a, wp []int8, acc []int32) {
	done := 0
	if p != pathGo && len(acc) >= 4 {
		done = gemmI8Vec(p, a, wp, acc)
	}
	gemmI8Tail(a, wp, acc, done)
}

// gemmI8Tail adds the products of depths [from, len(a)) to acc (sets acc
// when from is 0): the portable kernel of the pair layout.
func gemmI8Tail(a, wp []int8, acc []int32, from int) {
	k := len(a)
	if from == k && k > 0 {
		return // the vector kernel did it all
	}
	even := k &^ 1
	for blk := 0; 4*blk+3 < len(acc); blk++ {
		w := wp[blk*4*k : (blk+1)*4*k]
		var s0, s1, s2, s3 int32
		for i := from; i < even; i += 2 {
			ww := w[4*i : 4*i+8 : 4*i+8]
			x0, x1 := int32(a[i]), int32(a[i+1])
			s0 += x0*int32(ww[0]) + x1*int32(ww[1])
			s1 += x0*int32(ww[2]) + x1*int32(ww[3])
			s2 += x0*int32(ww[4]) + x1*int32(ww[5])
			s3 += x0*int32(ww[6]) + x1*int32(ww[7])
		}
		if even < k && from <= even {
			ww := w[4*even : 4*even+4 : 4*even+4]
			x := int32(a[even])
			s0 += x * int32(ww[0])
			s1 += x * int32(ww[1])
			s2 += x * int32(ww[2])
			s3 += x * int32(ww[3])
		}
		o := acc[4*blk : 4*blk+4 : 4*blk+4]
		if from == 0 {
			o[0], o[1], o[2], o[3] = s0, s1, s2, s3
		} else {
			o[0] += s0
			o[1] += s1
			o[2] += s2
			o[3] += s3
		}
	}
}

// gemmRowF32 is gemmRow for float32 (packRows layout) on the fastest
// kernel this CPU runs.
func gemmRowF32(a, wp, acc []float32) {
	gemmRowF32On(bestPath(), a, wp, acc)
}

// gemmRowF32On is gemmRowF32 on kernel path p. Vector kernels sum in a
// different order than the portable loop (float results differ by rounding
// only).
func gemmRowF32On(p gemmPath, a, wp, acc []float32) {
	if p == pathGo || len(acc) < 4 {
		gemmRow(a, wp, acc)
		return
	}
	done := gemmF32Vec(p, a, wp, acc)
	if done == len(a) {
		return
	}
	k := len(a)
	for blk := 0; 4*blk+3 < len(acc); blk++ {
		w := wp[blk*4*k : (blk+1)*4*k]
		var s0, s1, s2, s3 float32
		for i := done; i < k; i++ {
			ww := w[4*i : 4*i+4 : 4*i+4]
			x := a[i]
			s0 += x * ww[0]
			s1 += x * ww[1]
			s2 += x * ww[2]
			s3 += x * ww[3]
		}
		o := acc[4*blk : 4*blk+4 : 4*blk+4]
		if done == 0 {
			o[0], o[1], o[2], o[3] = s0, s1, s2, s3
		} else {
			o[0] += s0
			o[1] += s1
			o[2] += s2
			o[3] += s3
		}
	}
}

// dwMACI8 is DEPTHWISE_CONV_2D's tap: acc[c] += f[c]*(x[c]+xo), on the
// fastest kernel this CPU runs.
func dwMACI8(acc []int32, x, f []int8, xo int32) { dwMACI8On(bestPath(), acc, x, f, xo) }

// dwMACI8On is dwMACI8 on kernel path p. The vector kernels multiply in
// 16 bits, exact while |x+xo| <= 255 (every int8 input offset, -zp in
// [-127, 128]); other offsets take the portable loop.
func dwMACI8On(p gemmPath, acc []int32, x, f []int8, xo int32) {
	done := 0
	if p != pathGo && xo >= -127 && xo <= 128 {
		done = dwI8Vec(p, acc, x, f, xo)
	}
	acc, f = acc[done:len(x)], f[done:len(x)]
	for c, v := range x[done:] {
		acc[c] += int32(f[c]) * (int32(v) + xo)
	}
}

// rowSums returns the sum of each of rows filter rows of length k, widened
// to int32 (the zero-point corrections of the integer kernels).
func rowSums[W elem](dst []int32, src []W, rows, k int) {
	for r := 0; r < rows; r++ {
		var s int32
		for _, v := range src[r*k : (r+1)*k] {
			s += int32(v)
		}
		dst[r] = s
	}
}

// requantize32 scales int32 accumulators (bias and zero-point corrections
// in add) to a quantized output, as TFLite's per-channel integer kernels:
// MultiplyByQuantizedMultiplier written out here with its data-dependent
// branches (the sign of the product, the rounding of the shift) turned into
// arithmetic, the same bits without the call and the mispredictions that
// made it a third of Invoke once the dot products were vectorized. (int32
// outputs are for the test against the reference.)
//
// acc is scratch: the vector kernels leave their results in it.
func requantize32[T ~int8 | ~uint8 | ~int16 | ~int32](out []T, acc, add []int32, mult []int32, shift []int, zp, lo, hi int32) {
	requantize32On(bestPath(), out, acc, add, mult, shift, zp, lo, hi)
}

// requantize32On is requantize32 on kernel path p.
func requantize32On[T ~int8 | ~uint8 | ~int16 | ~int32](p gemmPath, out []T, acc, add []int32, mult []int32, shift []int, zp, lo, hi int32) {
	n := len(out)
	acc, add, mult, shift = acc[:n], add[:n], mult[:n], shift[:n]
	done := 0
	if o8, ok := any(out).([]int8); ok && p != pathGo {
		done = requantVecI8(p, o8, acc, add, mult, shift, zp, lo, hi)
	}
	if p != pathGo && done == 0 {
		done = requantVec(p, acc, add, mult, shift, zp, lo, hi)
		for i, v := range acc[:done] {
			out[i] = T(v)
		}
	}
	for i := done; i < n; i++ {
		s := shift[i]
		x := (acc[i] + add[i]) << uint(max(s, 0)) // x * 2^left, wrapping as the reference
		q := mult[i]
		var h int32
		if x == q && x == math.MinInt32 { // the one saturating product
			h = math.MaxInt32
		} else {
			ab := int64(x) * int64(q)
			// +2^30, or 1-2^30 for a negative product; then / 2^31
			// truncating (the compiler makes the division shifts).
			h = int32((ab + int64(1<<30) - (ab>>63)&(1<<31-1)) / (1 << 31))
		}
		// h / 2^right rounded half away from zero; threshold-rem cannot
		// overflow, both are in [0, 2^31).
		right := uint(max(-s, 0))
		mask := int32(1)<<right - 1
		threshold := mask>>1 + int32(uint32(h)>>31)
		v := h>>right + int32(uint32(threshold-h&mask)>>31) + zp
		out[i] = T(min(max(v, lo), hi))
	}
}

// requantize64 is requantize32 for int64 accumulators and bias (int16x8
// kernels with 64-bit bias); the output zero point is 0 for int16.
func requantize64(out []int16, acc []int64, bias []int64, mult []int32, shift []int, lo, hi int32) {
	n := len(out)
	acc, mult, shift = acc[:n], mult[:n], shift[:n]
	for i := range out {
		a := acc[i]
		if bias != nil {
			a += bias[i]
		}
		v := mulQuant64(a, mult[i], shift[i])
		out[i] = int16(min(max(v, lo), hi))
	}
}

// narrow32 truncates 64-bit accumulators to the wrapping int32 sums TFLite
// computes when it accumulates int16x8 products in int32 (int32 bias).
func narrow32(dst []int32, src []int64) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = int32(v)
	}
}

// biasActF32 adds an optional bias and clamps, the float epilogue.
func biasActF32(out, acc, bias []float32, lo, hi float32) {
	biasActF32On(bestPath(), out, acc, bias, lo, hi)
}
