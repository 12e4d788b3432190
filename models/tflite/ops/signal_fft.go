package ops

import (
	"math"
	"unsafe"

	"github.com/axle-edge/axle/models"
)

// SignalRfft: the real FFT of each (zero-padded) last-axis row, as TFLM
// computes it with KissFFT v130 (kiss_fftr over a half-length complex FFT),
// in the fixed-point int16 (Q15), int32 (Q31) or float32 build. The output
// row holds fft_length/2 + 1 complex values (re, im interleaved).
//
// The fixed-point builds scale by 1/radix in every butterfly (C_FIXDIV) and
// round every product (sround); sums wrap as the C code's stores into
// int16/int32 do. That arithmetic is reproduced exactly; the twiddles are
// floor(0.5 + SAMP_MAX*cos/sin(phase)) in float64, as KissFFT computes them.

type fftScalar interface{ ~int16 | ~int32 | ~float32 }

type cpx[T fftScalar] struct{ r, i T }

// fftArith is the scalar arithmetic of one KissFFT build.
type fftArith[T fftScalar] interface {
	// sMul is S_MUL (also C_MULBYSCALAR per component).
	sMul(a, b T) T
	// cMul is C_MUL.
	cMul(a, b cpx[T]) cpx[T]
	// fixDiv is C_FIXDIV (a no-op for float).
	fixDiv(c cpx[T], div int32) cpx[T]
	// halfSum and halfDiff are HALF_OF(a + b) and HALF_OF(a - b), with the
	// sum taken at C's promoted width.
	halfSum(a, b T) T
	halfDiff(a, b T) T
	// twiddle is kf_cexp for a phase.
	twiddle(phase float64) cpx[T]
}

// The three builds (the assertions also keep linters aware that the
// methods are used through the type parameter).
var (
	_ fftArith[int16]   = q15Arith{}
	_ fftArith[int32]   = q31Arith{}
	_ fftArith[float32] = f32Arith{}
)

// Q15 (FIXED_POINT 16).
type q15Arith struct{}

func sround15(x int32) int16 { return int16((x + 1<<14) >> 15) }

func (q15Arith) sMul(a, b int16) int16 { return sround15(int32(a) * int32(b)) }
func (q15Arith) cMul(a, b cpx[int16]) cpx[int16] {
	return cpx[int16]{
		r: sround15(int32(a.r)*int32(b.r) - int32(a.i)*int32(b.i)),
		i: sround15(int32(a.r)*int32(b.i) + int32(a.i)*int32(b.r)),
	}
}
func (q15Arith) fixDiv(c cpx[int16], div int32) cpx[int16] {
	k := math.MaxInt16 / div
	return cpx[int16]{r: sround15(int32(c.r) * k), i: sround15(int32(c.i) * k)}
}
func (q15Arith) halfSum(a, b int16) int16  { return int16((int32(a) + int32(b)) >> 1) }
func (q15Arith) halfDiff(a, b int16) int16 { return int16((int32(a) - int32(b)) >> 1) }
func (q15Arith) twiddle(phase float64) cpx[int16] {
	return cpx[int16]{
		r: int16(math.Floor(0.5 + math.MaxInt16*math.Cos(phase))),
		i: int16(math.Floor(0.5 + math.MaxInt16*math.Sin(phase))),
	}
}

// Q31 (FIXED_POINT 32).
type q31Arith struct{}

func sround31(x int64) int32 { return int32((x + 1<<30) >> 31) }

func (q31Arith) sMul(a, b int32) int32 { return sround31(int64(a) * int64(b)) }
func (q31Arith) cMul(a, b cpx[int32]) cpx[int32] {
	return cpx[int32]{
		r: sround31(int64(a.r)*int64(b.r) - int64(a.i)*int64(b.i)),
		i: sround31(int64(a.r)*int64(b.i) + int64(a.i)*int64(b.r)),
	}
}
func (q31Arith) fixDiv(c cpx[int32], div int32) cpx[int32] {
	k := int64(math.MaxInt32 / div)
	return cpx[int32]{r: sround31(int64(c.r) * k), i: sround31(int64(c.i) * k)}
}

// The int32 build adds in (wrapping) int before halving.
func (q31Arith) halfSum(a, b int32) int32  { return (a + b) >> 1 }
func (q31Arith) halfDiff(a, b int32) int32 { return (a - b) >> 1 }
func (q31Arith) twiddle(phase float64) cpx[int32] {
	return cpx[int32]{
		r: int32(math.Floor(0.5 + math.MaxInt32*math.Cos(phase))),
		i: int32(math.Floor(0.5 + math.MaxInt32*math.Sin(phase))),
	}
}

// float32 (TFLM's patched HALF_OF multiplies by a float 0.5). The explicit
// conversions keep Go from fusing multiply-adds, which the reference does
// not do either.
type f32Arith struct{}

func (f32Arith) sMul(a, b float32) float32 { return a * b }
func (f32Arith) cMul(a, b cpx[float32]) cpx[float32] {
	return cpx[float32]{
		r: float32(a.r*b.r) - float32(a.i*b.i),
		i: float32(a.r*b.i) + float32(a.i*b.r),
	}
}
func (f32Arith) fixDiv(c cpx[float32], _ int32) cpx[float32] { return c }
func (f32Arith) halfSum(a, b float32) float32                { return (a + b) * 0.5 }
func (f32Arith) halfDiff(a, b float32) float32               { return (a - b) * 0.5 }
func (f32Arith) twiddle(phase float64) cpx[float32] {
	return cpx[float32]{r: float32(math.Cos(phase)), i: float32(math.Sin(phase))}
}

// kissFactor is kf_factor: radix 4 first, then 2, then odd numbers up to
// floor(sqrt(n)), then the remainder; pairs (p, m) with m the length left.
func kissFactor(n int) []int {
	var f []int
	p := 4
	floorSqrt := int(math.Floor(math.Sqrt(float64(n))))
	for {
		for n%p != 0 {
			switch p {
			case 4:
				p = 2
			case 2:
				p = 3
			default:
				p += 2
			}
			if p > floorSqrt {
				p = n
			}
		}
		n /= p
		f = append(f, p, n)
		if n <= 1 {
			return f
		}
	}
}

// rfftPlan is a kiss_fftr state plus the kernel's scratch.
type rfftPlan[T fftScalar, A fftArith[T]] struct {
	ncfft    int // complex FFT length: fft_length / 2
	factors  []int
	tw       []cpx[T] // ncfft twiddles of the complex FFT
	superTw  []cpx[T] // ncfft/2 twiddles of the real-FFT split
	tmp      []cpx[T] // complex FFT output
	scratch  []cpx[T] // generic-radix butterfly, largest radix
	work     []T      // one zero-padded input row, fft_length
	workCpx  []cpx[T] // work seen as ncfft complex values
	arith    A
	maxRadix int
}

// newRfftPlan builds the plan in memory from alloc (Prepare only).
func newRfftPlan[T fftScalar, A fftArith[T]](fftLen int, alloc func(int) ([]byte, error)) (*rfftPlan[T, A], error) {
	p := &rfftPlan[T, A]{ncfft: fftLen / 2}
	p.factors = kissFactor(p.ncfft)
	for i := 0; i < len(p.factors); i += 2 {
		p.maxRadix = max(p.maxRadix, p.factors[i])
	}
	var z cpx[T]
	csize := int(unsafe.Sizeof(z))
	n := p.ncfft
	buf, err := alloc(csize*(n+n/2+n+p.maxRadix) + csize*n) // tw, superTw, tmp, scratch, work
	if err != nil {
		return nil, err
	}
	take := func(k int) []cpx[T] {
		s := view[cpx[T]](buf[:k*csize])
		buf = buf[k*csize:]
		return s[:k:k]
	}
	p.tw, p.superTw, p.tmp, p.scratch = take(n), take(n/2), take(n), take(p.maxRadix)
	wb := buf[:n*csize]
	p.workCpx = view[cpx[T]](wb)[:n:n]
	p.work = view[T](wb)[: 2*n : 2*n]
	for i := range p.tw {
		p.tw[i] = p.arith.twiddle(-2 * math.Pi * float64(i) / float64(n))
	}
	for i := range p.superTw {
		p.superTw[i] = p.arith.twiddle(-math.Pi * (float64(i+1)/float64(n) + 0.5))
	}
	return p, nil
}

// forward is kiss_fftr of p.work into out (ncfft+1 values).
func (p *rfftPlan[T, A]) forward(out []cpx[T]) {
	a := p.arith
	n := p.ncfft
	p.kfWork(p.tmp, p.workCpx, 1, p.factors)
	tdc := a.fixDiv(p.tmp[0], 2)
	out[0] = cpx[T]{r: tdc.r + tdc.i}
	out[n] = cpx[T]{r: tdc.r - tdc.i}
	for k := 1; k <= n/2; k++ {
		fpk := a.fixDiv(p.tmp[k], 2)
		fpnk := a.fixDiv(cpx[T]{r: p.tmp[n-k].r, i: -p.tmp[n-k].i}, 2)
		f1k := cpx[T]{r: fpk.r + fpnk.r, i: fpk.i + fpnk.i}
		f2k := cpx[T]{r: fpk.r - fpnk.r, i: fpk.i - fpnk.i}
		tw := a.cMul(f2k, p.superTw[k-1])
		out[k] = cpx[T]{r: a.halfSum(f1k.r, tw.r), i: a.halfSum(f1k.i, tw.i)}
		out[n-k] = cpx[T]{r: a.halfDiff(f1k.r, tw.r), i: a.halfDiff(tw.i, f1k.i)}
	}
}

// kfWork is kf_work (in_stride 1): a decimation-in-time mixed-radix FFT of
// f (read with stride fstride) into out.
func (p *rfftPlan[T, A]) kfWork(out, f []cpx[T], fstride int, factors []int) {
	radix, m := factors[0], factors[1]
	if m == 1 {
		for j := 0; j < radix; j++ {
			out[j] = f[j*fstride]
		}
	} else {
		for j := 0; j < radix; j++ {
			p.kfWork(out[j*m:], f[j*fstride:], fstride*radix, factors[2:])
		}
	}
	switch radix {
	case 2:
		p.bfly2(out, fstride, m)
	case 3:
		p.bfly3(out, fstride, m)
	case 4:
		p.bfly4(out, fstride, m)
	case 5:
		p.bfly5(out, fstride, m)
	default:
		p.bflyGeneric(out, fstride, m, radix)
	}
}

func cadd[T fftScalar](a, b cpx[T]) cpx[T] { return cpx[T]{r: a.r + b.r, i: a.i + b.i} }
func csub[T fftScalar](a, b cpx[T]) cpx[T] { return cpx[T]{r: a.r - b.r, i: a.i - b.i} }

func (p *rfftPlan[T, A]) bfly2(f []cpx[T], fstride, m int) {
	a := p.arith
	for k := 0; k < m; k++ {
		x0 := a.fixDiv(f[k], 2)
		x1 := a.fixDiv(f[k+m], 2)
		t := a.cMul(x1, p.tw[k*fstride])
		f[k+m] = csub(x0, t)
		f[k] = cadd(x0, t)
	}
}

func (p *rfftPlan[T, A]) bfly4(f []cpx[T], fstride, m int) {
	a := p.arith
	for k := 0; k < m; k++ {
		x0 := a.fixDiv(f[k], 4)
		x1 := a.fixDiv(f[k+m], 4)
		x2 := a.fixDiv(f[k+2*m], 4)
		x3 := a.fixDiv(f[k+3*m], 4)
		s0 := a.cMul(x1, p.tw[k*fstride])
		s1 := a.cMul(x2, p.tw[2*k*fstride])
		s2 := a.cMul(x3, p.tw[3*k*fstride])
		s5 := csub(x0, s1)
		x0 = cadd(x0, s1)
		s3 := cadd(s0, s2)
		s4 := csub(s0, s2)
		f[k+2*m] = csub(x0, s3)
		f[k] = cadd(x0, s3)
		f[k+m] = cpx[T]{r: s5.r + s4.i, i: s5.i - s4.r}
		f[k+3*m] = cpx[T]{r: s5.r - s4.i, i: s5.i + s4.r}
	}
}

func (p *rfftPlan[T, A]) bfly3(f []cpx[T], fstride, m int) {
	a := p.arith
	var zero T
	epi3 := p.tw[fstride*m]
	for k := 0; k < m; k++ {
		x0 := a.fixDiv(f[k], 3)
		x1 := a.fixDiv(f[k+m], 3)
		x2 := a.fixDiv(f[k+2*m], 3)
		s1 := a.cMul(x1, p.tw[k*fstride])
		s2 := a.cMul(x2, p.tw[2*k*fstride])
		s3 := cadd(s1, s2)
		s0 := csub(s1, s2)
		y1 := cpx[T]{r: x0.r - a.halfSum(s3.r, zero), i: x0.i - a.halfSum(s3.i, zero)}
		s0 = cpx[T]{r: a.sMul(s0.r, epi3.i), i: a.sMul(s0.i, epi3.i)}
		f[k] = cadd(x0, s3)
		f[k+2*m] = cpx[T]{r: y1.r + s0.i, i: y1.i - s0.r}
		f[k+m] = cpx[T]{r: y1.r - s0.i, i: y1.i + s0.r}
	}
}

func (p *rfftPlan[T, A]) bfly5(f []cpx[T], fstride, m int) {
	a := p.arith
	ya, yb := p.tw[fstride*m], p.tw[fstride*2*m]
	for u := 0; u < m; u++ {
		x0 := a.fixDiv(f[u], 5)
		x1 := a.fixDiv(f[u+m], 5)
		x2 := a.fixDiv(f[u+2*m], 5)
		x3 := a.fixDiv(f[u+3*m], 5)
		x4 := a.fixDiv(f[u+4*m], 5)
		s0 := x0
		s1 := a.cMul(x1, p.tw[u*fstride])
		s2 := a.cMul(x2, p.tw[2*u*fstride])
		s3 := a.cMul(x3, p.tw[3*u*fstride])
		s4 := a.cMul(x4, p.tw[4*u*fstride])
		s7, s10 := cadd(s1, s4), csub(s1, s4)
		s8, s9 := cadd(s2, s3), csub(s2, s3)
		f[u] = cpx[T]{r: x0.r + (s7.r + s8.r), i: x0.i + (s7.i + s8.i)}
		s5 := cpx[T]{
			r: s0.r + a.sMul(s7.r, ya.r) + a.sMul(s8.r, yb.r),
			i: s0.i + a.sMul(s7.i, ya.r) + a.sMul(s8.i, yb.r),
		}
		s6 := cpx[T]{
			r: a.sMul(s10.i, ya.i) + a.sMul(s9.i, yb.i),
			i: -a.sMul(s10.r, ya.i) - a.sMul(s9.r, yb.i),
		}
		f[u+m] = csub(s5, s6)
		f[u+4*m] = cadd(s5, s6)
		s11 := cpx[T]{
			r: s0.r + a.sMul(s7.r, yb.r) + a.sMul(s8.r, ya.r),
			i: s0.i + a.sMul(s7.i, yb.r) + a.sMul(s8.i, ya.r),
		}
		s12 := cpx[T]{
			r: -a.sMul(s10.i, yb.i) + a.sMul(s9.i, ya.i),
			i: a.sMul(s10.r, yb.i) - a.sMul(s9.r, ya.i),
		}
		f[u+2*m] = cadd(s11, s12)
		f[u+3*m] = csub(s11, s12)
	}
}

func (p *rfftPlan[T, A]) bflyGeneric(f []cpx[T], fstride, m, radix int) {
	a := p.arith
	n := p.ncfft
	sc := p.scratch[:radix]
	for u := 0; u < m; u++ {
		for q, k := 0, u; q < radix; q, k = q+1, k+m {
			sc[q] = a.fixDiv(f[k], int32(radix))
		}
		for q1, k := 0, u; q1 < radix; q1, k = q1+1, k+m {
			twidx := 0
			acc := sc[0]
			for q := 1; q < radix; q++ {
				twidx += fstride * k
				if twidx >= n {
					twidx -= n
				}
				acc = cadd(acc, a.cMul(sc[q], p.tw[twidx]))
			}
			f[k] = acc
		}
	}
}

// rows runs the plan over each of the rows: copy, zero-pad, transform.
func (p *rfftPlan[T, A]) rows(in []T, rows, inLen int, out []cpx[T]) {
	outLen := p.ncfft + 1
	for r := 0; r < rows; r++ {
		copy(p.work, in[r*inLen:(r+1)*inLen])
		clear(p.work[inLen:])
		p.forward(out[r*outLen : (r+1)*outLen])
	}
}

// ---- the kernel

type rfftKernel struct {
	rows, inLen int
	eval        func(in, out *Tensor)
}

// Largest fft_length accepted (the plan's memory is also budgeted).
const maxRfftLength = 1 << 24

func rfftPrepare(c Context, n *Node) error {
	ins, outs, err := signalIO(c, n, 1, 1)
	if err != nil {
		return err
	}
	in, out := ins[0], outs[0]
	o, err := readSignalOptions(n)
	if err != nil {
		return err
	}
	fftLen, err := o.int("fft_length", 2, maxRfftLength)
	if err != nil {
		return err
	}
	if fftLen%2 != 0 {
		return n.Errorf("fft_length %d is odd", fftLen)
	}
	if v, ok, err := o.m.Get("T"); err != nil {
		return n.Errorf("custom option \"T\": %v", err)
	} else if ok && !v.IsNull() {
		t, err := o.int("T", math.MinInt8, math.MaxInt8)
		if err != nil {
			return err
		}
		want := map[int64]models.DType{0: models.Float32, 2: models.Int32, 7: models.Int16}[t]
		if want == models.Unknown {
			return n.Errorf("custom option \"T\" is tensor type %d; want FLOAT32, INT32 or INT16", t)
		}
		if in.Type != want {
			return n.Errorf("input %q is %s but option T says %s", in.Name, in.Type, want)
		}
	}
	if in.Type != models.Int16 && in.Type != models.Int32 && in.Type != models.Float32 {
		return n.Errorf("input %q is %s, want int16, int32 or float32", in.Name, in.Type)
	}
	if err := signalCheck(n, "input", in, in.Type, -1); err != nil {
		return err
	}
	if err := signalCheck(n, "output", out, in.Type, in.Dims()); err != nil {
		return err
	}
	inLen := in.Shape[in.Dims()-1]
	if inLen > int(fftLen) {
		return n.Errorf("input rows of %d samples are longer than fft_length %d", inLen, fftLen)
	}
	shape := append(append([]int(nil), in.Shape[:in.Dims()-1]...), int(fftLen)+2)
	if err := signalResize(c, n, out, shape); err != nil {
		return err
	}
	k := &rfftKernel{rows: 1, inLen: inLen}
	for _, d := range in.Shape[:in.Dims()-1] {
		k.rows *= d
	}
	alloc := func(b int) ([]byte, error) { return c.Alloc(b) }
	switch in.Type {
	case models.Int16:
		p, err := newRfftPlan[int16, q15Arith](int(fftLen), alloc)
		if err != nil {
			return n.Errorf("fft state: %v", err)
		}
		k.eval = func(in, out *Tensor) { p.rows(in.I16(), k.rows, k.inLen, view[cpx[int16]](out.Data)) }
	case models.Int32:
		p, err := newRfftPlan[int32, q31Arith](int(fftLen), alloc)
		if err != nil {
			return n.Errorf("fft state: %v", err)
		}
		k.eval = func(in, out *Tensor) { p.rows(in.I32(), k.rows, k.inLen, view[cpx[int32]](out.Data)) }
	default:
		p, err := newRfftPlan[float32, f32Arith](int(fftLen), alloc)
		if err != nil {
			return n.Errorf("fft state: %v", err)
		}
		k.eval = func(in, out *Tensor) { p.rows(in.F32(), k.rows, k.inLen, view[cpx[float32]](out.Data)) }
	}
	n.State = k
	return nil
}

func rfftEval(c Context, n *Node) error {
	k, ok := n.State.(*rfftKernel)
	if !ok {
		return n.Errorf("not prepared")
	}
	k.eval(c.Input(n, 0), c.Output(n, 0))
	return nil
}
