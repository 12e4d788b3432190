package ops_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// refBMM multiplies with broadcast batch dimensions: f combines one L and
// one R element (after subtracting zero points) and the sums are returned
// per output element with the output shape.
func refBMM(l, r []float64, ls, rs []int, adjX, adjY bool) ([]float64, []int) {
	rank := max(len(ls), len(rs))
	ext := func(s []int) []int {
		e := make([]int, rank)
		for i := range e {
			e[i] = 1
		}
		copy(e[rank-len(s):], s)
		return e
	}
	le, re := ext(ls), ext(rs)
	m, k := le[rank-2], le[rank-1]
	if adjX {
		m, k = k, m
	}
	n := re[rank-1]
	if adjY {
		n = re[rank-2]
	}
	out := make([]int, rank)
	for i := 0; i < rank-2; i++ {
		out[i] = max(le[i], re[i])
	}
	out[rank-2], out[rank-1] = m, n
	nb := 1
	for _, d := range out[:rank-2] {
		nb *= d
	}
	res := make([]float64, nb*m*n)
	for ob := 0; ob < nb; ob++ {
		// Batch index of each input: broadcast dimensions read index 0.
		rem, lb, rb := ob, 0, 0
		lstride, rstride := 1, 1
		for d := rank - 3; d >= 0; d-- {
			c := rem % out[d]
			rem /= out[d]
			if le[d] != 1 {
				lb += c * lstride
			}
			if re[d] != 1 {
				rb += c * rstride
			}
			lstride *= le[d]
			rstride *= re[d]
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				s := 0.0
				for kk := 0; kk < k; kk++ {
					li := lb*m*k + i*k + kk
					if adjX {
						li = lb*m*k + kk*m + i
					}
					ri := rb*k*n + kk*n + j
					if adjY {
						ri = rb*k*n + j*k + kk
					}
					s += l[li] * r[ri]
				}
				res[(ob*m+i)*n+j] = s
			}
		}
	}
	return res, out
}

func bmmOpts(adjX, adjY, asym bool) build.Options {
	return bOpts(build.OptBatchMatMul, 0, adjX, 1, adjY, 2, asym)
}

func TestBatchMatMulFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	shapes := []struct{ l, r []int }{
		{[]int{2, 3}, []int{3, 4}},
		{[]int{2, 5, 3}, []int{2, 3, 4}},
		{[]int{2, 1, 5, 3}, []int{1, 3, 3, 4}},
		{[]int{4, 3}, []int{2, 2, 3, 6}},
		{[]int{2, 2, 1, 2, 3}, []int{2, 1, 3, 3, 2}},
	}
	for _, sh := range shapes {
		for _, adj := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, constR := range []bool{true, false} {
				ls, rs := append([]int(nil), sh.l...), append([]int(nil), sh.r...)
				if adj[0] {
					ls[len(ls)-1], ls[len(ls)-2] = ls[len(ls)-2], ls[len(ls)-1]
				}
				if adj[1] {
					rs[len(rs)-1], rs[len(rs)-2] = rs[len(rs)-2], rs[len(rs)-1]
				}
				name := fmt.Sprintf("%v_%v_adj%v_const%v", ls, rs, adj, constR)
				t.Run(name, func(t *testing.T) {
					l, rv := bRandF(r, numelB(ls), 2), bRandF(r, numelB(rs), 2)
					want, outShape := refBMM(l, rv, ls, rs, adj[0], adj[1])
					o := &bOp{op: ops.OpBatchMatmul, opts: bmmOpts(adj[0], adj[1], false),
						ins: []*bT{bIn(models.Float32, ls, nil, l), {dt: models.Float32, shape: rs, vals: rv, konst: constR}},
						out: &bT{dt: models.Float32, shape: outShape}}
					got := o.mustRun(t, outShape)
					bClose(t, name, got, want, 1e-5, 1e-5)
				})
			}
		}
	}
}

func numelB(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func TestBatchMatMulQuantized(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	ls, rs := []int{2, 3, 5}, []int{1, 5, 4}
	f := func(v float64) float64 { return float64(float32(v)) }
	t.Run("int8", func(t *testing.T) {
		ql, qr := bRandQ(r, 30, -128, 127), bRandQ(r, 20, -128, 127)
		sl, zl, sr, zr, so, zo := 0.05, 7.0, 0.03, -4.0, 0.2, 3.0
		sub := func(v []float64, z float64) []float64 {
			o := make([]float64, len(v))
			for i, x := range v {
				o[i] = x - z
			}
			return o
		}
		acc, shape := refBMM(sub(ql, zl), sub(qr, zr), ls, rs, false, false)
		m := bF32Prod(sl, sr) / f(so)
		exact := make([]float64, len(acc))
		for i, a := range acc {
			exact[i] = math.Min(math.Max(float64(bMulQ(int64(a), m))+zo, -128), 127)
		}
		o := &bOp{op: ops.OpBatchMatmul, opts: bmmOpts(false, false, false),
			ins: []*bT{bIn(models.Int8, ls, bQ(sl, int64(zl)), ql), bConst(models.Int8, rs, bQ(sr, int64(zr)), qr)},
			out: &bT{dt: models.Int8, shape: shape, q: bQ(so, int64(zo))}}
		got := o.mustRun(t, shape)
		bClose(t, "int8 exact", got, exact, 0, 0)
		reals := make([]float64, len(acc))
		for i, a := range acc {
			reals[i] = a * sl * sr
		}
		bClose(t, "int8 vs reals", got, bQuantize(reals, so, zo, -128, 127), 1, 0)
	})
	t.Run("int8_to_int32", func(t *testing.T) {
		ql, qr := bRandQ(r, 30, -128, 127), bRandQ(r, 20, -128, 127)
		rs2 := []int{1, 4, 5}
		raw, shape := refBMM(ql, qr, ls, rs2, false, true)
		o := &bOp{op: ops.OpBatchMatmul, opts: bmmOpts(false, true, false),
			ins: []*bT{bIn(models.Int8, ls, bQ(0.1, 3), ql), bIn(models.Int8, rs2, bQ(0.1, -2), qr)},
			out: &bT{dt: models.Int32, shape: shape, q: bQ(0.01, 0)}}
		got := o.mustRun(t, shape)
		// TFLite's int8 x int8 -> int32 path multiplies the raw values.
		bClose(t, "int8->int32", got, raw, 0, 0)
	})
	t.Run("int16", func(t *testing.T) {
		for _, rdt := range []models.DType{models.Int16, models.Int8} {
			ql := bRandQ(r, 30, -32768, 32767)
			lo, hi := bRange(rdt)
			qr := bRandQ(r, 20, lo, hi)
			sl, sr, so := 0.0002, 0.0001, 0.004
			if rdt == models.Int8 {
				sr = 0.01
			}
			lsT := []int{2, 5, 3}
			acc, shape := refBMM(ql, qr, lsT, rs, true, false)
			m := bF32Prod(sl, sr) / f(so)
			exact := make([]float64, len(acc))
			for i, a := range acc {
				exact[i] = math.Min(math.Max(float64(bMulQ64(int64(a), m)), -32768), 32767)
			}
			o := &bOp{op: ops.OpBatchMatmul, opts: bmmOpts(true, false, false),
				ins: []*bT{bIn(models.Int16, lsT, bQ(sl, 0), ql), bConst(rdt, rs, bQ(sr, 0), qr)},
				out: &bT{dt: models.Int16, shape: shape, q: bQ(so, 0)}}
			got := o.mustRun(t, shape)
			bClose(t, "int16 exact", got, exact, 0, 0)
		}
	})
	t.Run("hybrid", func(t *testing.T) {
		for _, asym := range []bool{false, true} {
			for _, pc := range []bool{false, true} {
				l := bRandF(r, 30, 2)
				qr := bRandQ(r, 20, -127, 127)
				scales := []float64{0.01, 0.02, 0.015, 0.005}
				q := bQ(0.01, 0)
				if pc {
					q = bQC(scales, 2)
				} else {
					scales = []float64{0.01, 0.01, 0.01, 0.01}
				}
				w := make([]float64, len(qr))
				for i, v := range qr {
					w[i] = v * float64(float32(scales[i%4]))
				}
				want, shape := refBMM(l, w, ls, rs, false, false)
				o := &bOp{op: ops.OpBatchMatmul, version: 4, opts: bmmOpts(false, false, asym),
					ins: []*bT{bIn(models.Float32, ls, nil, l), bConst(models.Int8, rs, q, qr)},
					out: &bT{dt: models.Float32, shape: shape}}
				got := o.mustRun(t, shape)
				// Each row of L is quantized to 8 bits: a few steps of error.
				bClose(t, fmt.Sprintf("hybrid asym %v pc %v", asym, pc), got, want, 0.05, 0.02)
			}
		}
	})
}

func TestBatchMatMulErrors(t *testing.T) {
	f := models.Float32
	o := &bOp{op: ops.OpBatchMatmul, ins: []*bT{bIn(f, []int{2, 3}, nil, make([]float64, 6)), bConst(f, []int{4, 5}, nil, make([]float64, 20))},
		out: &bT{dt: f, shape: []int{2, 5}}}
	o.wantError(t, "BATCH_MATMUL", "inner dimensions differ: 3 (lhs) and 4 (rhs)")
	o.ins[0] = bIn(f, []int{2, 2, 4}, nil, make([]float64, 16))
	o.ins[1] = bConst(f, []int{3, 4, 5}, nil, make([]float64, 60))
	o.wantError(t, "do not broadcast")
	o.ins[0] = bIn(f, []int{4}, nil, make([]float64, 4))
	o.wantError(t, "rank 2 to 5")
}

// TestBatchMatMulDeep runs the integer kinds at depths past the vector
// steps of gemmRowI8 and gemmRow16 (with tails), R constant or not, stored
// [K][N] or [N][K], with zero points on both int8 sides: exact results.
func TestBatchMatMulDeep(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	f := func(v float64) float64 { return float64(float32(v)) }
	const m, k, nc = 3, 53, 6
	ls := []int{2, m, k}
	for _, adjY := range []bool{false, true} {
		rs := []int{1, k, nc}
		if adjY {
			rs = []int{1, nc, k}
		}
		for _, konst := range []bool{true, false} {
			rIn := bIn
			if konst {
				rIn = bConst
			}
			name := fmt.Sprintf("adjY%v_const%v", adjY, konst)
			t.Run("int8_"+name, func(t *testing.T) {
				ql, qr := bRandQ(r, 2*m*k, -128, 127), bRandQ(r, k*nc, -128, 127)
				ql[0], qr[0] = -128, -128
				sl, zl, sr, zr, so, zo := 0.05, 7.0, 0.03, -4.0, 2.0, 3.0
				sub := func(v []float64, z float64) []float64 {
					o := make([]float64, len(v))
					for i, x := range v {
						o[i] = x - z
					}
					return o
				}
				acc, shape := refBMM(sub(ql, zl), sub(qr, zr), ls, rs, false, adjY)
				mult := bF32Prod(sl, sr) / f(so)
				exact := make([]float64, len(acc))
				for i, a := range acc {
					exact[i] = math.Min(math.Max(float64(bMulQ(int64(a), mult))+zo, -128), 127)
				}
				o := &bOp{op: ops.OpBatchMatmul, opts: bmmOpts(false, adjY, false),
					ins: []*bT{bIn(models.Int8, ls, bQ(sl, int64(zl)), ql), rIn(models.Int8, rs, bQ(sr, int64(zr)), qr)},
					out: &bT{dt: models.Int8, shape: shape, q: bQ(so, int64(zo))}}
				bClose(t, "int8 exact", o.mustRun(t, shape), exact, 0, 0)
			})
			t.Run("int8_to_int32_"+name, func(t *testing.T) {
				ql, qr := bRandQ(r, 2*m*k, -128, 127), bRandQ(r, k*nc, -128, 127)
				raw, shape := refBMM(ql, qr, ls, rs, false, adjY)
				o := &bOp{op: ops.OpBatchMatmul, opts: bmmOpts(false, adjY, false),
					ins: []*bT{bIn(models.Int8, ls, bQ(0.1, 3), ql), rIn(models.Int8, rs, bQ(0.1, -2), qr)},
					out: &bT{dt: models.Int32, shape: shape, q: bQ(0.01, 0)}}
				bClose(t, "int8->int32", o.mustRun(t, shape), raw, 0, 0)
			})
			t.Run("hybrid_"+name, func(t *testing.T) {
				l, qr := bRandF(r, 2*m*k, 2), bRandQ(r, k*nc, -127, 127)
				w := make([]float64, len(qr))
				for i, v := range qr {
					w[i] = v * float64(float32(0.01))
				}
				want, shape := refBMM(l, w, ls, rs, false, adjY)
				o := &bOp{op: ops.OpBatchMatmul, version: 4, opts: bmmOpts(false, adjY, true),
					ins: []*bT{bIn(models.Float32, ls, nil, l), rIn(models.Int8, rs, bQ(0.01, 0), qr)},
					out: &bT{dt: models.Float32, shape: shape}}
				bClose(t, "hybrid", o.mustRun(t, shape), want, 0.1, 0.02)
			})
			// int8 R, small int16 R (vector path) and full int16 R
			// (portable: products too large for int32 chunks).
			for _, w := range []struct {
				dt     models.DType
				lo, hi float64
			}{{models.Int8, -128, 127}, {models.Int16, -2000, 2000}, {models.Int16, -32768, 32767}} {
				t.Run(fmt.Sprintf("int16_%s_%v_%s", w.dt, w.hi, name), func(t *testing.T) {
					ql, qr := bRandQ(r, 2*m*k, -32768, 32767), bRandQ(r, k*nc, w.lo, w.hi)
					for i := range k {
						ql[i] = -32768
					}
					sl, sr, so := 0.0002, 0.0001, 0.05
					acc, shape := refBMM(ql, qr, ls, rs, false, adjY)
					mult := bF32Prod(sl, sr) / f(so)
					exact := make([]float64, len(acc))
					for i, a := range acc {
						exact[i] = math.Min(math.Max(float64(bMulQ64(int64(a), mult)), -32768), 32767)
					}
					o := &bOp{op: ops.OpBatchMatmul, opts: bmmOpts(false, adjY, false),
						ins: []*bT{bIn(models.Int16, ls, bQ(sl, 0), ql), rIn(w.dt, rs, bQ(sr, 0), qr)},
						out: &bT{dt: models.Int16, shape: shape, q: bQ(so, 0)}}
					bClose(t, "int16 exact", o.mustRun(t, shape), exact, 0, 0)
				})
			}
		}
	}
}
