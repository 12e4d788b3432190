package ops_test

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/axle-edge/axle/models"
	"github.com/axle-edge/axle/models/build"
	"github.com/axle-edge/axle/models/tflite/ops"
)

// refReduce groups the input elements by their output position (the index
// with reduced axes dropped) and applies agg to each group.
func refReduce(x []float64, shape, axes []int, keep bool, agg func([]float64) float64) ([]float64, []int) {
	red := make([]bool, len(shape))
	for _, a := range axes {
		if a < 0 {
			a += len(shape)
		}
		red[a] = true
	}
	var outShape, kept []int
	for d, s := range shape {
		switch {
		case !red[d]:
			outShape, kept = append(outShape, s), append(kept, s)
		case keep:
			outShape = append(outShape, 1)
		}
	}
	nOut := numelB(kept)
	groups := make([][]float64, nOut)
	for i, v := range x {
		rem, o := i, 0
		idx := make([]int, len(shape))
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d] = rem % shape[d]
			rem /= shape[d]
		}
		for d := range shape {
			if !red[d] {
				o = o*shape[d] + idx[d]
			}
		}
		groups[o] = append(groups[o], v)
	}
	out := make([]float64, nOut)
	for i, g := range groups {
		out[i] = agg(g)
	}
	if outShape == nil {
		outShape = []int{}
	}
	return out, outShape
}

func aggSum(g []float64) float64 {
	s := 0.0
	for _, v := range g {
		s += v
	}
	return s
}

func aggMean(g []float64) float64 { return aggSum(g) / float64(len(g)) }

func aggMax(g []float64) float64 {
	m := math.Inf(-1)
	for _, v := range g {
		m = math.Max(m, v)
	}
	return m
}

func aggMin(g []float64) float64 {
	m := math.Inf(1)
	for _, v := range g {
		m = math.Min(m, v)
	}
	return m
}

var reduceCases = []struct {
	shape []int
	axes  []int
}{
	{[]int{6}, []int{0}},
	{[]int{3, 4}, []int{1}},
	{[]int{3, 4}, []int{0}},
	{[]int{2, 3, 4}, []int{0, 2}},
	{[]int{2, 3, 4}, []int{-1, 1}},
	{[]int{2, 3, 4}, []int{1, 1, -2}},
	{[]int{2, 5, 4, 3}, []int{1, 2}},
	{[]int{2, 1, 4, 3}, []int{2, 1}},
	{[]int{2, 3, 1, 5}, []int{0, 1, 2, 3}},
	{[]int{3, 4}, []int{}},
	{[]int{1, 1, 7, 1}, []int{2}},
}

func reduceModel(op ops.Op, dt models.DType, shape, axes []int, keep bool, q, oq *models.Quant, x []float64, outShape []int, axisInput bool) *bOp {
	av := make([]float64, len(axes))
	for i, a := range axes {
		av[i] = float64(a)
	}
	axis := bConst(models.Int32, []int{len(axes)}, nil, av)
	if axisInput {
		axis = bIn(models.Int32, []int{len(axes)}, nil, av)
	}
	return &bOp{op: op, version: 2, opts: bOpts(build.OptReducer, 0, keep),
		ins: []*bT{bIn(dt, shape, q, x), axis}, out: &bT{dt: dt, shape: outShape, q: oq}}
}

func TestReduceFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	aggs := map[ops.Op]func([]float64) float64{ops.OpMean: aggMean, ops.OpSum: aggSum, ops.OpReduceMax: aggMax, ops.OpReduceMin: aggMin}
	for ci, c := range reduceCases {
		for _, op := range []ops.Op{ops.OpMean, ops.OpSum, ops.OpReduceMax, ops.OpReduceMin} {
			for _, keep := range []bool{false, true} {
				name := fmt.Sprintf("%s_%v_%v_keep%v", op, c.shape, c.axes, keep)
				t.Run(name, func(t *testing.T) {
					x := bRandF(r, numelB(c.shape), 4)
					want, shape := refReduce(x, c.shape, c.axes, keep, aggs[op])
					o := reduceModel(op, models.Float32, c.shape, c.axes, keep, nil, nil, x, shape, ci%4 == 3)
					bClose(t, name, o.mustRun(t, shape), want, 1e-5, 1e-5)
				})
			}
		}
	}
}

func TestReduceInt(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	for _, dt := range []models.DType{models.Int32, models.Int64} {
		for _, c := range reduceCases[:8] {
			for _, op := range []ops.Op{ops.OpMean, ops.OpSum, ops.OpReduceMax, ops.OpReduceMin} {
				name := fmt.Sprintf("%s_%s_%v_%v", dt, op, c.shape, c.axes)
				t.Run(name, func(t *testing.T) {
					x := bRandQ(r, numelB(c.shape), -100000, 100000)
					agg := map[ops.Op]func([]float64) float64{ops.OpSum: aggSum, ops.OpReduceMax: aggMax, ops.OpReduceMin: aggMin,
						ops.OpMean: func(g []float64) float64 { return math.Trunc(aggSum(g) / float64(len(g))) }}[op]
					want, shape := refReduce(x, c.shape, c.axes, true, agg)
					o := reduceModel(op, dt, c.shape, c.axes, true, nil, nil, x, shape, false)
					bClose(t, name, o.mustRun(t, shape), want, 0, 0)
				})
			}
		}
	}
}

// tfliteMeanQ is TFLite's reference quantized MEAN for one group: the
// integer sum minus zero points, scaled by a multiplier that folds in
// 1/count with as many bits as the shift allows.
func tfliteMeanQ(g []float64, sx, zx, so, zo, lo, hi float64) float64 {
	q, shift := ops.QuantizeMultiplier(float64(float32(sx)) / float64(float32(so)))
	n := int64(len(g))
	sh := min(63-bits.LeadingZeros64(uint64(n)), 32, 31+shift)
	m := int32((int64(q) << sh) / n)
	var s int64
	for _, v := range g {
		s += int64(v)
	}
	acc := int32(s - int64(zx)*n)
	// bMulQ takes a real multiplier; reproduce the integer one exactly.
	v := mulQInt(acc, m, shift-sh) + int64(zo)
	return math.Min(math.Max(float64(v), lo), hi)
}

// mulQInt is MultiplyByQuantizedMultiplier for an already encoded
// multiplier.
func mulQInt(x, q int32, shift int) int64 {
	left, right := max(shift, 0), max(-shift, 0)
	x = int32(int64(x) << left)
	ab := int64(x) * int64(q)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - 1<<30
	}
	hi := (ab + nudge) / (1 << 31)
	mask := int64(1)<<right - 1
	th := mask >> 1
	if hi < 0 {
		th++
	}
	r := hi >> right
	if hi&mask > th {
		r++
	}
	return r
}

func TestReduceQuantized(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	f := func(v float64) float64 { return float64(float32(v)) }
	for _, dt := range []models.DType{models.Int8, models.UInt8, models.Int16} {
		lo, hi := bRange(dt)
		sx, zx, so, zo := 0.07, math.Round((lo+hi)/2)-17, 0.05, math.Round((lo+hi)/2)+9
		if dt == models.Int16 {
			sx, zx, so, zo = 0.0007, 0, 0.0005, 0
		}
		for _, c := range reduceCases[:9] {
			for _, op := range []ops.Op{ops.OpMean, ops.OpSum, ops.OpReduceMax, ops.OpReduceMin} {
				name := fmt.Sprintf("%s_%s_%v_%v", dt, op, c.shape, c.axes)
				t.Run(name, func(t *testing.T) {
					x := bRandQ(r, numelB(c.shape), lo, hi)
					osx, ozp := so, zo
					if op == ops.OpReduceMax || op == ops.OpReduceMin {
						osx, ozp = sx, zx
					}
					fast := op == ops.OpMean && dt != models.Int16 && len(c.shape) == 4 && fmt.Sprint(c.axes) == fmt.Sprint([]int{1, 2}) ||
						op == ops.OpMean && dt != models.Int16 && len(c.shape) == 4 && fmt.Sprint(c.axes) == fmt.Sprint([]int{2, 1})
					var exact []float64
					var shape []int
					switch op {
					case ops.OpMean:
						exact, shape = refReduce(x, c.shape, c.axes, true, func(g []float64) float64 {
							if fast {
								// TFLite's optimized 4-D mean: float-derived
								// multiplier and bias on the raw sum.
								num := float32(len(g))
								tmp := float32(zx) * float32(sx) / float32(so)
								if tmp > 0 {
									tmp += 0.5
								} else {
									tmp -= 0.5
								}
								bias := int64(zo) - int64(int32(tmp))
								m, s := ops.QuantizeMultiplier(float64(float32(sx) / (num * float32(so))))
								var sum int64
								for _, v := range g {
									sum += int64(v)
								}
								return math.Min(math.Max(float64(mulQInt(int32(sum), m, s)+bias), lo), hi)
							}
							return tfliteMeanQ(g, sx, zx, so, zo, lo, hi)
						})
					case ops.OpSum:
						exact, shape = refReduce(x, c.shape, c.axes, true, func(g []float64) float64 {
							scale := float32(sx) / float32(so)
							bias := float32(-zx) * scale * float32(len(g))
							v := float64(float32(aggSum(g))*scale + bias)
							return math.Min(math.Max(math.Round(v)+zo, lo), hi)
						})
					case ops.OpReduceMax:
						exact, shape = refReduce(x, c.shape, c.axes, true, aggMax)
					case ops.OpReduceMin:
						exact, shape = refReduce(x, c.shape, c.axes, true, aggMin)
					}
					o := reduceModel(op, dt, c.shape, c.axes, true, bQ(sx, int64(zx)), bQ(osx, int64(ozp)), x, shape, false)
					got := o.mustRun(t, shape)
					bClose(t, name+" vs integer reference", got, exact, 0, 0)
					// And on reals.
					agg := map[ops.Op]func([]float64) float64{ops.OpMean: aggMean, ops.OpSum: aggSum, ops.OpReduceMax: aggMax, ops.OpReduceMin: aggMin}[op]
					reals, _ := refReduce(bDequant(x, f(sx), zx), c.shape, c.axes, true, agg)
					bClose(t, name+" vs reals", got, bQuantize(reals, f(osx), ozp, lo, hi), 1, 0)
				})
			}
		}
	}
}

// TestReduceDynamicAxis feeds the axes at run time: the output shape
// follows them on every Invoke.
func TestReduceDynamicAxis(t *testing.T) {
	x := bRandF(rand.New(rand.NewPCG(67, 68)), 24, 1)
	o := reduceModel(ops.OpSum, models.Float32, []int{2, 3, 4}, []int{0, 0}, false, nil, nil, x, []int{3, 4}, true)
	it, err := o.load()
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	o.feed(it)
	for _, axes := range [][]int{{0, 2}, {1, -1}, {2, 2}} {
		copy(it.Input(1), bEncode(models.Int32, []float64{float64(axes[0]), float64(axes[1])}))
		if err := it.Invoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		want, shape := refReduce(x, []int{2, 3, 4}, axes, false, aggSum)
		if got := it.Outputs()[0].Shape; fmt.Sprint(got) != fmt.Sprint(shape) {
			t.Fatalf("axes %v: shape %v, want %v", axes, got, shape)
		}
		bClose(t, fmt.Sprint(axes), bDecode(models.Float32, it.Output(0)), want, 1e-5, 1e-5)
	}
	copy(it.Input(1), bEncode(models.Int32, []float64{3, 0}))
	if err := it.Invoke(context.Background()); err == nil {
		t.Fatal("axis 3 of a rank-3 input: no error")
	}
}

func TestReduceErrors(t *testing.T) {
	f := models.Float32
	o := reduceModel(ops.OpMean, f, []int{2, 3}, []int{2}, false, nil, nil, make([]float64, 6), []int{2}, false)
	o.wantError(t, "MEAN", "axis 2 is out of range for rank 2")
	o = reduceModel(ops.OpSum, f, []int{2, 3}, []int{-3}, false, nil, nil, make([]float64, 6), []int{2}, false)
	o.wantError(t, "SUM", "axis -3 is out of range")
	o.ins[1] = bConst(models.Int64, []int{1}, nil, []float64{0})
	o.wantError(t, "axis must be int32, got int64")
	o = reduceModel(ops.OpReduceMax, models.Int8, []int{2, 3}, []int{1}, false, bQ(0.1, 1), bQ(0.2, 1), make([]float64, 6), []int{2}, false)
	o.wantError(t, "REDUCE_MAX", "input and output quantization must be equal")
	o = reduceModel(ops.OpMean, models.UInt16, []int{2, 3}, []int{1}, false, nil, nil, nil, []int{2}, false)
	o.wantError(t, "input type uint16 is not supported")
}
