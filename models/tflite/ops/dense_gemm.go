package ops

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
// in add) to a quantized output, as TFLite's per-channel integer kernels.
func requantize32[T ~int8 | ~uint8 | ~int16](out []T, acc, add []int32, mult []int32, shift []int, zp, lo, hi int32) {
	n := len(out)
	acc, add, mult, shift = acc[:n], add[:n], mult[:n], shift[:n]
	for i := range out {
		v := MultiplyByQuantizedMultiplier(acc[i]+add[i], mult[i], shift[i]) + zp
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
	n := len(out)
	acc = acc[:n]
	if bias != nil {
		bias = bias[:n]
		for i := range out {
			out[i] = min(max(acc[i]+bias[i], lo), hi)
		}
		return
	}
	for i := range out {
		out[i] = min(max(acc[i], lo), hi)
	}
}
