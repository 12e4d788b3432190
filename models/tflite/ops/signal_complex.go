package ops

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/axle-edge/axle/models"
)

// RFFT2D and the complex helpers around it (COMPLEX_ABS, REAL, IMAG).
//
// RFFT2D transforms the last two dimensions of a float32 tensor, cropped or
// zero-padded to fft_length = (H, W) (powers of two), into complex64
// [..., H, W/2+1]: X[k1,k2] = sum x[n1,n2] exp(-2πi(k1n1/H + k2n2/W)). The
// transform runs in float64, as TFLite's (Ooura's double precision rdft2d)
// does: first a real-input FFT along each row, then a complex FFT down each
// of the W/2+1 columns.

func addComplex(r *Resolver) {
	r.Builtin[OpRfft2d] = &Kernel{MaxVersion: 1, Prepare: rfft2dPrepare, Eval: rfft2dEval}
	for _, op := range []Op{OpComplexAbs, OpReal, OpImag} {
		r.Builtin[op] = &Kernel{MaxVersion: 1, Prepare: complexPartPrepare, Eval: complexPartEval}
	}
}

type rfft2dState struct {
	h, w       int // fft_length
	inH, inW   int // the input's last two dimensions
	batches    int
	row, col   []complex128 // a row of W; the H x (W/2+1) half spectrum
	colV       []complex128 // one column of H
	cosW, sinW []float64    // twiddles for length W
	cosH, sinH []float64    // and H
}

func rfft2dPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 2 || len(n.Outputs) != 1 {
		return n.Errorf("expects 2 inputs and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, lenT, out := c.Input(n, 0), c.Input(n, 1), c.Output(n, 0)
	if in == nil || lenT == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	if in.Type != models.Float32 {
		return n.Errorf("input type %s is not supported, want float32", in.Type)
	}
	if in.Dims() < 2 || in.Dims() > maxRank {
		return n.Errorf("input has shape %v, want 2 to %d dimensions", in.Shape, maxRank)
	}
	if lenT.Type != models.Int32 || lenT.Dims() != 1 || lenT.Shape[0] != 2 {
		return n.Errorf("fft_length must be an int32 vector of 2, got %s %v", lenT.Type, lenT.Shape)
	}
	if !lenT.Const {
		return n.Errorf("fft_length must be a constant tensor")
	}
	var buf [2]int
	fl, err := tensorInts(lenT, "fft_length", buf[:0])
	if err != nil {
		return n.Errorf("%v", err)
	}
	for i, v := range fl {
		if v < 1 || v > 1<<20 || v&(v-1) != 0 {
			return n.Errorf("fft_length[%d] is %d, must be a power of two up to 2^20", i, v)
		}
	}
	st := &rfft2dState{h: fl[0], w: fl[1]}
	r := in.Dims()
	st.inH, st.inW = in.Shape[r-2], in.Shape[r-1]
	if _, err := shapeElems(in.Shape, 4); err != nil {
		return n.Errorf("input: %v", err)
	}
	shape := append(append(make([]int, 0, r), in.Shape[:r-2]...), st.h, st.w/2+1)
	if _, err := shapeElems(shape, 8); err != nil {
		return n.Errorf("output: %v", err)
	}
	st.batches = 1
	for _, d := range in.Shape[:r-2] {
		st.batches *= d
	}
	cols := st.w/2 + 1
	for _, b := range []struct {
		dst *[]complex128
		n   int
	}{{&st.row, st.w}, {&st.col, st.h * cols}, {&st.colV, st.h}} {
		if *b.dst, err = allocComplex(c, b.n); err != nil {
			return n.Errorf("fft scratch: %v", err)
		}
	}
	if err := allocAll(c,
		slot(&st.cosW, st.w/2), slot(&st.sinW, st.w/2),
		slot(&st.cosH, st.h/2), slot(&st.sinH, st.h/2)); err != nil {
		return n.Errorf("fft twiddles: %v", err)
	}
	fftTwiddles(st.cosW, st.sinW, st.w)
	fftTwiddles(st.cosH, st.sinH, st.h)
	out.Type = models.Complex64
	n.State = st
	return c.Resize(out, shape)
}

// allocComplex returns n zeroed complex128 of kernel state from
// Context.Alloc.
func allocComplex(c Context, n int) ([]complex128, error) {
	size, ok := mulChecked(n, 16)
	if !ok {
		return nil, fmt.Errorf("scratch buffer of %d complex values is too large", n)
	}
	b, err := c.Alloc(size)
	if err != nil {
		return nil, err
	}
	return view[complex128](b)[:n], nil
}

// fftTwiddles fills cos and sin of -2πk/n for k < n/2.
func fftTwiddles(cs, sn []float64, n int) {
	for k := range cs {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		cs[k], sn[k] = c, s
	}
}

// fft is an in-place iterative radix-2 transform of len(x) (a power of
// two) with the twiddles of fftTwiddles.
func fft(x []complex128, cs, sn []float64) {
	n := len(x)
	if n < 2 {
		return
	}
	shift := 64 - bits.TrailingZeros(uint(n))
	for i := range x {
		if j := int(bits.Reverse64(uint64(i)) >> shift); j > i {
			x[i], x[j] = x[j], x[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				w := complex(cs[k*step], sn[k*step])
				a, b := x[start+k], x[start+k+half]*w
				x[start+k], x[start+k+half] = a+b, a-b
			}
		}
	}
}

func rfft2dEval(c Context, n *Node) error {
	st, ok := n.State.(*rfft2dState)
	if !ok {
		return n.Errorf("not prepared")
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	cols := st.w/2 + 1
	inPlane, outPlane := st.inH*st.inW, st.h*cols
	if len(in.F32()) < st.batches*inPlane || len(out.Data) < st.batches*outPlane*8 {
		return n.Errorf("tensor data too small for input %v and output %v", in.Shape, out.Shape)
	}
	src, dst := in.F32(), view[float32](out.Data)
	for b := 0; b < st.batches; b++ {
		x := src[b*inPlane : (b+1)*inPlane]
		// Rows: crop or zero-pad to W, transform, keep W/2+1 bins.
		for r := 0; r < st.h; r++ {
			for k := range st.row {
				v := 0.0
				if r < st.inH && k < st.inW {
					v = float64(x[r*st.inW+k])
				}
				st.row[k] = complex(v, 0)
			}
			fft(st.row, st.cosW, st.sinW)
			copy(st.col[r*cols:(r+1)*cols], st.row[:cols])
		}
		// Columns: each of the W/2+1 bins down the H rows.
		o := dst[b*outPlane*2 : (b+1)*outPlane*2]
		for k := 0; k < cols; k++ {
			v := st.colV
			for r := range v {
				v[r] = st.col[r*cols+k]
			}
			fft(v, st.cosH, st.sinH)
			for r, z := range v {
				o[2*(r*cols+k)] = float32(real(z))
				o[2*(r*cols+k)+1] = float32(imag(z))
			}
		}
	}
	return nil
}

func complexPartPrepare(c Context, n *Node) error {
	if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
		return n.Errorf("expects 1 input and 1 output, got %d and %d", len(n.Inputs), len(n.Outputs))
	}
	in, out := c.Input(n, 0), c.Output(n, 0)
	if in == nil || out == nil {
		return n.Errorf("missing input or output tensor")
	}
	// complex64 gives float32 parts, complex128 float64 ones, as in TFLite.
	switch in.Type {
	case models.Complex64:
		out.Type = models.Float32
	case models.Complex128:
		out.Type = models.Float64
	default:
		return n.Errorf("input type %s is not supported, want complex64 or complex128", in.Type)
	}
	if _, err := shapeElems(in.Shape, in.Type.Size()); err != nil {
		return n.Errorf("input: %v", err)
	}
	return c.Resize(out, in.Shape)
}

func complexPartEval(c Context, n *Node) error {
	in, out := c.Input(n, 0), c.Output(n, 0)
	k := in.NumElements()
	if in.Type == models.Complex128 {
		return complexPart128(n, k, view[float64](in.Data), view[float64](out.Data))
	}
	z, o := view[float32](in.Data), out.F32()
	if len(z) < 2*k || len(o) < k {
		return n.Errorf("tensor data too small for shape %v", in.Shape)
	}
	for i := range o[:k] {
		re, im := z[2*i], z[2*i+1]
		switch n.Op {
		case OpReal:
			o[i] = re
		case OpImag:
			o[i] = im
		default:
			o[i] = float32(math.Hypot(float64(re), float64(im)))
		}
	}
	return nil
}

// complexPart128 is complexPartEval for complex128 input and float64 output.
func complexPart128(n *Node, k int, z, o []float64) error {
	if len(z) < 2*k || len(o) < k {
		return n.Errorf("tensor data too small for %d complex128 elements", k)
	}
	for i := range o[:k] {
		re, im := z[2*i], z[2*i+1]
		switch n.Op {
		case OpReal:
			o[i] = re
		case OpImag:
			o[i] = im
		default:
			o[i] = math.Hypot(re, im)
		}
	}
	return nil
}
